"""`layerloom` / `python -m app`: no arguments or a file opens the editor; subcommands run headless.

`_run-script` is hidden: the child process of a script import (app.compiler.script_import.child
starts it, from source and in the frozen bundle alike) runs the trusted script up to its first
fit() with runner.py.
"""

from __future__ import annotations

import sys

CLI_COMMANDS = {
    "train",
    "evaluate",
    "export",
    "summary",
    "import",
    "validate",
    "codegen",
    "examples",
}
RUN_SCRIPT = "_run-script"  # app.compiler.script_import.child.RUN_SCRIPT


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == RUN_SCRIPT:
        from app.compiler.script_import.runner import main as run_script

        return run_script(args)
    if args and (args[0] in CLI_COMMANDS or args[0] in ("-h", "--help", "--version")):
        from app.cli import main as cli_main

        return cli_main(args)
    from app.ui.app import run_gui

    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
