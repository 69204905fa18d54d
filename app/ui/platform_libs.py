"""Can Qt open a window here? The system libraries its platform plugin needs, in words.

On Linux, Qt's xcb plugin needs a dozen X libraries (libxcb-cursor0 and friends since Qt 6.5)
that a minimal system lacks; Qt then aborts with a long plugin message.  LayerLoom checks the
plugin first and says which packages to install.  This file runs on its own too
(`python app/ui/platform_libs.py --packages`, used by packaging/install-system-libs.sh): it
imports neither Qt nor the rest of LayerLoom.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
from pathlib import Path

# The Debian/Ubuntu package of each library that Qt's offscreen and xcb plugins load.
LIBRARY_PACKAGES = {
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
}
FONT_PACKAGE = "fonts-dejavu-core"  # Qt draws no text without at least one font


def platform_plugin(name: str) -> Path | None:
    """The file of Qt's platform plugin `name` ("xcb", "offscreen") in PySide6, if installed."""
    try:
        import importlib.util

        spec = importlib.util.find_spec("PySide6")
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "Qt" / "plugins" / "platforms" / f"libq{name}.so"
    return path if path.is_file() else None


def missing_libraries(plugin: str | os.PathLike) -> list[str]:
    """The shared libraries `plugin` needs that cannot be found here ([] if it loads).

    Loading it is the real test; `ldd` then lists every missing library (the loader names only
    the first).
    """
    try:
        ctypes.CDLL(os.fspath(plugin))
        return []
    except OSError as exc:
        first = str(exc).split(":", 1)[0].strip()
    missing = _ldd_missing(plugin)
    return missing or [first]


def _ldd_missing(plugin: str | os.PathLike) -> list[str]:
    ldd = shutil.which("ldd")
    if ldd is None:
        return []
    try:
        out = subprocess.run(
            [ldd, os.fspath(plugin)], capture_output=True, text=True, timeout=20
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    names = [line.split("=>")[0].strip() for line in out.splitlines() if "not found" in line]
    return list(dict.fromkeys(names))


def packages_for(libraries: list[str]) -> list[str]:
    """Debian/Ubuntu packages that provide `libraries` (those this table knows)."""
    return list(
        dict.fromkeys(LIBRARY_PACKAGES[lib] for lib in libraries if lib in LIBRARY_PACKAGES)
    )


def window_problem(environ: dict[str, str] | None = None) -> str | None:
    """Why Qt could not open a window on this Linux machine, in words; None if it can (or if
    this is not a case LayerLoom checks: other systems, other plugins)."""
    env = os.environ if environ is None else environ
    if not sys.platform.startswith("linux"):
        return None
    platform = env.get("QT_QPA_PLATFORM", "").split(":", 1)[0]
    if platform and platform != "xcb":
        return None  # offscreen, wayland, ...: Qt's own message is clear enough
    if not platform and env.get("WAYLAND_DISPLAY"):
        return None
    if not env.get("DISPLAY"):
        return (
            "LayerLoom cannot open its window: there is no display (DISPLAY is not set). "
            "Start it from a desktop session, or use the headless commands (layerloom --help)."
        )
    plugin = platform_plugin("xcb")
    if plugin is None:
        return None
    return missing_message(missing_libraries(plugin))


def missing_message(missing: list[str]) -> str | None:
    """The sentence telling the user what to install; None if nothing is missing."""
    if not missing:
        return None
    packages = packages_for(missing)
    install = (
        f"On Debian or Ubuntu: sudo apt-get install {' '.join(packages)}"
        if packages
        else "Install them with your system's package manager"
    )
    return (
        f"LayerLoom cannot open its window: Qt's X11 (xcb) plugin needs "
        f"{', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} not installed. "
        f"{install} (or run packaging/install-system-libs.sh from LayerLoom's source)."
    )


def _print_packages() -> int:
    """The packages the script should install: what the installed plugins lack, or, before
    PySide6 is installed, every package of the table."""
    plugins = [p for p in (platform_plugin("offscreen"), platform_plugin("xcb")) if p]
    if plugins:
        missing = [lib for p in plugins for lib in missing_libraries(p)]
    else:
        known = _loader_cache()
        missing = [lib for lib in LIBRARY_PACKAGES if known is None or lib not in known]
    print(" ".join(packages_for(missing)))
    return 0


def _loader_cache() -> set[str] | None:
    """Library names the dynamic loader knows (`ldconfig -p`), or None if it cannot say."""
    for ldconfig in (shutil.which("ldconfig"), "/sbin/ldconfig", "/usr/sbin/ldconfig"):
        if ldconfig and os.path.exists(ldconfig):
            try:
                out = subprocess.run(
                    [ldconfig, "-p"], capture_output=True, text=True, timeout=20
                ).stdout
            except (OSError, subprocess.SubprocessError):
                return None
            return {line.split()[0] for line in out.splitlines()[1:] if line.strip()}
    return None


if __name__ == "__main__":
    if sys.argv[1:] == ["--packages"]:
        sys.exit(_print_packages())
    print("usage: python platform_libs.py --packages", file=sys.stderr)
    sys.exit(2)
