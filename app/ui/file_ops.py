"""File menu work of the main window: new/open/save, recent files, examples, exports, recovery."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from app.errors import LayerLoomError
from app.project import PROJECT_SUFFIX, Project
from app.project.recovery import RecoveryEntry
from app.project.weights import WeightsFileError
from app.ui.document import KERAS_SUFFIX, Document
from app.ui.file_dialogs import PROJECT_DIR_KEY, remember_dir, start_dir
from app.ui.keras_loader import keras_for_gui
from app.ui.keras_origin import origin_project, remember_export

MAX_RECENT = 10
RECENT_KEY = "recent/files"
OPEN_FILTER = "LayerLoom projects, Keras models and scripts (*.llproj *.keras *.py);;LayerLoom projects (*.llproj);;Keras models (*.keras);;Keras training scripts (*.py)"


@contextmanager
def busy_cursor():
    """Show a wait cursor while a slow step (Keras build, import, save) runs."""
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        yield
    finally:
        QApplication.restoreOverrideCursor()


def export_keras_model(graph, path: str | os.PathLike) -> Path:
    """Build the model and write it with the .keras exporter (atomic, fsynced, keeps the mode);
    ExportError if a preprocessing layer has learned nothing yet (build_for_export)."""
    keras_for_gui()  # waits for the start-up import if it is under way, never races it
    from app.training.export import build_for_export, export_keras

    target = Path(path)
    if target.suffix.lower() != KERAS_SUFFIX:
        target = target.with_suffix(KERAS_SUFFIX)
    return export_keras(build_for_export(graph), target)


def export_project_script(graph, project, path: str | os.PathLike) -> list[Path]:
    """Write the project's Python script (and the weights file it loads, when the graph holds
    imported weights); the files written."""
    keras_for_gui()  # waits for the start-up import if it is under way, never races it
    from app.compiler.script_files import write_script

    return write_script(graph, project, path)


class FileOps:
    """Mixin for MainWindow: everything behind the File menu."""

    # ----- questions (methods, so tests can answer them) --------------------------------------------
    def ask_save_changes(self) -> str:
        """Ask Save / Discard / Cancel for unsaved changes; returns "save", "discard" or "cancel"."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Unsaved changes")
        box.setText(f"Save the changes to “{self.document.display_name}”?")
        box.setInformativeText("Your changes are lost if you don't save them.")
        box.setStandardButtons(
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel
        )
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        return {
            QMessageBox.StandardButton.Save: "save",
            QMessageBox.StandardButton.Discard: "discard",
        }.get(QMessageBox.StandardButton(answer), "cancel")

    def ask_restore(self, entries: list[RecoveryEntry]) -> bool:
        """Ask whether to restore the newest autosaved work."""
        newest = entries[0]
        from datetime import datetime

        when = datetime.fromtimestamp(newest.saved_at).strftime("%Y-%m-%d %H:%M")
        answer = QMessageBox.question(
            self,
            "Restore unsaved work?",
            f"LayerLoom closed without saving “{newest.name}” (autosaved {when}).\n\n"
            "Restore it? Choosing No discards the autosaved copy.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes,
        )
        return answer == QMessageBox.StandardButton.Yes

    def ask_open_origin(self, keras_path: Path, project: Path, reason: str) -> bool:
        """Offer the project a refused .keras file came from; True to open it."""
        answer = QMessageBox.question(
            self,
            f"Open {project.name} instead?",
            f"{reason}\n\n{keras_path.name} came from {project}. Open that project?",
            QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Open,
        )
        return answer == QMessageBox.StandardButton.Open

    # ----- asking first --------------------------------------------------------------------------
    def maybe_save(self) -> bool:
        """True when it is fine to replace/close the document (saved, discarded or clean)."""
        doc = self.document
        if doc is None or not doc.is_dirty:
            return True
        answer = self.ask_save_changes()
        if answer == "save":
            return self.save()
        if answer == "discard":
            self.autosave.discard_current()
            return True
        return False

    # ----- new / open ------------------------------------------------------------------------------
    def new_document(self) -> None:
        if self.maybe_save():
            self.autosave.discard_current()
            self.set_document(Document())
            self.statusBar().showMessage("New model.", 3000)

    def open_dialog(self) -> None:
        start = str(start_dir("project", self.document.path))
        path, _ = QFileDialog.getOpenFileName(self, "Open", start, OPEN_FILTER)
        if path:
            remember_dir("project", path)
            self.open_path(path)

    def open_path(self, path: str | os.PathLike, origin: str = "file") -> bool:
        """Open a .llproj or import a .keras file; errors are shown, the current document stays."""
        path = Path(path)
        if path.suffix.lower() == ".py":
            return self.open_script(path)
        classes_from = None  # the open project, when the file names classes it defines
        if path.suffix.lower() == KERAS_SUFFIX:
            opens, classes_from = self._keras_file_opens(path)
            if not opens:
                return False  # refused before asking about the open project's changes
        if not self.maybe_save():
            return False
        try:
            with busy_cursor():
                if path.suffix.lower() == KERAS_SUFFIX:
                    self.statusBar().showMessage(f"Importing {path.name}…")
                    doc = Document.import_keras(path, classes_from)
                else:
                    doc = Document.open_project(path, origin=origin)
        except LayerLoomError as exc:
            self.statusBar().showMessage(f"Could not open {path.name}.", 8000)
            self.show_error(f"Could not open {path.name}", str(exc))
            return False
        except OSError as exc:
            self.show_error(f"Could not open {path.name}", exc.strerror or str(exc))
            return False
        self.autosave.discard_current()
        self.set_document(doc)
        if origin == "file":
            self._add_recent(path)
        what = {"keras": "Imported", "example": "Opened the example"}.get(doc.origin, "Opened")
        shown = doc.project.name if doc.origin == "example" else path.name
        self.statusBar().showMessage(f"{what} {shown}", 5000)
        for note in getattr(doc.project, "warnings", []) or []:
            self.statusBar().showMessage(note, 8000)
        return True

    def ask_trust_script(self, path: Path) -> bool:
        """The trust dialog for a script (tests may override it); True to run it."""
        from app.ui.script_open import ScriptTrustDialog

        return ScriptTrustDialog(path, self).exec() == ScriptTrustDialog.DialogCode.Accepted

    def open_script(self, path: Path) -> bool:
        """Import a Keras script as a new unsaved project, once the user trusts it; the import
        runs on a worker thread behind a cancellable progress dialog.  True if it started."""
        from PySide6.QtWidgets import QProgressDialog

        from app.ui.script_open import ScriptImportWorker, imported_data_path

        if not path.is_file():
            self.show_error(f"Could not open {path.name}", f"'{path}' is not a file.")
            return False
        if not self.ask_trust_script(path):
            self.statusBar().showMessage(f"{path.name} was not run.", 5000)
            return False
        if not self.maybe_save():
            return False
        progress = QProgressDialog(
            f"Running {path.name} up to its first fit()…", "Cancel", 0, 0, self
        )
        progress.setWindowTitle("Opening a script")
        progress.setMinimumDuration(0)
        worker = ScriptImportWorker(path, imported_data_path(path), self)
        progress.canceled.connect(worker.cancel)
        worker.succeeded.connect(lambda result: self._script_imported(path, result))
        worker.failed.connect(lambda message: self._script_failed(path, message))
        worker.finished.connect(progress.close)
        worker.finished.connect(lambda: setattr(self, "script_worker", None))
        worker.finished.connect(worker.deleteLater)
        self.script_worker = worker
        self.statusBar().showMessage(f"Running {path.name}…")
        worker.start()
        progress.show()
        return True

    def _script_imported(self, path: Path, result) -> None:
        from PySide6.QtWidgets import QMessageBox

        from app.ui.script_open import report_text

        self.autosave.discard_current()
        doc = Document(result.project, None, origin="script")
        doc.mark_unsaved()  # a new project that exists only in memory
        self.set_document(doc)
        self.statusBar().showMessage(f"Imported {path.name}", 5000)
        text = report_text(result)
        if text:
            self.script_report = QMessageBox(
                QMessageBox.Icon.Information, f"Imported {path.name}", text, parent=self
            )
            self.script_report.setModal(False)
            self.script_report.show()

    def _script_failed(self, path: Path, message: str) -> None:
        self.statusBar().showMessage(f"Could not open {path.name}.", 8000)
        self.show_error(f"Could not open {path.name}", message)

    def _keras_file_opens(self, path: Path) -> tuple[bool, Project | None]:
        """Check a .keras file's archive and config (nothing runs); say why if it is refused.

        (True, project) when the file names classes of the open project (a run's model or an
        export of it) that the project defines and the user trusts: they open it.
        """
        from app.compiler.keras_file import ProjectCodeModelError, check_keras_file
        from app.training.run_model import project_defines, untrusted_names

        try:
            check_keras_file(path)
        except ProjectCodeModelError as exc:
            current = self.document.project if self.document is not None else None
            if current is not None and project_defines(current, exc.class_names):
                untrusted = untrusted_names(current, exc.class_names)
                if not untrusted:
                    return True, current
                self.statusBar().showMessage(f"Could not open {path.name}.", 8000)
                self.show_error(
                    f"Could not open {path.name}",
                    f"{path.name} holds {', '.join(untrusted)}, code of this project that has "
                    f"not been trusted yet, so none of it has run. Trust the project's code "
                    f"(Trust and run, above the canvas), then open the model again.",
                )
                return False, None
            project = origin_project(path)
            if project is not None and self.ask_open_origin(path, project, str(exc)):
                self.open_path(project)
            elif project is None:
                self.show_error(f"Could not open {path.name}", str(exc))
            return False, None
        except LayerLoomError as exc:
            self.statusBar().showMessage(f"Could not open {path.name}.", 8000)
            self.show_error(f"Could not open {path.name}", str(exc))
            return False, None
        return True, None

    def open_example(self, name: str) -> bool:
        from app.project.examples import example_path

        try:
            path = example_path(name)
        except KeyError:
            self.show_error("Example missing", f"There is no example called '{name}'.")
            return False
        return self.open_path(path, origin="example")

    # ----- save ----------------------------------------------------------------------------------
    def save(self) -> bool:
        doc = self.document
        if doc.path is None or doc.origin != "file":
            return self.save_as()
        return self.save_to(doc.path)

    def save_as(self) -> bool:
        doc = self.document
        suggested = doc.path or (
            start_dir("project") / f"{doc.project.name or 'model'}{PROJECT_SUFFIX}"
        )
        path, _ = QFileDialog.getSaveFileName(
            self, "Save project", str(suggested), f"LayerLoom projects (*{PROJECT_SUFFIX})"
        )
        if not path:
            return False
        remember_dir("project", path)
        if not path.endswith(PROJECT_SUFFIX):
            path += PROJECT_SUFFIX
        return self.save_to(path)

    def save_to(self, path: str | os.PathLike) -> bool:
        """Save the document to `path` (atomic); the previous file is kept if it fails."""
        try:
            with busy_cursor():
                written = self.document.save(path)
        except (LayerLoomError, OSError) as exc:
            self.show_error("Could not save", str(exc))
            return False
        self._add_recent(written)
        self.statusBar().showMessage(f"Saved {written.name}", 4000)
        return True

    # ----- export ---------------------------------------------------------------------------------
    def _ask_path(self, title: str, suffix: str, filter_: str, kind: str) -> Path | None:
        """A save dialog for a `kind` file, starting where the last one of that kind went."""
        stem = self.document.project.name or "model"
        start = start_dir(kind, self.document.path) / f"{stem}{suffix}"
        path, _ = QFileDialog.getSaveFileName(self, title, str(start), filter_)
        if not path:
            return None
        remember_dir(kind, path)
        p = Path(path)
        return p if p.suffix.lower() == suffix else p.with_suffix(suffix)

    def export_keras_dialog(self) -> None:
        path = self._ask_path(
            "Export Keras model", KERAS_SUFFIX, "Keras models (*.keras)", kind="keras"
        )
        if path is not None:
            self.export_keras(path)

    def export_keras(self, path: str | os.PathLike) -> bool:
        try:
            with busy_cursor():
                self.statusBar().showMessage("Building the Keras model…")
                written = export_keras_model(self.document.graph, path)
        except LayerLoomError as exc:
            self.show_error("Could not export the model", str(exc))
            if exc.node_id:
                self.reveal_node(exc.node_id)
            return False
        except Exception as exc:  # Keras errors while saving: report, keep running
            self.show_error("Could not export the model", f"{type(exc).__name__}: {exc}")
            return False
        if self.document.path is not None and self.document.origin == "file":
            remember_export(written, self.document.path)
        from app.ui.export_model import exported_input_note

        note = exported_input_note(self.document.project)
        self.statusBar().showMessage(
            f"Exported {written.name}." + (f" {note}" if note else ""), 20000 if note else 5000
        )
        return True

    def _model_exported(self, key: str, _message: str) -> None:
        """File > Export > Trained model wrote a .keras file: remember its project."""
        doc, path = self.document, self.exporter.last_path
        if key == "keras" and path is not None and doc.path is not None and doc.origin == "file":
            remember_export(path, doc.path)

    def export_script_dialog(self) -> None:
        path = self._ask_path("Export Python script", ".py", "Python scripts (*.py)", "script")
        if path is not None:
            self.export_script(path)

    def export_script(self, path: str | os.PathLike) -> bool:
        doc = self.document
        try:
            with busy_cursor():
                written = export_project_script(doc.graph, doc.project, path)
        except (LayerLoomError, OSError) as exc:
            self.show_error("Could not export the script", str(exc))
            return False
        self.statusBar().showMessage(f"Exported {', '.join(p.name for p in written)}", 5000)
        return True

    def export_plots_dialog(self, fmt: str) -> None:
        """File > Export > Training plots as PNG / SVG / CSV (one file per plot)."""
        from app.ui.plot_export import plotted_cards

        if not plotted_cards(self._training_plots()):
            self.show_error("No plots to export", "Train the model first: its plots are empty.")
            return
        label = f"{fmt.upper()} files (*.{fmt})"
        path = self._ask_path(f"Export training plots as {fmt.upper()}", f".{fmt}", label, "plots")
        if path is not None:
            self.export_plots(path, fmt)

    def export_plots(self, path: str | os.PathLike, fmt: str) -> list[Path]:
        """Write each training plot as <stem>_<plot>.<fmt> next to `path`."""
        from app.ui.plot_export import export_training_plots

        try:
            with busy_cursor():
                written = export_training_plots(self._training_plots(), Path(path), fmt)
        except (OSError, ValueError) as exc:
            self.show_error("Could not export the plots", str(exc))
            return []
        self.statusBar().showMessage(
            f"Exported {len(written)} plot{'s' * (len(written) != 1)} to {Path(path).parent}", 6000
        )
        return written

    def export_image_dialog(self, fmt: str) -> None:
        label = "PNG images (*.png)" if fmt == "png" else "SVG drawings (*.svg)"
        path = self._ask_path(f"Export graph as {fmt.upper()}", f".{fmt}", label, "image")
        if path is not None:
            self.export_image(path, fmt)

    def export_image(self, path: str | os.PathLike, fmt: str | None = None) -> bool:
        from app.ui.canvas import export

        fmt = fmt or Path(path).suffix.lstrip(".").lower()
        try:
            with busy_cursor():
                (export.export_png if fmt == "png" else export.export_svg)(self.scene, path)
        except (LayerLoomError, OSError) as exc:
            self.show_error("Could not export the graph", str(exc))
            return False
        self.statusBar().showMessage(f"Exported {Path(path).name}", 5000)
        return True

    # ----- recent files and examples ---------------------------------------------------------------
    def recent_files(self) -> list[str]:
        value = QSettings().value(RECENT_KEY, [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _add_recent(self, path) -> None:
        p = str(Path(path).resolve())
        files = [p] + [f for f in self.recent_files() if f != p]
        QSettings().setValue(RECENT_KEY, files[:MAX_RECENT])
        QSettings().setValue(PROJECT_DIR_KEY, str(Path(p).parent))
        self._refresh_recent_menu()

    def _refresh_recent_menu(self) -> None:
        menu = self.actions_.recent_menu
        menu.clear()
        files = [f for f in self.recent_files() if Path(f).exists()]
        for i, f in enumerate(files):
            act = menu.addAction(f"&{i + 1}  {Path(f).name}", lambda f=f: self.open_path(f))
            act.setStatusTip(f)
            act.setToolTip(f)
        if not files:
            menu.addAction("No recent files").setEnabled(False)
        else:
            menu.addSeparator()
            menu.addAction("Clear Recent", self._clear_recent)

    def _clear_recent(self) -> None:
        QSettings().setValue(RECENT_KEY, [])
        self._refresh_recent_menu()

    def _refresh_examples_menu(self) -> None:
        from app.project.examples import list_examples

        menu = self.actions_.examples_menu
        menu.clear()
        for name, title, _path in list_examples():
            menu.addAction(title, lambda n=name: self.open_example(n))
        if menu.isEmpty():
            menu.addAction("No examples installed").setEnabled(False)

    # ----- recovery ------------------------------------------------------------------------------
    def offer_recovery(self) -> bool:
        """If a crashed session left autosaved work, ask to restore it; True if restored."""
        entries = self.autosave.pending()
        if not entries:
            return False
        newest = entries[0]
        if not self.ask_restore(entries):
            self.autosave.store.discard(newest.key)
            return False
        try:
            doc = Document.from_snapshot(self.autosave.store.load(newest.key))
        except (LayerLoomError, ValueError) as exc:
            self.show_error("Could not restore", str(exc))
            return False
        try:
            self.autosave.store.load_weights(newest.key, doc.project.graph)
        except WeightsFileError as exc:  # the work comes back, the weights do not
            self.show_error(
                "Imported weights not restored",
                f"The autosaved work is back, but the weights of its imported layers "
                f"could not be read: {exc}. Those layers start from new weights.",
            )
        doc.mark_unsaved()
        self.set_document(doc)
        # The snapshot stays until the restored work is saved or discarded: this session now
        # owns it (re-keyed if the key changed), so another LayerLoom does not offer it too.
        self.autosave.autosave_now()
        if doc.recovery_key != newest.key:
            self.autosave.store.discard(newest.key)
        self.statusBar().showMessage(f"Restored unsaved work: {newest.name}", 6000)
        return True
