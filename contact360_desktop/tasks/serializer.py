"""JSON-only message and result serialization, gzip-compressed.

Huey ships only a pickle serializer (and ignores ``compression=True`` when given
another one), so this subclass replaces ``_serialize``/``_deserialize`` and turns
compression on in the base class. Pickle is out because a message is data any
worker or tool may read, not code.

Encoding: plain JSON for str/int/float/bool/None/list/dict-with-str-keys, and a
tagged object ``{"~": tag, "v": value}`` for what JSON lacks: datetime (naive
ones stay naive: Huey keeps UTC as naive datetimes), date, UUID, tuple, and the
three Huey structures that travel in messages and results (Message, Error,
ChordConfig). Anything else raises :class:`NotJsonSerializable` naming the
offending argument, so a bad call fails at enqueue, in the caller, not later in
a worker.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from huey.registry import Message
from huey.serializer import Serializer
from huey.utils import ChordConfig, Error

TAG = "~"


class NotJsonSerializable(TypeError):
    """A task argument or result that JSON cannot carry."""


def _tagged(tag: str, value: Any) -> dict[str, Any]:
    return {TAG: tag, "v": value}


def encode(obj: Any, path: str = "value") -> Any:
    """A JSON-ready structure for ``obj``; raises NotJsonSerializable with the path of the bad part."""
    if obj is None or isinstance(obj, (str, bool, int, float)):
        return obj
    if isinstance(obj, Message):
        fields = obj._asdict()
        return _tagged(
            "huey.message",
            {key: encode(value, _message_path(fields, key)) for key, value in fields.items()},
        )
    if isinstance(obj, Error):
        return _tagged("huey.error", encode(obj.metadata, f"{path}.metadata"))
    if isinstance(obj, ChordConfig):
        return _tagged("huey.chord", [encode(v, f"{path}[{i}]") for i, v in enumerate(obj)])
    if isinstance(obj, dt.datetime):
        return _tagged("datetime", obj.isoformat())
    if isinstance(obj, dt.date):
        return _tagged("date", obj.isoformat())
    if isinstance(obj, uuid.UUID):
        return _tagged("uuid", str(obj))
    if isinstance(obj, tuple):
        return _tagged("tuple", [encode(v, f"{path}[{i}]") for i, v in enumerate(obj)])
    if isinstance(obj, list):
        return [encode(v, f"{path}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, dict):
        for key in obj:
            if not isinstance(key, str):
                raise NotJsonSerializable(
                    f"{path} has a {type(key).__name__} key {key!r}: task data must be JSON (dict keys are strings)"
                )
        encoded = {key: encode(value, f"{path}[{key!r}]") for key, value in obj.items()}
        # A user dict that happens to look like a tag is escaped, so decoding is unambiguous.
        return _tagged("dict", encoded) if TAG in obj else encoded
    raise NotJsonSerializable(
        f"{path} is a {type(obj).__module__}.{type(obj).__qualname__}, which is not JSON-serialisable: "
        "pass str, int, float, bool, None, list, dict, datetime, date or UUID (e.g. an id instead of an object)"
    )


def _message_path(fields: dict[str, Any], key: str) -> str:
    name = str(fields.get("name") or "task").rsplit(".", 1)[-1]
    return f"{name}() {key}"


def decode(obj: Any) -> Any:
    if isinstance(obj, list):
        return [decode(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if TAG not in obj:
        return {key: decode(value) for key, value in obj.items()}
    tag, value = obj[TAG], obj["v"]
    if tag == "datetime":
        return dt.datetime.fromisoformat(value)
    if tag == "date":
        return dt.date.fromisoformat(value)
    if tag == "uuid":
        return uuid.UUID(value)
    if tag == "tuple":
        return tuple(decode(v) for v in value)
    if tag == "dict":
        return {key: decode(v) for key, v in value.items()}
    if tag == "huey.message":
        return Message(**{key: decode(v) for key, v in value.items()})
    if tag == "huey.error":
        return Error(decode(value))
    if tag == "huey.chord":
        return ChordConfig(*(decode(v) for v in value))
    raise ValueError(f"unknown tag {tag!r} in task data")


class JsonSerializer(Serializer):
    """Huey serializer: tagged JSON, gzip-compressed (the base class compresses)."""

    def __init__(self, compression_level: int = 6) -> None:
        super().__init__(compression=True, compression_level=compression_level, use_zlib=False)

    def _serialize(self, data: Any) -> bytes:
        return json.dumps(encode(data), separators=(",", ":"), allow_nan=False).encode("utf-8")

    def _deserialize(self, data: bytes) -> Any:
        return decode(json.loads(data.decode("utf-8")))
