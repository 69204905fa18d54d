"""Inspector: a form generated from the selected node's ParamSpecs; every change is one undo step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from app.errors import LayerLoomError
from app.model import GraphEvent, ModelGraph, OutputRef
from app.model import commands as cmds
from app.nodes import REGISTRY
from app.nodes.custom_code_specs import CUSTOM_LAYER_SPEC_ID
from app.nodes.custom_layer_code import params_following_code
from app.nodes.learned_state import learns_state
from app.nodes.validate import validate_value
from app.ui.code_param_editor import is_code_param, make_param_editor
from app.ui.data.worker import TaskRunner
from app.ui.icons import category_icon
from app.ui.learned_state_box import LearnedStateBox
from app.ui.palette import display_name
from app.ui.panels.summary import format_shape
from app.ui.param_editors import ParamEditor
from app.ui.wheel_guard import WheelGuard
from app.ui.wording import counted


class Inspector(QScrollArea):
    """Edits one node: name, trainable, shared layer, model-output flag and every parameter."""

    status_message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self._graph: ModelGraph | None = None
        self._stack = None
        self._node_id: str | None = None
        self._spec_id: str | None = None
        self._report = None
        self.editors: dict[str, ParamEditor] = {}
        self._body: QWidget | None = None
        self.state_box: LearnedStateBox | None = None
        # Returns the open project (its data feeds "Adapt now"); set by the window.
        self.project_of: Callable[[], Any] | None = None
        self._tasks = TaskRunner(self)
        self._show_hint("Select a layer on the canvas to edit it.")

    # ----- wiring ------------------------------------------------------------------------------
    def set_context(self, graph: ModelGraph | None, undo_stack) -> None:
        """Edit nodes of `graph`, pushing commands on `undo_stack`."""
        if self._graph is not None:
            self._graph.events.disconnect(self._on_event)
        self._graph, self._stack = graph, undo_stack
        if graph is not None:
            graph.events.connect(self._on_event)
        self.set_node(None)

    def set_report(self, report) -> None:
        self._report = report
        self._update_result()

    @property
    def node_id(self) -> str | None:
        return self._node_id

    def set_selection(self, node_ids: list[str]) -> None:
        """Follow the canvas selection: one node is edited, several get a hint."""
        if len(node_ids) == 1:
            self.set_node(node_ids[0])
        elif node_ids:
            self.set_node(None, hint=f"{len(node_ids)} layers selected.")
        else:
            self.set_node(None)

    def set_node(self, node_id: str | None, hint: str | None = None) -> None:
        if node_id is not None and (self._graph is None or node_id not in self._graph):
            node_id = None
        self._node_id = node_id
        if node_id is None:
            self._spec_id = None
            self._show_hint(hint or "Select a layer on the canvas to edit it.")
            return
        self._build()

    # ----- building the form ---------------------------------------------------------------------
    def shutdown(self) -> None:
        """Wait for an "Adapt now" still running (its result is dropped)."""
        self._tasks.shutdown()

    def _show_hint(self, text: str) -> None:
        self.editors = {}
        self.state_box = None
        body = QWidget()
        layout = QVBoxLayout(body)
        label = QLabel(text, body)
        label.setObjectName("emptyHint")
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addStretch(1)
        layout.addWidget(label)
        layout.addStretch(2)
        self._set_body(body)

    def _set_body(self, body: QWidget) -> None:
        old = self.takeWidget()
        if old is not None:
            old.deleteLater()
        self._body = body
        self.setWidget(body)
        if not hasattr(self, "_wheel_guard"):
            self._wheel_guard = WheelGuard(self)
        self._wheel_guard.guard(body)  # scrolling the inspector must not edit parameters

    def _build(self) -> None:
        node = self._graph.node(self._node_id)
        spec = REGISTRY[node.spec_id]
        self._spec_id = spec.id
        self.editors = {}
        body = QWidget()
        outer = QVBoxLayout(body)
        outer.setContentsMargins(10, 10, 10, 10)
        outer.setSpacing(8)

        icon = QLabel(body)
        icon.setPixmap(category_icon(spec.category).pixmap(28, 28))
        title = QLabel(display_name(spec) if spec.kind != "block" else "Block (nested model)", body)
        title.setObjectName("inspectorTitle")
        subtitle = QLabel(f"{spec.category} · {spec.id}", body)
        subtitle.setObjectName("inspectorSubtitle")
        head = QFormLayout()
        head.addRow(icon, title)
        outer.addLayout(head)
        outer.addWidget(subtitle)
        if spec.doc:
            doc = QLabel(spec.doc, body)
            doc.setWordWrap(True)
            doc.setObjectName("inspectorSubtitle")
            outer.addWidget(doc)
        self.result_label = QLabel("", body)
        self.result_label.setWordWrap(True)
        outer.addWidget(self.result_label)
        self.error_label = QLabel("", body)
        self.error_label.setObjectName("inspectorError")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        outer.addWidget(self.error_label)

        layer_box = QGroupBox("Layer", body)
        form = QFormLayout(layer_box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.name_edit = QLineEdit(node.name, layer_box)
        self.name_edit.setToolTip(
            "Keras layer name: letters, digits, '_', '-', '.'; unique in the model."
        )
        self.name_edit.editingFinished.connect(self._commit_name)
        form.addRow("Name", self.name_edit)
        self.trainable_box = QCheckBox("Weights are trained", layer_box)
        self.trainable_box.setToolTip("Unchecked freezes the layer (trainable=False).")
        self.trainable_box.toggled.connect(self._commit_trainable)
        self.shares_combo = QComboBox(layer_box)
        self.shares_combo.setToolTip(
            "Reuse the layer (and weights) of another node of the same type."
        )
        self.shares_combo.activated.connect(self._commit_shares)
        if spec.kind != "input":
            form.addRow("Trainable", self.trainable_box)
            form.addRow("Shares layer of", self.shares_combo)
        else:  # an Input has no weights and no layer to share
            self.trainable_box.hide()
            self.shares_combo.hide()
        self.output_box = QCheckBox("Is a model output", layer_box)
        self.output_box.setToolTip("The model returns this layer's result.")
        self.output_box.toggled.connect(self._commit_output)
        form.addRow("Output", self.output_box)
        outer.addWidget(layer_box)

        if spec.kind == "block" and node.subgraph is not None:
            info = QLabel(
                f"{counted(len(node.subgraph) - len(node.subgraph.inputs), 'layer')} inside, "
                f"{counted(len(node.subgraph.inputs), 'input')}, "
                f"{counted(len(node.subgraph.outputs), 'output')}. "
                "Double-click the block to open it.",
                body,
            )
            info.setWordWrap(True)
            outer.addWidget(info)

        self.state_box = None
        if learns_state(spec):
            self.state_box = LearnedStateBox(
                self._graph, node.id, self._push, self.project_of, self._tasks, self._said, body
            )
            outer.addWidget(self.state_box)

        basic = [p for p in spec.params if not p.advanced]
        advanced = [p for p in spec.params if p.advanced]
        if basic:
            box = QGroupBox("Parameters", body)
            self._add_params(QFormLayout(box), box, basic)
            outer.addWidget(box)
        if advanced:
            toggle = QToolButton(body)
            toggle.setText(f"Advanced ({len(advanced)})")
            toggle.setCheckable(True)
            toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            toggle.setArrowType(Qt.ArrowType.RightArrow)
            toggle.setAutoRaise(True)
            adv = QWidget(body)
            self._add_params(QFormLayout(adv), adv, advanced)
            adv.setVisible(False)

            def flip(on: bool, t=toggle, w=adv) -> None:
                t.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
                w.setVisible(on)

            toggle.toggled.connect(flip)
            self.advanced_toggle = toggle
            outer.addWidget(toggle)
            outer.addWidget(adv)
        outer.addStretch(1)
        self._set_body(body)
        self._refresh_values()

    def _add_params(self, form: QFormLayout, parent: QWidget, params) -> None:
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for ps in params:
            editor = make_param_editor(ps, parent)
            editor.committed.connect(lambda ps=ps, ed=editor: self._commit_param(ps.name, ed))
            label = QLabel(ps.name, parent)
            label.setToolTip(ps.doc)
            if is_code_param(ps):  # source code gets the full width, its name above it
                form.addRow(label)
                form.addRow(editor.widget)
            else:
                form.addRow(label, editor.widget)
            self.editors[ps.name] = editor

    # ----- model -> widgets ----------------------------------------------------------------------
    def _refresh_values(self) -> None:
        graph, node = self._graph, self._graph.node(self._node_id)
        spec = REGISTRY[node.spec_id]
        owner = graph.owner(node.id)
        self._quiet(self.name_edit, lambda: self.name_edit.setText(node.name))
        self._quiet(self.trainable_box, lambda: self.trainable_box.setChecked(owner.trainable))
        self._quiet(
            self.output_box,
            lambda: self.output_box.setChecked(any(o.node == node.id for o in graph.outputs)),
        )

        def fill_shares() -> None:
            self.shares_combo.clear()
            self.shares_combo.addItem("— its own layer —", None)
            for other in graph.nodes():
                if (
                    other.id != node.id
                    and other.spec_id == node.spec_id
                    and other.shared_with is None
                ):
                    self.shares_combo.addItem(other.name, other.id)
            idx = self.shares_combo.findData(node.shared_with)
            self.shares_combo.setCurrentIndex(max(idx, 0))

        self._quiet(self.shares_combo, fill_shares)
        shared = node.shared_with is not None
        self.shares_combo.setEnabled(not graph.sharers(node.id))
        self.trainable_box.setEnabled(not shared)
        for ps in spec.params:
            editor = self.editors.get(ps.name)
            if editor is not None:
                editor.set_value(owner.params.get(ps.name, ps.default))
                editor.set_read_only(shared)
        if self.state_box is not None:
            self.state_box.refresh()
        self._update_result()

    def _update_result(self) -> None:
        if self._node_id is None or not hasattr(self, "result_label") or self._body is None:
            return
        try:
            self.result_label.text()
        except RuntimeError:  # the form was replaced
            return
        res = self._report.nodes.get(self._node_id) if self._report is not None else None
        if res is None:
            self.result_label.setText("")
        elif res.error:
            self.result_label.setText(f"<span style='color:#d93f3f'>⚠ {res.error}</span>")
        else:
            shapes = ", ".join(format_shape(s) for s in res.output_shapes)
            self.result_label.setText(f"Output {shapes} · {res.params:,} params")

    @staticmethod
    def _quiet(widget: QWidget, fn) -> None:
        was = widget.blockSignals(True)
        try:
            fn()
        finally:
            widget.blockSignals(was)

    def _on_event(self, event: GraphEvent) -> None:
        if self._node_id is None or (
            event.kind == "node_changed" and set(event.fields) <= {"position"}
        ):
            return
        if self._node_id not in self._graph:
            self.set_node(None)
            return
        if self._graph.node(self._node_id).spec_id != self._spec_id:
            self._build()
        elif event.kind in ("node_changed", "outputs_changed", "node_added", "node_removed"):
            self._refresh_values()

    # ----- widgets -> model (commands) -----------------------------------------------------------
    def _said(self, text: str, is_error: bool) -> None:
        """What "Adapt now" reports: an error in the form, what was learned in the status bar."""
        if is_error:
            label = getattr(self, "error_label", None)
            if label is not None and isValid(label):
                self.show_error(text)
            else:
                self.status_message.emit(text)
        else:
            self.status_message.emit(text)

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))
        if text:
            self.status_message.emit(text)

    def _push(self, command) -> bool:
        from app.ui.undo import push

        try:
            push(self._stack, self._graph, command)
        except LayerLoomError as exc:
            self.show_error(str(exc))
            self._refresh_values()
            return False
        self.show_error("")
        return True

    def _build_and_push(self, **changes) -> bool:
        try:
            command = cmds.update_node(self._graph, self._node_id, **changes)
        except LayerLoomError as exc:
            self.show_error(str(exc))
            self._refresh_values()
            return False
        return self._push(command)

    def _commit_name(self) -> None:
        if self.sender() is not None and self._is_stale(self.sender()):
            return
        name = self.name_edit.text().strip()
        if self._node_id is None or name == self._graph.node(self._node_id).name:
            return
        self._build_and_push(name=name)

    def _commit_trainable(self, checked: bool) -> None:
        if self._node_id is not None and self._graph.node(self._node_id).trainable != checked:
            self._build_and_push(trainable=checked)

    def _commit_shares(self, _index: int) -> None:
        target = self.shares_combo.currentData()
        if self._node_id is not None and self._graph.node(self._node_id).shared_with != target:
            self._build_and_push(shared_with=target)

    def _commit_output(self, checked: bool) -> None:
        if self._node_id is None:
            return
        outs = [o for o in self._graph.outputs if o.node != self._node_id]
        if checked:
            outs.append(OutputRef(self._node_id, 0))
        if outs != self._graph.outputs:
            self._push(
                cmds.SetOutputs(outs, description=f"{'Mark' if checked else 'Unmark'} output")
            )

    def _is_stale(self, widget) -> bool:
        """True for a signal from a form that was replaced (e.g. focus left it after a reselect)."""
        return self._node_id is None or self._body is None or not self._body.isAncestorOf(widget)

    def _commit_param(self, name: str, editor: ParamEditor) -> None:
        """Validate the editor's value and push one UpdateNode; refuse bad values with a message."""
        if self._is_stale(editor.widget) or self.editors.get(name) is not editor:
            return
        node = self._graph.node(self._node_id)
        spec = REGISTRY[node.spec_id]
        ps = spec.param(name)
        try:
            value = validate_value(ps, editor.value())
        except ValueError as exc:
            self.show_error(f"{spec.class_name} '{node.name}': {name} {exc}")
            editor.set_value(node.params.get(name, ps.default))
            return
        if value == node.params.get(name, ps.default):
            self.show_error("")
            return
        if spec.id == CUSTOM_LAYER_SPEC_ID and name == "code":
            # the class and its arguments come from the code: one edit, one undo step
            changed = params_following_code({**spec.defaults(), **node.params}, value)
        else:
            changed = {name: value}
        params = dict(node.params)
        for key, new_value in changed.items():
            if new_value == spec.param(key).default:
                params.pop(key, None)
            else:
                params[key] = new_value
        self._build_and_push(params=params)
