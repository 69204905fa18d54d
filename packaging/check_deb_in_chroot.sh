#!/usr/bin/env bash
# Installs the LayerLoom .deb on a clean Debian root and runs the installed app there, as a user.
#
#   sudo packaging/check_deb_in_chroot.sh [dist/layerloom_<version>_amd64.deb]
#
# Not part of CI (needs root, debootstrap and a few minutes); run it before a release.
# 1. A clean Debian root: made once with `debootstrap --variant=minbase` in $BASE, then copied to
#    $ROOT for each run, so every run installs on a system that never saw LayerLoom.
# 2. `apt-get install --no-install-recommends ./layerloom_*.deb`: its Depends alone must bring
#    the X11/GL libraries and the font Qt needs (listed in $SHOTS/pulled_in.txt).
# 3. As an ordinary user: `layerloom examples`, `validate` (stderr must be empty: no TensorFlow
#    start-up log lines), `train <example> --epochs 1` offscreen, then the window on an Xvfb of
#    this machine through the root's /tmp/.X11-unix: its window-shown time, and a screenshot.
# 4. The desktop side: with shared-mime-info, desktop-file-utils, xdg-utils (and its File::MimeInfo)
#    installed after,
#    a *.llproj file is application/x-layerloom-project, opened by layerloom.desktop, and the
#    desktop entry validates.
# 5. `apt-get purge layerloom` leaves no /opt/layerloom.
#
# Settings (environment): SUITE (bookworm), MIRROR (http://deb.debian.org/debian),
# BASE (/var/tmp/layerloom-chroot/base-$SUITE), ROOT (/var/tmp/layerloom-chroot/run),
# DISPLAY_NUM (99), SHOTS (/tmp/layerloom-chroot), EXAMPLE (digits_mlp), KEEP_ROOT=1 keeps $ROOT.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
deb="${1:-$(ls -t "$here"/../dist/layerloom_*.deb 2>/dev/null | head -n 1)}"
SUITE="${SUITE:-bookworm}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
BASE="${BASE:-/var/tmp/layerloom-chroot/base-$SUITE}"
ROOT="${ROOT:-/var/tmp/layerloom-chroot/run}"
DISPLAY_NUM="${DISPLAY_NUM:-99}"
SHOTS="${SHOTS:-/tmp/layerloom-chroot}"
EXAMPLE="${EXAMPLE:-digits_mlp}"
USER_NAME=tester

fail() { echo "FAILED: $*" >&2; exit 1; }
step() { echo; echo "== $*"; }
[ "$(id -u)" -eq 0 ] || fail "run as root (chroot and mounts need it)"
[ -f "$deb" ] || fail "no .deb given and none in dist/ (python packaging/build.py makes it)"
for tool in debootstrap Xvfb import xdotool; do
  command -v "$tool" >/dev/null || fail "$tool is not installed here (apt-get install debootstrap xvfb imagemagick xdotool)"
done
deb="$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")"
mkdir -p "$SHOTS"

