"""A form for one scenario step: its kind, then only the fields that kind has.

Owns ``StepEditor``; imports QtWidgets/QtCore, ``steps``, ``ddp.ejson`` (an
expected result is EJSON) and ``ui.params_field``. ``step()`` builds the
value or says, in words, what is missing; OK stays off until it can.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ddp_monitor.ddp import ejson
from ddp_monitor.steps import (
    CallStep,
    Expect,
    ExpectKind,
    LoginStep,
    Step,
    StepKind,
    SubscribeStep,
    UnsubscribeStep,
    WaitStep,
)
from ddp_monitor.ui.params_field import ParamsField

__all__ = ["StepEditor"]

_INLINE = "the call written here"


class StepEditor(QDialog):
    """Make or change one step; ``saved_calls`` are the profile's call names."""

    def __init__(
        self,
        step: Step | None = None,
        saved_calls: Sequence[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Scenario step")
        self.kind = QComboBox()
        for kind in StepKind:
            self.kind.addItem(str(kind), str(kind))
        self.saved = QComboBox()
        self.saved.addItem(_INLINE, None)
        for name in saved_calls:
            self.saved.addItem(name, name)
        self.name = QLineEdit()
        self.params = ParamsField("parameters as a JSON array, e.g. [1, 2]")
        self.wait_ready = QCheckBox("wait for ready (fails at nosub)")
        self.wait_ready.setChecked(True)
        self.wait = QCheckBox("wait")
        self.no_retry = QCheckBox("noRetry")
        options = QHBoxLayout()
        options.setContentsMargins(0, 0, 0, 0)
        options.addWidget(self.wait)
        options.addWidget(self.no_retry)
        options.addStretch(1)
        self.options = QWidget()
        self.options.setLayout(options)
        self.seconds = QDoubleSpinBox()
        self.seconds.setRange(0.0, 24 * 3600.0)
        self.seconds.setDecimals(2)
        self.seconds.setValue(1.0)
        self.seconds.setSuffix(" s")
        self.expect = QComboBox()
        self.expect.addItem("any result (an error fails)", None)
        self.expect.addItem("this result", str(ExpectKind.RESULT))
        self.expect.addItem("this error", str(ExpectKind.ERROR))
        self.expected = QLineEdit()
        self.expected.setPlaceholderText(
            'EJSON, e.g. 3 or {"ok": true}; or an error code'
        )
        self.form = QFormLayout()
        self.form.addRow("Step", self.kind)
        self.form.addRow("Saved call", self.saved)
        self.form.addRow("Name", self.name)
        self.form.addRow("Parameters", self.params)
        self.form.addRow("", self.params.status_label)
        self.form.addRow("", self.wait_ready)
        self.form.addRow("Options", self.options)
        self.form.addRow("Seconds", self.seconds)
        self.form.addRow("Expect", self.expect)
        self.form.addRow("Value", self.expected)
        self.problem = QLabel()
        self.problem.setObjectName("validBad")
        self.problem.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        column.addLayout(self.form)
        column.addWidget(self.problem)
        column.addWidget(self.buttons)
        for signal in (
            self.kind.currentIndexChanged,
            self.saved.currentIndexChanged,
            self.expect.currentIndexChanged,
            self.name.textChanged,
            self.params.textChanged,
            self.expected.textChanged,
        ):
            signal.connect(self._update)
        if step is not None:
            self.show_step(step)
        self._update()

    def show_step(self, step: Step) -> None:
        if step.kind is None:
            return
        self.kind.setCurrentIndex(self.kind.findData(str(step.kind)))
        if isinstance(step, SubscribeStep | UnsubscribeStep):
            self.name.setText(step.name)
        if isinstance(step, SubscribeStep):
            self.params.setPlainText(ejson.stringify(list(step.params)))
            self.wait_ready.setChecked(step.wait_ready)
        if isinstance(step, CallStep):
            at = self.saved.findData(step.saved) if step.saved else 0
            self.saved.setCurrentIndex(max(at, 0))
            self.name.setText(step.method)
            self.params.setPlainText(ejson.stringify(list(step.params)))
            self.wait.setChecked(step.wait)
            self.no_retry.setChecked(step.no_retry)
            if step.expect is not None:
                self.expect.setCurrentIndex(self.expect.findData(str(step.expect.kind)))
                value = step.expect.value
                self.expected.setText(
                    str(value)
                    if step.expect.kind is ExpectKind.ERROR
                    else ejson.stringify(value)
                )
        if isinstance(step, WaitStep):
            self.seconds.setValue(step.seconds)

    def step(self) -> Step | str:
        """The step as filled in, or why it cannot be one yet."""
        kind = self._kind()
        if kind is StepKind.LOGIN:
            return LoginStep()
        if kind is StepKind.WAIT:
            return WaitStep(self.seconds.value())
        name = self.name.text().strip()
        saved = self.saved.currentData() if kind is StepKind.CALL else None
        if not name and saved is None:
            return (
                "Type a name." if kind is not StepKind.CALL else "Type a method name."
            )
        if kind is StepKind.UNSUBSCRIBE:
            return UnsubscribeStep(name)
        if saved is None and not self.params.valid:
            return f"Parameters: {self.params.error}"
        params = tuple(self.params.params)
        if kind is StepKind.SUBSCRIBE:
            return SubscribeStep(name, params, self.wait_ready.isChecked())
        expect = self._expectation()
        if isinstance(expect, str):
            return expect
        if saved is not None:
            return CallStep(saved=saved, expect=expect)
        return CallStep(
            name,
            params,
            self.wait.isChecked(),
            self.no_retry.isChecked(),
            expect=expect,
        )

    def _expectation(self) -> Expect | str | None:
        kind = self._expect_kind()
        text = self.expected.text().strip()
        if kind is None:
            return None
        if kind is ExpectKind.ERROR:
            if not text:
                return "Type the error code expected (Meteor.Error's error)."
            return Expect(kind, int(text) if text.isdigit() else text)
        try:
            return Expect(kind, ejson.from_json_value(json.loads(text)))
        except ValueError as exc:
            return f"The expected result is not EJSON: {exc}"

    # Qt hands a StrEnum item's data back as a plain str.
    def _kind(self) -> StepKind:
        return StepKind(self.kind.currentData())

    def _expect_kind(self) -> ExpectKind | None:
        data = self.expect.currentData()
        return None if data is None else ExpectKind(data)

    def _update(self) -> None:
        kind = self._kind()
        call = kind is StepKind.CALL
        inline = call and self.saved.currentData() is None
        named = kind in (StepKind.SUBSCRIBE, StepKind.UNSUBSCRIBE) or inline
        shown = {
            self.saved: call,
            self.name: named,
            self.params: kind is StepKind.SUBSCRIBE or inline,
            self.params.status_label: kind is StepKind.SUBSCRIBE or inline,
            self.wait_ready: kind is StepKind.SUBSCRIBE,
            self.options: inline,
            self.seconds: kind is StepKind.WAIT,
            self.expect: call,
            self.expected: call and self._expect_kind() is not None,
        }
        for widget, on in shown.items():
            self.form.setRowVisible(widget, on)
        self.name.setPlaceholderText(
            "method name" if call else "publication name, e.g. tasks"
        )
        built = self.step()
        why = built if isinstance(built, str) else ""
        self.problem.setText(why)
        self.problem.setVisible(bool(why))
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(not why)
