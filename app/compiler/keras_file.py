"""Reading untrusted .keras files: check the archive and every config before Keras runs anything.

Order of checks (DESIGN.md, Security): a local regular file -> read once into memory -> a zip
with only expected members -> config.json within size limits -> every nested object in it is
a Keras class or a registered LayerLoom layer, with no Lambda, TFSMLayer, file-backed lookup
vocabulary or serialized Python function -> only then `keras.saving.load_model(...,
safe_mode=True, compile=False)` on a private copy of the same bytes, and `import_model`.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from app.compiler.custom_code import SERIALIZABLE_PACKAGE
from app.errors import ImportModelError, UnsafeModelError
from app.keras_internals import PRIVATE_FUNCTION_MODULES
from app.model.graph import ModelGraph

MIN_KERAS = (3, 15, 1)
MAX_FILE_BYTES = 4 << 30
MAX_CONFIG_BYTES = 64 << 20
MAX_MEMBERS = 10_000
MAX_NESTING = 200
BOMB_FLOOR_BYTES = 64 << 20
BOMB_MAX_EXPANSION = 100

# Classes refused wherever they appear, with the reason shown to the user.
REFUSED_CLASSES = {
    "Lambda": "Lambda layers run Python code stored in the file",
    "TFSMLayer": "TFSMLayer loads and runs a TensorFlow SavedModel from disk",
}
# Config keys whose text value would make Keras read a file named by the model.
FILE_KEYS = ("vocabulary", "vocabulary_file", "idf_weights", "filepath")
# Keras' own markers for plain values (tensors, tuples, arrays); "__lambda__" is not one.
PLAIN_MARKERS = frozenset(
    {"__keras_tensor__", "__tuple__", "__numpy__", "__bytes__", "__tensor__", "__typespec__",
     "__slice__", "__ellipsis__"}
)  # fmt: skip
# Functions a layer config may name (activations, ops); anything else is refused.
FUNCTION_MODULES = ("keras.activations", "keras.ops", *PRIVATE_FUNCTION_MODULES)
_TOP_MEMBER = re.compile(r"^[A-Za-z0-9_.\-]+\.(?:json|h5|npz)$")
_ASSET_MEMBER = re.compile(r"^assets/(?:[A-Za-z0-9_.\-]+/)*[A-Za-z0-9_.\-]*$")
REGISTERED_PREFIX = "layerloom>"
# How Keras names the classes of CustomLayer nodes (custom_code registers them so).
PROJECT_CODE_PREFIX = f"{SERIALIZABLE_PACKAGE}>"


class ProjectCodeModelError(UnsafeModelError):
    """A .keras file LayerLoom saved from a project with custom layers: their code is not in it."""

    def __init__(self, message: str, class_names: list[str], *, path: str | None = None):
        super().__init__(message, path=path)
        self.class_names = class_names


def load_keras_file(path: str | os.PathLike) -> ModelGraph:
    """An editable graph of the model in a .keras file, refusing files that could run code."""
    file, data = _checked(path)
    model = _load(file, data)
    from app.compiler.importer import import_model

    try:
        return import_model(model)
    except ImportModelError as exc:
        raise type(exc)(f"{file.name}: {exc.message}", path=str(file)) from None


def check_keras_file(path: str | os.PathLike) -> None:
    """Raise what load_keras_file would refuse the file for, reading config.json only.

    Nothing is built and no weights are read, so the app can check a file before it asks to
    save the open project.
    """
    _checked(path)


def load_checked_model(
    path: str | os.PathLike, *, compile: bool = False, custom_objects: dict | None = None
) -> Any:
    """The keras.Model in a .keras file (a run's best or final model), after the same checks.

    With `compile`, the file's compile_config (optimizer, losses, metrics) is checked by the
    same rules before Keras reads it.  `custom_objects` ({name: object} of a project's trusted
    code) are the project classes and functions the file may name (layerloom_custom>name).
    """
    allowed = frozenset(custom_objects or ())
    file, data = _checked(path, allowed)
    if compile:
        compile_config = read_config(file, data).get("compile_config")
        try:
            check_config({"compile": compile_config}, file.name, allowed)
        except UnsafeModelError as exc:
            exc.path = str(file)
            raise
    return _load(file, data, compile=compile, custom_objects=custom_objects)


def _checked(path: str | os.PathLike, allowed: frozenset = frozenset()) -> tuple[Path, bytes]:
    raw = os.fspath(path)
    if re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://", str(raw)):
        raise ImportModelError(f"'{raw}' is not a local file; download it first.", path=str(raw))
    file = Path(raw)
    data = read_local_file(file)
    config = read_config(file, data)
    try:
        check_config(config, file.name, allowed)
    except UnsafeModelError as exc:
        exc.path = str(file)
        raise
    return file, data


def read_local_file(file: Path) -> bytes:
    """The bytes of a local, regular .keras file (read once, so the checks see what loads)."""
    text = str(file)
    suffix = file.suffix.lower()
    if suffix in (".h5", ".hdf5"):
        raise ImportModelError(
            f"'{file.name}' is a legacy HDF5 model; LayerLoom opens only .keras files, whose "
            "loading can be checked safely. Re-save it with model.save('name.keras').",
            path=text,
        )
    if suffix != ".keras":
        raise ImportModelError(f"'{file.name}' is not a .keras file.", path=text)
    try:
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise ImportModelError(f"'{file.name}' does not exist.", path=text) from None
    except OSError as exc:
        raise ImportModelError(f"Cannot open '{file.name}': {exc.strerror}.", path=text) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise ImportModelError(f"'{file.name}' is not a regular file.", path=text)
    with os.fdopen(fd, "rb") as f:
        if info.st_size > MAX_FILE_BYTES:
            raise ImportModelError(f"'{file.name}' is larger than 4 GiB.", path=text)
        data = f.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ImportModelError(f"'{file.name}' is larger than 4 GiB.", path=text)
    return data


def read_config(file: Path, data: bytes) -> dict[str, Any]:
    """config.json of the archive, after checking every member name and size."""
    name, text = file.name, str(file)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise ImportModelError(
            f"'{name}' is not a valid .keras file (not a zip archive, or damaged).", path=text
        ) from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise UnsafeModelError(f"'{name}' holds too many files ({len(infos)}).", path=text)
        seen: set[str] = set()
        for info in infos:
            _check_member(info, name, text)
            if info.filename in seen:
                raise UnsafeModelError(
                    f"'{name}' holds '{info.filename}' twice; refusing an ambiguous archive.",
                    path=text,
                )
            seen.add(info.filename)
        if "config.json" not in seen:
            raise ImportModelError(f"'{name}' has no config.json; it is not a Keras model file.", path=text)  # fmt: skip
        info = zf.getinfo("config.json")
        if info.file_size > MAX_CONFIG_BYTES:
            raise UnsafeModelError(f"'{name}': config.json is larger than 64 MiB.", path=text)
        try:
            with zf.open(info) as f:
                raw = f.read(MAX_CONFIG_BYTES + 1)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            raise ImportModelError(f"'{name}' is damaged: {exc}.", path=text) from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise UnsafeModelError(f"'{name}': config.json is larger than 64 MiB.", path=text)
    try:
        config = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ImportModelError(f"'{name}': config.json is not valid JSON.", path=text) from None
    if not isinstance(config, dict) or not isinstance(config.get("config"), dict):
        raise ImportModelError(f"'{name}': config.json does not describe a Keras model.", path=text)
    return config


def _check_member(info: zipfile.ZipInfo, name: str, text: str) -> None:
    member = info.filename
    mode = info.external_attr >> 16
    bad = (
        member.startswith(("/", "\\"))
        or "\\" in member
        or "\x00" in member
        or ":" in member
        or any(part in ("..", ".") for part in member.split("/"))
    )
    if bad:
        raise UnsafeModelError(f"'{name}' holds a file with an unsafe path: {member!r}.", path=text)
    if stat.S_ISLNK(mode):
        raise UnsafeModelError(f"'{name}' holds a symbolic link: {member!r}.", path=text)
    if not (_TOP_MEMBER.match(member) or _ASSET_MEMBER.match(member)):
        raise UnsafeModelError(
            f"'{name}' holds an unexpected file {member!r}; a .keras file holds config.json, "
            "metadata.json, weights and assets/ only.",
            path=text,
        )
    if info.file_size > BOMB_FLOOR_BYTES and info.file_size > BOMB_MAX_EXPANSION * max(
        info.compress_size, 1
    ):
        raise UnsafeModelError(
            f"'{name}': {member} expands far beyond its stored size (a zip bomb?).", path=text
        )


def check_config(
    config: dict[str, Any], file_name: str = "the file", allowed: frozenset = frozenset()
) -> None:
    """Raise UnsafeModelError naming the layer and the reason if the config asks for code.

    `allowed`: names of project code (layerloom_custom>name) the caller has trusted and supplies.

    The model's compile_config is not checked: it is never read, since the model is
    loaded with compile=False.
    """
    top = {k: v for k, v in config.items() if k != "compile_config"}
    stack: list[tuple[Any, str, int]] = [(top, "the model", 0)]
    project_classes: list[str] = []  # custom layers whose code stayed in a LayerLoom project
    while stack:
        obj, where, depth = stack.pop()
        if depth > MAX_NESTING:
            raise UnsafeModelError(f"{file_name}: the model config is nested too deeply.")
        if isinstance(obj, list):
            stack.extend((v, where, depth + 1) for v in obj)
            continue
        if not isinstance(obj, dict):
            continue
        if "class_name" in obj:
            where = _describe(obj, where)
            registered = obj.get("registered_name")
            if obj.get("class_name") == "function" and isinstance(obj.get("config"), str):
                registered = obj["config"]  # a registered function: {"config": "package>name"}
            if isinstance(registered, str) and registered.startswith(PROJECT_CODE_PREFIX):
                if registered[len(PROJECT_CODE_PREFIX) :] not in allowed:
                    project_classes.append(registered[len(PROJECT_CODE_PREFIX) :])
                continue
            _check_object(obj, where, file_name)
        inner = obj.get("config")
        if isinstance(inner, dict) and "class_name" in obj:
            _check_file_keys(inner, where, file_name)
        stack.extend((v, where, depth + 1) for v in obj.values())
    if project_classes:
        names = ", ".join(sorted(set(project_classes)))
        raise ProjectCodeModelError(
            f"{file_name} was saved by LayerLoom from a project with custom layer code "
            f"({names}). That code is kept in the project, not in the .keras file, so the file "
            "cannot be opened on its own: open the project it came from, or load the file in "
            "Python with the class defined (custom_objects).",
            sorted(set(project_classes)),
        )


def _check_object(obj: dict[str, Any], where: str, file_name: str) -> None:
    cls = obj.get("class_name")
    module = obj.get("module")
    registered = obj.get("registered_name")
    if not isinstance(cls, str):
        raise UnsafeModelError(f"{file_name}: {where} has a class_name that is not text.")
    if cls == "__lambda__":
        raise UnsafeModelError(
            f"{file_name}: refused {where}: it stores a Python lambda function, which would run "
            "code from the file."
        )
    if cls in REFUSED_CLASSES:
        raise UnsafeModelError(f"{file_name}: refused {where}: {REFUSED_CLASSES[cls]}.")
    if module is None and cls in PLAIN_MARKERS:
        return
    if isinstance(registered, str) and registered.startswith(REGISTERED_PREFIX):
        if _is_layerloom_object(registered):
            return
        raise UnsafeModelError(
            f"{file_name}: refused {where}: '{registered}' is not a LayerLoom layer this version "
            "knows."
        )
    # Keras looks registered names ("package>Name") up before the module, so another package's
    # name could pick a class some imported library registered.  Keras' own carry no package.
    if registered is not None and (not isinstance(registered, str) or ">" in registered):
        raise UnsafeModelError(
            f"{file_name}: refused {where}: it asks for the registered object {registered!r}, "
            "which is not a LayerLoom layer."
        )
    if cls == "function":
        name = obj.get("config")
        foreign = not isinstance(name, str) or ">" in name  # a registered name, not layerloom's
        if not foreign and isinstance(module, str) and module.startswith(FUNCTION_MODULES):
            return
    elif isinstance(module, str) and (module == "keras" or module.startswith("keras.")):
        return
    origin = f"module {module!r}" if module else "no module"
    kind = "function" if cls == "function" else f"class {cls}"
    raise UnsafeModelError(
        f"{file_name}: refused {where}: {kind} comes from {origin}, not from Keras or "
        "LayerLoom; LayerLoom does not run code from other modules."
    )


def _check_file_keys(config: dict[str, Any], where: str, file_name: str) -> None:
    for key in FILE_KEYS:
        value = config.get(key)
        if isinstance(value, str) and value:
            raise UnsafeModelError(
                f"{file_name}: refused {where}: its {key} is a file path ({value!r}); "
                "LayerLoom does not let a model file read other files."
            )


def _describe(obj: dict[str, Any], outer: str) -> str:
    """How a message names an object: "layer 'lam' (Lambda)", or what contains it."""
    cls = obj.get("class_name")
    inner = obj.get("config")
    name = inner.get("name") if isinstance(inner, dict) else None
    if isinstance(name, str) and isinstance(cls, str) and not cls.startswith("__"):
        return f"layer '{name}' ({cls})"
    if outer != "the model":
        return f"{cls} inside {outer}"
    return f"{cls}"


def _is_layerloom_object(registered: str) -> bool:
    try:
        from app.compiler.custom_layers import ensure_registered
    except ImportError:
        return False
    return registered in ensure_registered()


def _keras_version_ok() -> bool:
    import keras

    parts = re.findall(r"\d+", keras.__version__)[:3]
    return tuple(int(p) for p in parts) >= MIN_KERAS


def _load(
    file: Path, data: bytes, compile: bool = False, custom_objects: dict | None = None
) -> Any:
    import keras

    if not _keras_version_ok():
        raise UnsafeModelError(
            f"Opening .keras files safely needs keras >= 3.15.1 (installed: {keras.__version__})."
        )
    try:
        # Load the very bytes that were checked, from a private copy: the user's file may
        # change after the checks (keras.saving.load_model takes paths, not file objects).
        with tempfile.TemporaryDirectory(prefix="layerloom-") as tmp:
            copy = Path(tmp) / "model.keras"
            fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            return keras.saving.load_model(
                copy, safe_mode=True, compile=compile, custom_objects=custom_objects
            )
    except Exception as exc:  # Keras raises many types; the user gets one plain sentence
        raise ImportModelError(
            f"Keras could not load '{file.name}': {_first_line(exc)}", path=str(file)
        ) from None


def _first_line(exc: BaseException) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("Traceback", "Exception encountered")):
            return line[:300]
    return type(exc).__name__
