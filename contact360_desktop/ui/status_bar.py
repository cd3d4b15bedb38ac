"""The main window's status bar: row counts, which database and broker, the connection state."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from contact360_desktop.ui.context import DB_FAILED, DB_READY, DB_STARTING, AppContext
from contact360_desktop.ui.listener import CONNECTED, CONNECTING, LOST, STOPPED


class StatusBar(QStatusBar):
    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        self.context = context
        self.count_label = QLabel(self)
        self.count_label.setObjectName("countLabel")
        self.database_label = QLabel(self)
        self.database_label.setObjectName("databaseLabel")
        self.broker_label = QLabel(self)
        self.broker_label.setObjectName("brokerLabel")
        self.connection_label = QLabel(self)
        self.connection_label.setObjectName("connectionLabel")
        self.addWidget(self.count_label)
        for label in (self.database_label, self.broker_label, self.connection_label):
            self.addPermanentWidget(label)
        self.connection_state = ""
        context.db_state_changed.connect(self._db_state)
        context.ready.connect(self._ready)
        self._db_state(context.db_state, context.db_detail)
        if context.is_ready:
            self._ready()

    def set_count(self, text: str) -> None:
        self.count_label.setText(text)

    def _db_state(self, state: str, detail: str) -> None:
        if state == DB_STARTING:
            self.database_label.setText("Database: starting…")
            self.database_label.setToolTip("The database is starting; the tables fill in when it is ready.")
            self._connection(CONNECTING, "")
        elif state == DB_FAILED:
            self.database_label.setText("Database: not available")
            self.database_label.setToolTip(detail)
            self._connection(LOST, detail)
        elif state == DB_READY:
            self.database_label.setText(f"Database: {self._short(detail)}")
            self.database_label.setToolTip(detail)

    def _ready(self) -> None:
        runtime = self.context.runtime
        broker = getattr(runtime, "broker_label", "") or ""
        self.broker_label.setText(f"Broker: {broker}")
        self.broker_label.setToolTip(broker)
        listener = self.context.listener
        if listener is not None:
            listener.state_changed.connect(self._connection)
            self._connection(listener.state, listener.detail)

    @staticmethod
    def _short(label: str) -> str:
        # "embedded PostgreSQL (/very/long/path/pgdata)" -> "embedded PostgreSQL" (full text in the tooltip)
        return label.split(" (", 1)[0] if label.startswith("embedded") else label

    def _connection(self, state: str, detail: str) -> None:
        self.connection_state = state
        text = {
            CONNECTED: "● Connected",
            CONNECTING: "○ Connecting…",
            LOST: "⚠ Connection lost — reconnecting",
            STOPPED: "○ Not connected",
        }.get(state, state)
        self.connection_label.setText(text)
        tip = {
            CONNECTED: "Live job updates are on.",
            CONNECTING: "Connecting to the database…",
            LOST: f"The database connection was lost ({detail}). Jobs are polled until it is back.",
            STOPPED: "",
        }.get(state, detail)
        self.connection_label.setToolTip(tip)
        if state == LOST and self.context.is_ready:
            self.showMessage("Database connection lost — retrying…", 5000)
        elif state == CONNECTED and self.context.is_ready:
            self.clearMessage()
