"""The macOS installer: LayerLoom.app (signed when a identity is given) in a compressed .dmg.

Signing: LAYERLOOM_CODESIGN_IDENTITY names a "Developer ID Application" identity in the
keychain (the release workflow imports it from secrets); without it the app is ad-hoc signed,
which Apple silicon needs to run it at all.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from pathlib import Path


def codesign(app: Path) -> None:
    """Sign the .app with the hardened runtime, or ad hoc without an identity."""
    identity = os.environ.get("LAYERLOOM_CODESIGN_IDENTITY", "")
    cmd = ["codesign", "--force", "--deep", "--timestamp" if identity else "--timestamp=none"]
    if identity:
        cmd += [
            "--options",
            "runtime",
            "--entitlements",
            str(Path(__file__).parent / "macos" / "entitlements.plist"),
        ]
    subprocess.run([*cmd, "--sign", identity or "-", str(app)], check=True)


def build_dmg(app: Path, version: str, out_dir: Path, work: Path) -> Path:
    """dist/LayerLoom-<version>-macos-<arch>.dmg holding the .app and a link to /Applications."""
    codesign(app)
    stage = work / "dmg"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    shutil.copytree(app, stage / app.name, symlinks=True)
    (stage / "Applications").symlink_to("/Applications")
    out = out_dir / f"LayerLoom-{version}-macos-{platform.machine()}.dmg"
    out.unlink(missing_ok=True)
    subprocess.run(
        [
            "hdiutil",
            "create",
            "-volname",
            "LayerLoom",
            "-srcfolder",
            str(stage),
            "-ov",
            "-format",
            "UDZO",
            str(out),
        ],
        check=True,
    )
    if os.environ.get("LAYERLOOM_CODESIGN_IDENTITY"):
        subprocess.run(
            ["codesign", "--sign", os.environ["LAYERLOOM_CODESIGN_IDENTITY"], str(out)], check=True
        )
    shutil.rmtree(stage, ignore_errors=True)
    return out
