"""JSON-only serialization: round trips, gzip on the wire, and non-JSON arguments refused at enqueue."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import uuid
from pathlib import Path

import pytest
from huey.registry import Message
from huey.utils import Error

from contact360_desktop.tasks.app import TaskApp
from contact360_desktop.tasks.serializer import JsonSerializer, NotJsonSerializable
from tests.tasks import sim_tasks
from tests.tasks.fixtures import drain

pytestmark = pytest.mark.timeout(60)

VALUES = {
    "naive": dt.datetime(2024, 5, 1, 12, 30, 15, 123456),
    "aware": dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC),
    "day": dt.date(2024, 2, 29),
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "pair": (1, "two", None),
    "nested": {"list": [1.5, True, {"~": "looks like a tag"}], "text": "ünïcødé"},
}


def test_round_trip_of_tagged_values() -> None:
    serializer = JsonSerializer()
    assert serializer.deserialize(serializer.serialize(VALUES)) == VALUES
    message = Message("id-1", "mod.task", VALUES["naive"], 3, 60, 5, ("job",), {"k": VALUES["id"]})
    assert serializer.deserialize(serializer.serialize(message)) == message
    error = Error({"error": "boom", "retries": 0})
    assert serializer.deserialize(serializer.serialize(error)) == error


def test_messages_are_gzipped_json() -> None:
    data = JsonSerializer().serialize({"a": [1, 2, 3]})
    assert data[:2] == b"\x1f\x8b"
    assert json.loads(gzip.decompress(data)) == {"a": [1, 2, 3]}


@pytest.mark.parametrize(
    ("args", "fragment"),
    [((Path("/tmp/x"),), "args[0] is a pathlib"), (({1: "x"},), "int key"), ((object(),), "builtins.object")],
)
def test_non_json_arguments_fail_at_enqueue(app: TaskApp, args: tuple[object, ...], fragment: str) -> None:
    with pytest.raises(NotJsonSerializable, match="not JSON|JSON") as info:
        app.enqueue(sim_tasks.echo, *args)
    assert fragment in str(info.value)
    assert app.queue_depths()["default"] == 0


def test_task_arguments_and_results_round_trip_through_the_broker(app: TaskApp) -> None:
    task_id = app.enqueue(sim_tasks.echo, VALUES)
    raw = app.hueys["default"].storage.enqueued_items()[0]
    assert raw[:2] == b"\x1f\x8b"
    drain(app, lambda: app.task_state(task_id).state == "SUCCESS")
    assert app.result(task_id) == VALUES


def test_broker_retry_gives_up_with_a_clear_error() -> None:
    from contact360_desktop.tasks.brokers import BrokerUnavailable, retry_broker

    calls: list[float] = []

    def down() -> None:
        raise ConnectionRefusedError("connection refused")

    with pytest.raises(
        BrokerUnavailable, match=r"worker start-up: broker unreachable after 10 attempts \(Connection"
    ):
        retry_broker(down, "worker start-up", attempts=10, backoff_max=5.0, sleep=calls.append)
    assert calls == [0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0, 5.0, 5.0]