mounted=()
xvfb_pid=""
cleanup() {
  [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null || true
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
  [ "${KEEP_ROOT:-}" = 1 ] || rm -rf --one-file-system "$ROOT"
}
trap cleanup EXIT
bind() { mkdir -p "$ROOT$2"; mount --bind "$1" "$ROOT$2"; mounted+=("$ROOT$2"); }
in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
# An ordinary user's login-like environment inside the root, plus the settings given.
as_user() {
  chroot --userspec="$USER_NAME:$USER_NAME" "$ROOT" /usr/bin/env -i \
    PATH=/usr/local/bin:/usr/bin:/bin HOME="/home/$USER_NAME" LANG=C.UTF-8 "$@"
}

step "clean $SUITE root"
if [ ! -f "$BASE/etc/debian_version" ]; then
  rm -rf "$BASE"
  debootstrap --variant=minbase "$SUITE" "$BASE" "$MIRROR"
fi
rm -rf --one-file-system "$ROOT"
cp -a "$BASE" "$ROOT"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
mount -t proc proc "$ROOT/proc"; mounted+=("$ROOT/proc")
bind /dev /dev
bind /dev/pts /dev/pts
mount -t tmpfs -o mode=1777 shm "$ROOT/dev/shm"; mounted+=("$ROOT/dev/shm") # as on a desktop
bind /tmp/.X11-unix /tmp/.X11-unix
in_root useradd --create-home --shell /bin/sh "$USER_NAME"

step "apt-get install ./$(basename "$deb")"
cp "$deb" "$ROOT/tmp/"
in_root dpkg-query -W -f '${Package}\n' | sort >"$SHOTS/before.txt"
in_root apt-get update -qq
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  "/tmp/$(basename "$deb")"
in_root dpkg-query -W -f '${Package}\n' | sort >"$SHOTS/after.txt"
comm -13 "$SHOTS/before.txt" "$SHOTS/after.txt" >"$SHOTS/pulled_in.txt"
echo "$(wc -l <"$SHOTS/pulled_in.txt") packages installed: $(tr '\n' ' ' <"$SHOTS/pulled_in.txt")"
[ -x "$ROOT/opt/layerloom/LayerLoom" ] || fail "no /opt/layerloom/LayerLoom"
missing="$(in_root ldd /opt/layerloom/_internal/PySide6/Qt/plugins/platforms/libqxcb.so | grep 'not found' || true)"
[ -z "$missing" ] || fail "Qt's xcb plugin lacks libraries the Depends did not bring: $missing"

step "layerloom examples"
listing="$(as_user layerloom examples)"
echo "$listing"
folder="$(echo "$listing" | sed -n 's/^Folder: *//p' | head -n 1)"
project="$folder/$EXAMPLE.llproj"
[ -f "$ROOT$project" ] || fail "examples lists no $project"

step "layerloom validate $EXAMPLE (stderr must be empty)"
as_user layerloom validate "$project" 2>"$SHOTS/validate.stderr"
[ ! -s "$SHOTS/validate.stderr" ] || fail "validate wrote to stderr: $(cat "$SHOTS/validate.stderr")"

step "layerloom train $EXAMPLE --epochs 1 (offscreen)"
trained="$(as_user QT_QPA_PLATFORM=offscreen layerloom train "$project" --epochs 1)"
echo "$trained" | tail -n 5
echo "$trained" | grep -q completed || fail "train did not complete its epoch"

step "the window on Xvfb :$DISPLAY_NUM"
Xvfb ":$DISPLAY_NUM" -screen 0 1600x1000x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
for _ in $(seq 50); do [ -S "/tmp/.X11-unix/X$DISPLAY_NUM" ] && break; sleep 0.2; done
shown="$(as_user DISPLAY=":$DISPLAY_NUM" LAYERLOOM_EXIT_AFTER_SHOWN=1 layerloom "$project" | grep window_shown_s || true)"
[ -n "$shown" ] || fail "the installed app never showed its window"
echo "$shown"
as_user DISPLAY=":$DISPLAY_NUM" layerloom "$project" >"$SHOTS/window.log" 2>&1 &
app_pid=$!
DISPLAY=":$DISPLAY_NUM" timeout 120 xdotool search --sync --onlyvisible --name "$EXAMPLE" >/dev/null \
  || { kill "$app_pid" 2>/dev/null; fail "no window titled $EXAMPLE: $(cat "$SHOTS/window.log")"; }
sleep 20 # let TensorFlow load and the canvas draw
import -display ":$DISPLAY_NUM" -window root "$SHOTS/chroot_window.png"
kill "$app_pid" 2>/dev/null || true
wait "$app_pid" 2>/dev/null || true
echo "screenshot: $SHOTS/chroot_window.png"

step "desktop entry and .llproj MIME type"
# xdg-mime on a desktop without GNOME/KDE reads the MIME database through File::MimeInfo
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  shared-mime-info desktop-file-utils xdg-utils libfile-mimeinfo-perl >/dev/null
hints="$(in_root desktop-file-validate /usr/share/applications/layerloom.desktop 2>&1)" \
  || fail "the desktop entry is invalid: $hints"
[ -z "$hints" ] || fail "desktop-file-validate: $hints"
as_user cp "$project" "/home/$USER_NAME/mine.llproj"
kind="$(as_user xdg-mime query filetype "/home/$USER_NAME/mine.llproj")" || fail "xdg-mime failed"
[ "$kind" = application/x-layerloom-project ] || fail "*.llproj is '$kind'"
handler="$(as_user xdg-mime query default application/x-layerloom-project)" || fail "xdg-mime failed"
[ "$handler" = layerloom.desktop ] || fail "*.llproj opens with '$handler'"
echo "*.llproj: $kind, opened by $handler"

step "apt-get purge layerloom"
in_root apt-get purge -y -qq layerloom >/dev/null
[ ! -e "$ROOT/opt/layerloom" ] || fail "/opt/layerloom is left after purge"
[ ! -e "$ROOT/usr/bin/layerloom" ] || fail "/usr/bin/layerloom is left after purge"

echo
echo "the .deb installs, runs and uninstalls on a clean $SUITE root"
