#!/usr/bin/env bash
# Qt needs system libraries for its platform plugins (offscreen for the tests, xcb for a window on
# X11) and at least one font. Installs those this machine lacks, on Debian/Ubuntu. What the
# plugins need is read off the plugins themselves (app/ui/platform_libs.py loads them and asks
# ldd); before PySide6 is installed, every library of its table that the loader does not know.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
py="$(command -v python3 || command -v python)"
need="$("$py" "$here/../app/ui/platform_libs.py" --packages 2>/dev/null)"
if ! { command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list 2>/dev/null | head -n 1)" ]; }; then
  need="$need fonts-dejavu-core"
fi
read -r -a packages <<<"$need"
[ ${#packages[@]} -eq 0 ] && exit 0
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "Installing system libraries for Qt: ${packages[*]}" >&2
  $SUDO apt-get update -qq >/dev/null 2>&1 || true
  $SUDO apt-get install -y -qq "${packages[@]}" >/dev/null 2>&1 \
    || echo "Could not install: ${packages[*]} (install them with your package manager)" >&2
else
  echo "Qt needs these system packages: ${packages[*]} (install them with your package manager)" >&2
fi
exit 0
