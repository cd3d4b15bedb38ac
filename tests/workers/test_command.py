import sys

import pytest

from contact360_desktop.workers.command import worker_command


def test_worker_command_from_source() -> None:
    assert worker_command("--queues", "imports") == [
        sys.executable,
        "-m",
        "contact360_desktop",
        "worker",
        "--queues",
        "imports",
    ]


def test_worker_command_when_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert worker_command("--process") == [sys.executable, "worker", "--process"]
