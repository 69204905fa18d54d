"""packaging/: which bundle files are left out or stripped, and the .deb's layout (no PyInstaller run)."""

from __future__ import annotations

import configparser
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGING = Path(__file__).resolve().parent.parent / "packaging"
sys.path.insert(0, str(PACKAGING))

import linux_installer  # noqa: E402
from bundle_rules import excluded_by, is_tensorflow_library  # noqa: E402


def _load_build_script():
    """packaging/build.py under its own name (a plain `import build` could find PyPI's build)."""
    spec = importlib.util.spec_from_file_location("layerloom_build_script", PACKAGING / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load_build_script()


@pytest.mark.parametrize(
    ("dest", "cut"),
    [
        ("tensorflow/include/external/eigen/Eigen/Core", "tensorflow-include"),
        ("tensorflow/compiler/mlir/stablehlo/stablehlo_extension.so", "tensorflow-tools"),
        ("tensorflow/python/_pywrap_toco_api.so", "tensorflow-tools"),
        ("tensorflow/python/autograph/impl/testing/pybind_for_testing.so", "tensorflow-tools"),
        ("keras/src/backend/jax/core.py", "keras-other-backends"),
        ("keras/src/backend/torch/nn.py", "keras-other-backends"),
        ("tensorboard/webfiles.zip", "tensorboard"),
        ("PySide6/Qt/lib/libQt6Quick.so.6", "qt-unused"),
        ("PySide6/Qt/lib/libQt6Network.so.6", "qt-unused"),
        ("PySide6/Qt/qml/QtQuick/Controls/qmldir", "qt-unused"),
        ("PySide6/Qt/plugins/sqldrivers/libqsqlite.so", "qt-unused"),
        ("PySide6\\Qt6Pdf.dll", "qt-unused"),
        # kept: what LayerLoom and its plots load
        ("keras/src/backend/tensorflow/core.py", None),
        ("keras/src/backend/numpy/core.py", None),
        ("tensorflow/libtensorflow_cc.so.2", None),
        # TFLite export loads the MLIR converter, import tensorflow the profiler plugin
        ("tensorflow/compiler/mlir/lite/python/_pywrap_converter_api.so", None),
        ("tensorflow/python/profiler/internal/_pywrap_profiler_plugin.so", None),
        ("PySide6/Qt/lib/libQt6Widgets.so.6", None),
        ("PySide6/Qt/lib/libQt6Svg.so.6", None),
        ("PySide6/Qt/lib/libQt6OpenGL.so.6", None),  # pyqtgraph's curves import QtOpenGL
        ("PySide6/QtOpenGLWidgets.abi3.so", None),
        ("PySide6/Qt/lib/libQt6XcbQpa.so.6", None),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", None),
        ("PySide6/Qt/plugins/imageformats/libqsvg.so", None),
        ("PySide6/Qt/plugins/wayland-shell-integration/libxdg-shell.so", None),
        ("PySide6/Qt/plugins/platforminputcontexts/libcomposeplatforminputcontextplugin.so", None),
        ("PySide6/Qt/plugins/tls/libqopensslbackend.so", "qt-unused"),
        ("resources/examples/digits_mlp.llproj", None),
    ],
)
def test_each_file_is_kept_or_left_out_by_one_named_cut(dest, cut):
    assert excluded_by(dest) == cut


def test_only_tensorflows_own_libraries_are_stripped(tmp_path):
    internal = tmp_path / "_internal"
    for rel in (
        "tensorflow/libtensorflow_cc.so.2",
        "tensorflow/python/_pywrap_tensorflow_internal.so",
        "tensorflow/python/ops/gen_math_ops.py",
        "numpy.libs/libscipy_openblas64_-ff651d7f.so",
        "numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so",
        "PySide6/Qt/lib/libQt6Core.so.6",
    ):
        (internal / rel).parent.mkdir(parents=True, exist_ok=True)
        (internal / rel).write_bytes(b"\0")
    found = [p.relative_to(internal).as_posix() for p in build.tensorflow_libraries(internal)]
    assert found == [
        "tensorflow/libtensorflow_cc.so.2",
        "tensorflow/python/_pywrap_tensorflow_internal.so",
    ]
    assert not is_tensorflow_library("numpy.libs/libscipy_openblas64_-ff651d7f.so")


def test_desktop_entry_opens_llproj_files_by_their_mime_type():
    entry = configparser.ConfigParser(interpolation=None)
    entry.read_string(linux_installer.desktop_entry())
    section = entry["Desktop Entry"]
    assert section["Exec"].startswith("layerloom ") and "%f" in section["Exec"]
    assert linux_installer.MIME_TYPE in section["MimeType"].split(";")
    categories = [c for c in section["Categories"].split(";") if c]
    assert len(set(categories) & linux_installer.MAIN_CATEGORIES) == 1  # listed once in menus
    mime = linux_installer.mime_package()
    assert f'type="{linux_installer.MIME_TYPE}"' in mime and 'pattern="*.llproj"' in mime


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb")
def test_deb_installs_the_bundle_to_opt_with_a_command_link_desktop_entry_and_mime_type(tmp_path):
    bundle = tmp_path / "LayerLoom"
    (bundle / "_internal").mkdir(parents=True)
    (bundle / "LayerLoom").write_text("#!/bin/sh\necho hi\n")
    (bundle / "LayerLoom").chmod(0o755)
    icon = tmp_path / "icon.png"
    icon.write_bytes(b"\x89PNG\r\n")
    deb = linux_installer.build_deb(bundle, icon, "1.2.3", tmp_path, tmp_path / "work")
    assert deb.name.startswith("layerloom_1.2.3_")
    info = subprocess.run(["dpkg-deb", "--info", str(deb)], capture_output=True, text=True)
    assert "Package: layerloom" in info.stdout and "libxcb-cursor0" in info.stdout
    listing = subprocess.run(["dpkg-deb", "--contents", str(deb)], capture_output=True, text=True)
    assert "./opt/layerloom/LayerLoom" in listing.stdout
    assert "./usr/bin/layerloom -> /opt/layerloom/LayerLoom" in listing.stdout
    assert "./usr/share/applications/layerloom.desktop" in listing.stdout
    assert "./usr/share/mime/packages/layerloom.xml" in listing.stdout
    assert "./usr/share/icons/hicolor/256x256/apps/layerloom.png" in listing.stdout


def test_modules_shipped_with_their_source_exist_under_these_names():
    # A Keras/TensorFlow upgrade that moves them would silently bring AutoGraph's warnings back.
    from bundle_rules import SOURCE_MODULES

    for name in SOURCE_MODULES:
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin.endswith(".py"), name


def test_tarball_is_the_bundle_folder_in_xz_with_its_executable_bit(tmp_path):
    import tarfile

    bundle = tmp_path / "LayerLoom"
    (bundle / "_internal").mkdir(parents=True)
    (bundle / "LayerLoom").write_text("#!/bin/sh\necho hi\n")
    (bundle / "LayerLoom").chmod(0o755)
    archive = linux_installer.build_tarball(bundle, "1.2.3", tmp_path)
    assert archive.name.startswith("LayerLoom-1.2.3-linux-") and archive.name.endswith(".tar.xz")
    with tarfile.open(archive, "r:xz") as tar:
        exe = tar.getmember("LayerLoom/LayerLoom")
        assert exe.mode & 0o111 and exe.uid == 0
        assert "LayerLoom/_internal" in tar.getnames()


def test_the_script_runner_needs_only_what_the_bundle_ships():
    """A script import's child is the bundle's own binary (`LayerLoom _run-script`), running
    app.compiler.script_import.runner, which the spec collects with every app module: what the
    runner imports is the standard library, numpy, keras, TensorFlow (tf.data) and scikit-learn
    (dependencies all), none of it cut from the bundle."""
    import ast

    from bundle_rules import EXCLUDED_MODULES

    runner = PACKAGING.parent / "app" / "compiler" / "script_import" / "runner.py"
    imported = set()
    for node in ast.walk(ast.parse(runner.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            imported.add(node.module)
    tops = {name.split(".")[0] for name in imported}
    assert {"keras", "numpy"} <= tops
    # Besides the standard library: LayerLoom's own dependencies (scikit-learn, imported only
    # when the script names it, to record its k-fold splits), which the bundle ships.
    dependencies = {"keras", "numpy", "tensorflow", "sklearn", "__future__"}
    pyproject = (PACKAGING.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert '"scikit-learn' in pyproject.split("[project.optional-dependencies]")[0]
    others = tops - dependencies
    assert others <= sys.stdlib_module_names, others - sys.stdlib_module_names
    assert not {
        name
        for name in imported
        if name in EXCLUDED_MODULES or name.split(".")[0] in EXCLUDED_MODULES
    }
    spec = (PACKAGING / "layerloom.spec").read_text(encoding="utf-8")
    assert 'collect_submodules("app"' in spec
