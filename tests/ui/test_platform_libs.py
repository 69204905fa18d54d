"""Qt's platform plugin needs system libraries: LayerLoom says which are missing, never aborts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.ui import platform_libs as pl

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux loader and ldd")


@pytest.fixture
def plugin_missing_a_library(tmp_path) -> Path:
    """A shared library linked against one that is then deleted, like libqxcb.so on a system
    without libxcb-cursor0."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to build a test plugin")
    (tmp_path / "gone.c").write_text("int gone(void) { return 1; }\n")
    (tmp_path / "plugin.c").write_text("int gone(void);\nint plugin(void) { return gone(); }\n")
    subprocess.run(
        [cc, "-shared", "-fPIC", "-o", "libllgone.so", "gone.c"], cwd=tmp_path, check=True
    )
    subprocess.run(
        [cc, "-shared", "-fPIC", "-o", "libqfake.so", "plugin.c", "-L.", "-lllgone",
         "-Wl,--no-as-needed"],
        cwd=tmp_path,
        check=True,
    )  # fmt: skip
    (tmp_path / "libllgone.so").unlink()
    return tmp_path / "libqfake.so"


@linux
def test_a_missing_library_is_named(plugin_missing_a_library):
    assert pl.missing_libraries(plugin_missing_a_library) == ["libllgone.so"]


@linux
def test_the_installed_plugins_load_here():
    for name in ("offscreen", "xcb"):
        plugin = pl.platform_plugin(name)
        assert plugin is not None and plugin.is_file()
        assert pl.missing_libraries(plugin) == []


def test_the_message_names_libraries_and_packages():
    text = pl.missing_message(["libxcb-cursor.so.0", "libxcb-icccm.so.4"])
    assert "libxcb-cursor.so.0, libxcb-icccm.so.4, which are not installed" in text
    assert "sudo apt-get install libxcb-cursor0 libxcb-icccm4" in text
    unknown = pl.missing_message(["libllgone.so"])
    assert "libllgone.so, which is not installed" in unknown and "apt-get" not in unknown
    assert pl.missing_message([]) is None


@linux
def test_which_platform_is_checked():
    assert pl.window_problem({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert pl.window_problem({"WAYLAND_DISPLAY": "wayland-0"}) is None
    assert "no display" in pl.window_problem({})
    assert pl.window_problem({"DISPLAY": ":0"}) is None  # every library is here


@linux
def test_the_app_says_why_it_cannot_open_a_window_instead_of_aborting(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"))
    run = subprocess.run(
        [sys.executable, "-m", "app"], env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 1, run.stderr
    assert "LayerLoom cannot open its window: there is no display" in run.stderr
    assert "Aborted" not in run.stderr and "qt.qpa" not in run.stderr


@linux
def test_the_install_script_lists_packages_by_the_same_table():
    script = Path(pl.__file__)
    out = subprocess.run(
        [sys.executable, str(script), "--packages"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0
    assert out.stdout.split() == []  # this machine has every library both plugins need
