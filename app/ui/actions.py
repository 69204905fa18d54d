"""The main window's actions and menus, with their shortcuts, built in one place."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QStyle, QToolBar

from app.ui.plot_export import PLOT_FORMATS
from app.ui.training.actions import TrainActions

SEQ = QKeySequence.StandardKey


def _action(window: QMainWindow, text: str, slot, shortcut=None, tip: str = "") -> QAction:
    act = QAction(text, window)
    if shortcut is not None:
        if isinstance(shortcut, list):
            act.setShortcuts([QKeySequence(s) for s in shortcut])
        else:
            act.setShortcut(QKeySequence(shortcut))
    if tip:
        act.setStatusTip(tip)
        act.setToolTip(tip)
    act.setShortcutVisibleInContextMenu(True)
    act.triggered.connect(lambda *_: slot())
    window.addAction(act)
    return act


class WindowActions:
    """Creates every QAction of `window` (a MainWindow) and its menu bar.

    It owns the menus: whoever adds to one gets it here (`export_menu`, `docks_menu`, ...).
    """

    def __init__(self, w) -> None:
        a = _action
        self.new = a(w, "&New", w.new_document, SEQ.New, "Start an empty model")
        self.open = a(
            w, "&Open…", w.open_dialog, SEQ.Open, "Open a LayerLoom project or a .keras model"
        )
        self.save = a(w, "&Save", w.save, SEQ.Save, "Save the project")
        self.save_as = a(
            w, "Save &As…", w.save_as, "Ctrl+Shift+S", "Save the project under a new name"
        )
        self.export_keras = a(
            w,
            "&Keras model (.keras)…",
            w.export_keras_dialog,
            tip="Build the model and save it as a .keras file",
        )
        self.export_script = a(
            w, "&Python script…", w.export_script_dialog, tip="Save the generated Keras script"
        )
        self.export_png = a(
            w,
            "Graph as P&NG…",
            lambda: w.export_image_dialog("png"),
            tip="Save a picture of the graph",
        )
        self.export_svg = a(
            w,
            "Graph as &SVG…",
            lambda: w.export_image_dialog("svg"),
            tip="Save a vector picture of the graph",
        )
        self.export_plots = [
            a(
                w,
                f"Training plots as {fmt.upper()}…",
                lambda fmt=fmt: w.export_plots_dialog(fmt),
                tip=f"Save every training plot as a {fmt.upper()} file",
            )
            for fmt in PLOT_FORMATS
        ]
        self.quit = a(w, "&Quit", w.close, "Ctrl+Q")

        undo = w.undo_group.createUndoAction(w, "&Undo")
        undo.setShortcut(QKeySequence(SEQ.Undo))
        redo = w.undo_group.createRedoAction(w, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        for act in (undo, redo):
            act.setShortcutVisibleInContextMenu(True)
            w.addAction(act)
        self.undo, self.redo = undo, redo
        self.cut = a(w, "Cu&t", w.cut, SEQ.Cut)
        self.copy = a(w, "&Copy", w.copy, SEQ.Copy)
        self.paste = a(w, "&Paste", w.paste, SEQ.Paste)
        self.duplicate = a(w, "D&uplicate", w.duplicate, "Ctrl+D")
        self.delete = a(
            w, "&Delete", w.delete_selection, [QKeySequence(SEQ.Delete), QKeySequence("Backspace")]
        )
        self.select_all = a(w, "Select &All", w.select_all, SEQ.SelectAll)
        self.group = a(
            w,
            "&Group into Block",
            w.group_selection,
            "Ctrl+G",
            "Make the selected layers a nested model",
        )
        self.ungroup = a(
            w,
            "U&ngroup Block",
            w.ungroup_selection,
            "Ctrl+Shift+G",
            "Replace a block by its layers",
        )

        # Single-key shortcuts only act while the canvas has focus, so typing elsewhere is safe.
        self.fit = a(w, "&Fit to Window", w.fit_to_view, "F")
        self.zoom_in = a(w, "Zoom &In", w.zoom_in, SEQ.ZoomIn)
        self.zoom_out = a(w, "Zoom &Out", w.zoom_out, SEQ.ZoomOut)
        self.layout = a(
            w, "Auto-&layout", w.auto_layout, "Ctrl+L", "Arrange the layers left to right"
        )
        self.leave_block = a(
            w, "&Leave Block", w.leave_block, "Alt+Up", "Back to the enclosing model"
        )
        self.quick_add = a(
            w, "&Quick Add Layer…", w.quick_add, "Tab", "Search a layer and add it at the cursor"
        )
        for act in (self.fit, self.quick_add):
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            w.removeAction(act)
        self.theme_group = QActionGroup(w)
        self.themes: dict[str, QAction] = {}
        for mode, label in (("system", "&System"), ("light", "&Light"), ("dark", "&Dark")):
            act = QAction(label, w, checkable=True)
            act.triggered.connect(lambda _=False, m=mode: w.set_theme(m))
            self.theme_group.addAction(act)
            self.themes[mode] = act

        self.train = TrainActions(w)
        train = self.train
        for act, slot in (
            (train.start, w.start_training),
            (train.stop, w.stop_training),
            (train.pause, w.pause_training),
            (train.resume, w.resume_training),
            (train.show, w.show_training_panel),
        ):
            act.triggered.connect(lambda *_, slot=slot: slot())
            w.addAction(act)

        self.about = a(w, "&About LayerLoom", w.about)
        self.keras_docs = a(w, "&Keras Documentation (keras.io/api)", w.open_keras_docs)

        self.selection_actions = [self.cut, self.copy, self.duplicate, self.delete, self.group]
        self._build_menus(w)
        self._build_toolbar(w)

    def canvas_only(self, view) -> None:
        """Tie the single-key shortcuts to the canvas view."""
        for act in (self.fit, self.quick_add):
            view.addAction(act)

    def _build_toolbar(self, w) -> None:
        """A slim toolbar with the everyday file, undo and canvas actions."""
        style = w.style()
        sp = QStyle.StandardPixmap
        for act, pix in (
            (self.new, sp.SP_FileIcon),
            (self.open, sp.SP_DialogOpenButton),
            (self.save, sp.SP_DialogSaveButton),
        ):
            act.setIcon(style.standardIcon(pix))
        self.recolor_icons(w.palette().color(w.palette().ColorRole.WindowText))
        bar = QToolBar("Main", w)
        bar.setObjectName("toolbar_main")
        bar.setMovable(False)
        bar.setIconSize(QSize(18, 18))
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bar.addActions([self.new, self.open, self.save])
        bar.addSeparator()
        bar.addActions([self.undo, self.redo])
        bar.addSeparator()
        for act, label in (
            (self.fit, "Fit"),
            (self.layout, "Auto-layout"),
            (self.quick_add, "Add layer…"),
        ):
            button = bar.addAction(label, act.trigger)
            button.setToolTip(f"{act.text().replace('&', '')} ({act.shortcut().toString()})")
        bar.addSeparator()
        export = bar.addAction("Export .keras…", self.export_keras.trigger)
        export.setToolTip(self.export_keras.statusTip())
        for act in (self.undo, self.redo):  # their text grows with the command name
            bar.widgetForAction(act).setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        w.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        self.toolbar = bar

    def recolor_icons(self, color) -> None:
        """Redraw the theme-coloured icons (after a light/dark switch)."""
        from app.ui.icons import action_icon

        self.undo.setIcon(action_icon("undo", color))
        self.redo.setIcon(action_icon("redo", color))

    def _build_menus(self, w) -> None:
        bar = w.menuBar()
        file = bar.addMenu("&File")
        file.addActions([self.new, self.open])
        self.recent_menu = QMenu("Open &Recent", w)
        file.addMenu(self.recent_menu)
        self.examples_menu = QMenu("&Examples", w)
        file.addMenu(self.examples_menu)
        file.addSeparator()
        file.addActions([self.save, self.save_as])
        export = file.addMenu("&Export")
        export.addActions([self.export_keras, self.export_script])
        export.addSeparator()
        export.addActions([self.export_png, self.export_svg])
        export.addSeparator()
        export.addActions(self.export_plots)
        self.export_menu = export
        file.addSeparator()
        file.addAction(self.quit)

        edit = bar.addMenu("&Edit")
        edit.addActions([self.undo, self.redo])
        edit.addSeparator()
        edit.addActions([self.cut, self.copy, self.paste, self.duplicate, self.delete])
        edit.addSeparator()
        edit.addAction(self.select_all)
        edit.addSeparator()
        edit.addActions([self.group, self.ungroup])

        view = bar.addMenu("&View")
        view.addActions([self.fit, self.zoom_in, self.zoom_out])
        view.addSeparator()
        view.addActions([self.layout, self.quick_add, self.leave_block])
        view.addSeparator()
        theme = view.addMenu("&Theme")
        theme.addActions(list(self.themes.values()))
        self.docks_menu = view.addMenu("&Panels")

        self.train.fill_menu(bar.addMenu("&Train"))

        help_ = bar.addMenu("&Help")
        help_.addAction(self.keras_docs)
        help_.addSeparator()
        help_.addAction(self.about)
