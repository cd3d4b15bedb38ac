"""Errors the import core raises."""

from __future__ import annotations


class FileRejected(Exception):
    """The whole file cannot be imported (empty, binary, undecodable, no email column...).

    Not retried: running the same file again fails the same way. ``message`` is one
    sentence a person can act on; the job shows it as its final message.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MappingError(ValueError):
    """A saved or hand-written column mapping is malformed (unknown target, bad JSON)."""
