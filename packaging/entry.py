"""Entry script of the frozen LayerLoom: the same `main` as the `layerloom` command."""

import multiprocessing
import sys

from app.__main__ import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a frozen child process must not start the app again
    sys.exit(main())
