"""What the bundle leaves out and which libraries get stripped: pure rules, tested without a build.

Each cut has a name so the build can report what it saved.  Paths are the destination names
PyInstaller gives files inside the bundle (`tensorflow/include/...`, `PySide6/Qt/lib/...`),
with "/" separators on every OS.
"""

from __future__ import annotations

import re

# Keras backends LayerLoom never selects (it runs on TensorFlow); jax (the jax extra) serves only
# the scripts `codegen --cluster jax` writes, which run outside the app.
OTHER_KERAS_BACKENDS = ("jax", "torch", "openvino")
EXCLUDED_MODULES = [
    *(f"keras.src.backend.{name}" for name in OTHER_KERAS_BACKENDS),
    "jax",
    "jaxlib",
    "torch",
    "openvino",
    "tensorboard",  # optional: the TensorBoard callback is offered only when it is installed
    # the optional onnx extra: the bundle ships without it (its ONNX export is greyed, as in a
    # source install without the extra); onnxruntime only runs the exported files in the tests
    "tf2onnx",
    "onnx",
    "onnxruntime",
    "tkinter",
    "matplotlib",
    "IPython",
    "pytest",
    "grpc",  # only TensorFlow's remote debugger server uses it
    "cryptography",  # only optional TLS extras of urllib3 use it
    # Qt modules LayerLoom and pyqtgraph's plots never import (pyqtgraph's curves do import
    # QtOpenGL and QtOpenGLWidgets: kept; its `import QtTest` may fail, it has a stand-in)
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtQuickWidgets",
    "PySide6.QtNetwork",
    "PySide6.QtPrintSupport",
    "PySide6.QtSql",
    "PySide6.QtTest",
    "PySide6.QtDBus",
    "PySide6.QtDesigner",
    "PySide6.QtHelp",
    "PySide6.QtConcurrent",
    "PySide6.QtXml",
    "PySide6.QtUiTools",
    "PySide6.QtMultimedia",
    "PySide6.QtPdf",
    "PySide6.QtSvgWidgets",
    "PySide6.QtStateMachine",
    "PySide6.QtWebEngineCore",
]

# Qt libraries (and their plugins / QML files) of modules LayerLoom never loads.
_UNUSED_QT = re.compile(
    r"Qt6?(Qml|Quick|Labs|Lottie|Designer|Help|Network|PrintSupport|Sql|Test|Pdf|"
    r"Multimedia|WebEngine|VirtualKeyboard|ShaderTools|Concurrent|Xml|UiTools|StateMachine|"
    r"SvgWidgets)",
)
# Qt plugin folders a desktop window needs (X11 and Wayland, input methods, images, styles).
_QT_PLUGIN_DIRS_KEPT = (
    "platforms",
    "platforminputcontexts",
    "platformthemes",
    "xcbglintegrations",
    "wayland-",
    "imageformats",
    "iconengines",
    "styles",
)

# Modules whose .py files go in beside their bytecode: AutoGraph reads the source of the
# functions it converts when a model is exported as a SavedModel or TFLite (Keras' serving
# signature, TensorFlow's signature wrapper); without it the frozen app prints "AutoGraph could
# not transform ..." warnings that the source install does not.  app itself: codegen pastes
# LayerLoom's own classes into scripts (inspect.getsource).
SOURCE_MODULES = (
    "app",
    "keras.src.backend.tensorflow.layer",
    "tensorflow.python.saved_model.signature_serialization",
)

# TensorFlow's native tools LayerLoom never loads (none is mapped while the window, train,
# evaluate, export to every format, import and codegen run): the StableHLO bindings, the AOT
# compiler, the old TOCO converter (TFLite export uses the MLIR one), and test helpers.
_TENSORFLOW_TOOLS = (
    "tensorflow/compiler/mlir/stablehlo/",
    "tensorflow/compiler/mlir/tensorflow_to_stablehlo/",
    "tensorflow/python/_pywrap_tfcompile.",
    "tensorflow/python/_pywrap_toco_api.",
    "tensorflow/python/autograph/impl/testing/",
    "tensorflow/python/framework/_python_memory_checker_helper.",
)

CUTS = (
    "tensorflow-include",
    "tensorflow-tools",
    "keras-other-backends",
    "qt-unused",
    "tensorboard",
)


def excluded_by(dest: str) -> str | None:
    """The cut that leaves the bundle file `dest` out, or None if it stays."""
    dest = dest.replace("\\", "/")
    if dest.startswith("tensorflow/include/"):
        return "tensorflow-include"
    if dest.startswith(_TENSORFLOW_TOOLS):
        return "tensorflow-tools"
    if dest.startswith("keras/src/backend/") and dest.split("/")[3] in OTHER_KERAS_BACKENDS:
        return "keras-other-backends"
    if dest.startswith(("tensorboard/", "tensorboard_data_server/")):
        return "tensorboard"
    if dest.startswith("PySide6/"):
        name = dest.rsplit("/", 1)[-1]
        if dest.startswith("PySide6/Qt/qml/") or dest.startswith(
            "PySide6/Qt/translations/qtwebengine"
        ):
            return "qt-unused"
        if dest.startswith("PySide6/Qt/plugins/"):
            kind = dest.split("/")[3]
            if not kind.startswith(_QT_PLUGIN_DIRS_KEPT):
                return "qt-unused"
        if _UNUSED_QT.search(name):
            return "qt-unused"
    return None


def is_tensorflow_library(dest: str) -> bool:
    """True for TensorFlow's own shared libraries: the only ones stripped.

    Stripping every library breaks numpy's OpenBLAS (and others that keep data in sections
    `strip` drops), so only files under tensorflow/ are touched.
    """
    dest = dest.replace("\\", "/")
    if not dest.startswith("tensorflow/"):
        return False
    name = dest.rsplit("/", 1)[-1]
    return name.endswith(".so") or ".so." in name
