"""Builds the LayerLoom desktop bundle and this OS's installer into dist/ (see packaging/README.md).

    pip install -e ".[package]"
    python packaging/build.py            # bundle + installer
    python packaging/build.py --bundle-only
    python packaging/build.py --reuse-bundle   # only the installers, of the dist/LayerLoom built before

Makes the PyInstaller onedir bundle dist/LayerLoom/ (from packaging/layerloom.spec), strips
TensorFlow's own shared libraries on Linux, then the installer: a .deb and a .tar.xz on Linux,
an Inno Setup installer on Windows (when `iscc` is on PATH), LayerLoom.app in a .dmg on macOS
(signed when LAYERLOOM_CODESIGN_IDENTITY is set).  Sizes and what each cut saved are printed and
written to dist/sizes.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bundle_rules import is_tensorflow_library  # noqa: E402

DIST = ROOT / "dist"
WORK = ROOT / "build"


def project_version() -> str:
    """The version in pyproject.toml (LAYERLOOM_VERSION overrides it, e.g. from a git tag)."""
    import tomllib

    version = os.environ.get("LAYERLOOM_VERSION", "").removeprefix("v")
    if version:
        return version
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "version"
    ]


def bundle_dir() -> Path:
    """dist/LayerLoom: the onedir bundle (on macOS the .app holds its own copy)."""
    return DIST / "LayerLoom"


def tree_size(path: Path) -> int:
    """Bytes of every file under `path` (symlinks not followed)."""
    if path.is_file():
        return path.stat().st_size
    return sum(f.lstat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def tensorflow_libraries(internal: Path) -> list[Path]:
    """TensorFlow's own shared libraries inside the bundle's _internal folder."""
    found = []
    for f in sorted(internal.rglob("*")):
        rel = f.relative_to(internal).as_posix()
        if f.is_file() and not f.is_symlink() and is_tensorflow_library(rel):
            found.append(f)
    return found


def strip_tensorflow(internal: Path) -> int:
    """`strip --strip-unneeded` TensorFlow's libraries (Linux); returns the bytes saved."""
    if not sys.platform.startswith("linux") or shutil.which("strip") is None:
        return 0
    libs = tensorflow_libraries(internal)
    before = sum(f.stat().st_size for f in libs)
    for lib in libs:
        subprocess.run(["strip", "--strip-unneeded", str(lib)], check=True)
    return before - sum(f.stat().st_size for f in libs)


def render_icons() -> dict[str, Path]:
    """The app icon as .png (Linux), .ico (Windows) and .icns (macOS) under build/icons."""
    icons = {ext: WORK / "icons" / f"layerloom.{ext}" for ext in ("png", "ico", "icns")}
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    subprocess.run(
        [sys.executable, str(HERE / "render_icon.py"), *map(str, icons.values())],
        check=True,
        env=env,
    )
    return icons


def run_pyinstaller(icon: Path | None, version: str, cuts: bool = True) -> None:
    """PyInstaller with packaging/layerloom.spec into dist/ (a clean build each time)."""
    env = {**os.environ, "LAYERLOOM_VERSION": version, "LAYERLOOM_NO_CUTS": "" if cuts else "1"}
    if icon is not None:
        env["LAYERLOOM_ICON"] = str(icon)
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean"]
    cmd += ["--distpath", str(DIST), "--workpath", str(WORK / "pyinstaller")]
    subprocess.run([*cmd, str(HERE / "layerloom.spec")], check=True, env=env, cwd=ROOT)


def build_installers(icons: dict[str, Path], version: str) -> list[Path]:
    """This OS's installers of the built bundle."""
    if sys.platform.startswith("linux"):
        from linux_installer import build_deb, build_tarball

        out = [build_tarball(bundle_dir(), version, DIST)]
        if shutil.which("dpkg-deb"):
            out.append(build_deb(bundle_dir(), icons["png"], version, DIST, WORK))
        return out
    if sys.platform == "win32":
        return _windows_installer(version)
    if sys.platform == "darwin":
        from macos_installer import build_dmg

        return [build_dmg(DIST / "LayerLoom.app", version, DIST, WORK)]
    return []


def _windows_installer(version: str) -> list[Path]:
    iscc = shutil.which("iscc") or shutil.which("ISCC")
    if iscc is None:
        print("iscc (Inno Setup) is not on PATH: no installer, only the bundle", file=sys.stderr)
        return []
    script = HERE / "windows" / "layerloom.iss"
    defines = [f"/DAppVersion={version}", f"/DBundleDir={bundle_dir()}", f"/DOutputDir={DIST}"]
    defines.append(f"/DIconFile={WORK / 'icons' / 'layerloom.ico'}")
    subprocess.run([iscc, *defines, str(script)], check=True)
    return sorted(DIST.glob(f"LayerLoom-{version}-windows-*-setup.exe"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bundle-only", action="store_true", help="no installer")
    parser.add_argument(
        "--no-cuts",
        action="store_true",
        help="keep all PyInstaller collects, unstripped (to measure)",
    )
    parser.add_argument(
        "--reuse-bundle",
        action="store_true",
        help="no PyInstaller run: the installers of the dist/LayerLoom built before",
    )
    args = parser.parse_args(argv)
    version = project_version()
    start = time.monotonic()
    if args.reuse_bundle:
        return _installers_of_built_bundle(version, start)
    icons = render_icons()
    icon = (
        icons["ico"]
        if sys.platform == "win32"
        else icons["icns"]
        if sys.platform == "darwin"
        else None
    )
    run_pyinstaller(icon, version, cuts=not args.no_cuts)
    internal = bundle_dir() / "_internal"
    sizes: dict[str, object] = {"bundle_unstripped": tree_size(bundle_dir())}
    cuts_file = WORK / "pyinstaller" / "layerloom" / "cuts.json"
    cuts = json.loads(cuts_file.read_text()) if cuts_file.is_file() else {}
    cuts["strip-tensorflow"] = 0 if args.no_cuts else strip_tensorflow(internal)
    sizes["cuts_saved"] = cuts
    sizes["bundle"] = tree_size(bundle_dir())
    if not args.bundle_only:
        for installer in build_installers(icons, version):
            sizes[installer.name] = installer.stat().st_size
    _report(sizes, start)
    return 0


def _installers_of_built_bundle(version: str, start: float) -> int:
    if not bundle_dir().is_dir():
        print(f"no bundle in {bundle_dir()}: run build.py without --reuse-bundle", file=sys.stderr)
        return 1
    sizes_file = DIST / "sizes.json"
    sizes = json.loads(sizes_file.read_text()) if sizes_file.is_file() else {}
    sizes["bundle"] = tree_size(bundle_dir())
    for installer in build_installers(render_icons(), version):
        sizes[installer.name] = installer.stat().st_size
    _report(sizes, start)
    return 0


def _report(sizes: dict[str, object], start: float) -> None:
    """Print the sizes and write them to dist/sizes.json."""
    (DIST / "sizes.json").write_text(json.dumps(sizes, indent=1), encoding="utf-8")
    print(f"Built in {time.monotonic() - start:.0f} s:")
    for name, value in sizes.items():
        if isinstance(value, dict):
            for cut, saved in value.items():
                print(f"  cut {cut}: saved {saved / 2**20:.0f} MiB")
        else:
            print(f"  {name}: {value / 2**20:.0f} MiB")


if __name__ == "__main__":
    sys.exit(main())
