"""`layerloom` / `python -m app`: no arguments or a file opens the editor; subcommands run headless."""

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


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and (args[0] in CLI_COMMANDS or args[0] in ("-h", "--help", "--version")):
        from app.cli import main as cli_main

        return cli_main(args)
    from app.ui.app import run_gui

    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
