"""Checks shared by the tests of generated scripts."""

from __future__ import annotations

import shutil
import socket
import subprocess


def ruff_problems(source: str) -> str:
    """What ruff (E, F, W, I, B, UP; 100 columns; no project config) says about `source`."""
    ruff = shutil.which("ruff")
    assert ruff is not None, "ruff is part of the dev extra: pip install -e '.[dev]'"
    cmd = [ruff, "check", "--isolated", "--select", "E,F,W,I,B,UP", "--line-length", "100",
           "--target-version", "py310", "--stdin-filename", "generated.py", "-"]  # fmt: skip
    done = subprocess.run(cmd, input=source, capture_output=True, text=True, timeout=60)
    return "" if done.returncode == 0 else done.stdout + done.stderr


def free_ports(n: int) -> list[int]:
    """`n` localhost ports free at the time of asking (for the processes of a cluster script)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("localhost", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()
