"""Who runs a training run: its process, recorded in run.json so a reader can tell a run that
is still training from one whose process was killed (SIGKILL, a crash, a power cut).

A process is named by its host, pid and start time (and on Linux the boot id): a pid alone
may be reused by another process after the first one died.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from typing import Any

_BOOT_ID = "/proc/sys/kernel/random/boot_id"


def current_owner() -> dict[str, Any]:
    """This process as a run record's owner: {"host", "pid", "started", "boot"}."""
    pid = os.getpid()
    return {"host": socket.gethostname(), "pid": pid, "started": _start_time(pid), "boot": _boot()}


def owner_alive(owner: Any) -> bool | None:
    """Whether the process that `owner` names still runs: None if this host cannot tell (no
    owner, another host), else True or False."""
    if not isinstance(owner, dict) or owner.get("host") != socket.gethostname():
        return None
    pid = owner.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return None
    boot = owner.get("boot")
    if boot and _boot() and boot != _boot():
        return False  # the machine has restarted since
    started = _start_time(pid)
    if started is None:
        return _pid_exists(pid)
    return owner.get("started") in (None, started)


def _boot() -> str | None:
    """This boot's id (Linux), so a pid from before a restart is never taken for a live one."""
    try:
        with open(_BOOT_ID, encoding="ascii") as f:
            return f.read().strip() or None
    except OSError:
        return None


def _start_time(pid: int) -> str | None:
    """When process `pid` started, as the system reports it; None if there is no such process
    (or the system cannot say)."""
    if sys.platform.startswith("linux"):
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
                stat = f.read()
        except OSError:
            return None
        # Field 22 (start time in clock ticks after boot); the name in field 2 may hold spaces.
        return stat.rsplit(")", 1)[-1].split()[19]
    if sys.platform == "win32":
        return _windows_start_time(pid)
    try:  # macOS and other POSIX systems
        out = subprocess.run(
            ["ps", "-o", "lstart=", "-p", str(pid)],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _pid_exists(pid: int) -> bool | None:
    if sys.platform == "win32":
        return None  # os.kill would end the process there
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists but belongs to another user
        return True
    return True


def _windows_start_time(pid: int) -> str | None:
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return None
    try:
        times = [wintypes.FILETIME() for _ in range(4)]
        if not kernel32.GetProcessTimes(handle, *(ctypes.byref(t) for t in times)):
            return None
        code = wintypes.DWORD()
        if kernel32.GetExitCodeProcess(handle, ctypes.byref(code)) and code.value != 259:
            return None  # it has exited (259: STILL_ACTIVE); the handle only keeps it listed
        created = times[0]
        return str((created.dwHighDateTime << 32) | created.dwLowDateTime)
    finally:
        kernel32.CloseHandle(handle)
