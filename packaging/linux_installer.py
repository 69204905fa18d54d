"""The Linux installers of a built bundle: a .deb (dpkg-deb) and a .tar.xz.

The .deb installs the bundle to /opt/layerloom, links /usr/bin/layerloom, and adds a desktop
entry, the icon and the .llproj MIME type (so a double-click on a project opens it).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

PACKAGE = "layerloom"
INSTALL_DIR = "/opt/layerloom"
MIME_TYPE = "application/x-layerloom-project"


# One main category (freedesktop menu spec), else menus list the app once per main category.
CATEGORIES = ("Science", "ArtificialIntelligence")
MAIN_CATEGORIES = frozenset(
    "AudioVideo Audio Video Development Education Game Graphics Network Office Science "
    "Settings System Utility".split()
)


def desktop_entry() -> str:
    """The freedesktop .desktop file: the app in the menu, the handler of .llproj files."""
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=LayerLoom\n"
        "Comment=Build Keras models as a graph and train them\n"
        "Exec=layerloom %f\n"
        "Icon=layerloom\n"
        "Terminal=false\n"
        f"Categories={';'.join(CATEGORIES)};\n"
        f"MimeType={MIME_TYPE};\n"
        "StartupWMClass=LayerLoom\n"
    )


def mime_package() -> str:
    """The shared-mime-info XML that names *.llproj files."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<mime-info xmlns="http://www.freedesktop.org/standards/shared-mime-info">\n'
        f'  <mime-type type="{MIME_TYPE}">\n'
        "    <comment>LayerLoom project</comment>\n"
        '    <sub-class-of type="application/json"/>\n'
        '    <glob pattern="*.llproj"/>\n'
        '    <icon name="layerloom"/>\n'
        "  </mime-type>\n"
        "</mime-info>\n"
    )


def control_file(version: str, arch: str, depends: list[str], installed_kib: int) -> str:
    """The DEBIAN/control of the package."""
    return (
        f"Package: {PACKAGE}\n"
        f"Version: {version}\n"
        "Section: science\n"
        "Priority: optional\n"
        f"Architecture: {arch}\n"
        f"Depends: {', '.join(sorted(set(depends)))}\n"
        f"Installed-Size: {installed_kib}\n"
        "Maintainer: LayerLoom developers <layerloom@users.noreply.github.com>\n"
        "Description: Build Keras models as a graph and train them with live plots\n"
        " LayerLoom is a desktop editor for Keras 3 models: every edit is checked by Keras,\n"
        " models train with live plots and export to Keras files or Python code.\n"
    )


# Refresh the desktop's caches so the menu entry and the .llproj association show at once.
POSTINST = """#!/bin/sh
set -e
command -v update-mime-database >/dev/null 2>&1 && update-mime-database /usr/share/mime || true
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q /usr/share/applications || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t /usr/share/icons/hicolor || true
exit 0
"""


# xz at its highest setting for the .deb and the .tar.xz: on libtensorflow_framework.so.2
# (132 MiB) -9e is 2.8% smaller than -6, for a quarter more compression time.
DEB_COMPRESSION = ("-Zxz", "-z9", "-Sextreme")
XZ_OPTIONS = ("-9e", "-T0")  # the .tar.xz, on every core


def qt_system_packages() -> list[str]:
    """Debian packages of the X11/GL libraries Qt's xcb plugin loads (not bundled by PyInstaller)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "app" / "ui"))
    try:
        from platform_libs import FONT_PACKAGE, LIBRARY_PACKAGES
    finally:
        sys.path.pop(0)
    return [*LIBRARY_PACKAGES.values(), FONT_PACKAGE]


def debian_arch() -> str:
    """dpkg's name of this machine's architecture (amd64, arm64)."""
    return subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()


def build_deb(
    bundle: Path,
    icon_png: Path,
    version: str,
    out_dir: Path,
    work: Path,
    compression: tuple[str, ...] = DEB_COMPRESSION,
) -> Path:
    """dist/layerloom_<version>_<arch>.deb from the onedir bundle (`compression`: dpkg-deb's
    options, e.g. ("-Znone",) for a quick package to test)."""
    root = work / "deb"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(bundle, root / INSTALL_DIR.lstrip("/"), symlinks=True)
    (root / "usr/bin").mkdir(parents=True)
    (root / "usr/bin/layerloom").symlink_to(f"{INSTALL_DIR}/LayerLoom")
    _write(root / "usr/share/applications/layerloom.desktop", desktop_entry())
    _write(root / f"usr/share/mime/packages/{PACKAGE}.xml", mime_package())
    icon_dir = root / "usr/share/icons/hicolor/256x256/apps"
    icon_dir.mkdir(parents=True)
    shutil.copy2(icon_png, icon_dir / "layerloom.png")
    mime_icon = root / "usr/share/icons/hicolor/256x256/mimetypes"
    mime_icon.mkdir(parents=True)
    shutil.copy2(icon_png, mime_icon / "application-x-layerloom-project.png")
    size_kib = sum(f.stat().st_size for f in root.rglob("*") if f.is_file()) // 1024
    arch = debian_arch()
    _write(root / "DEBIAN/control", control_file(version, arch, qt_system_packages(), size_kib))
    _write(root / "DEBIAN/postinst", POSTINST, mode=0o755)
    _write(root / "DEBIAN/postrm", POSTINST, mode=0o755)
    out = out_dir / f"{PACKAGE}_{version}_{arch}.deb"
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", *compression, "--build", str(root), str(out)],
        check=True,
    )
    shutil.rmtree(root, ignore_errors=True)
    return out


def build_tarball(bundle: Path, version: str, out_dir: Path) -> Path:
    """dist/LayerLoom-<version>-linux-<machine>.tar.xz: the bundle folder, to unpack and run.

    xz, as in the .deb: a third smaller than gzip -6 (the .tar.gz was 609 MiB, the .deb 407),
    and every Linux's tar unpacks it (`tar xf`); one archive format is enough.  The system's
    xz compresses it, on every core (Python's lzma has one thread).
    """
    import platform

    out = out_dir / f"LayerLoom-{version}-linux-{platform.machine()}.tar.xz"
    with out.open("wb") as fh:
        xz = subprocess.Popen(["xz", *XZ_OPTIONS, "-c"], stdin=subprocess.PIPE, stdout=fh)
        with tarfile.open(fileobj=xz.stdin, mode="w|") as tar:
            tar.add(bundle, arcname="LayerLoom", filter=_root_owned)
        xz.stdin.close()
        if xz.wait() != 0:
            raise RuntimeError(f"xz failed ({xz.returncode}) on {out}")
    return out


def _root_owned(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """Archive members owned by root:root, not by whoever ran the build."""
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
