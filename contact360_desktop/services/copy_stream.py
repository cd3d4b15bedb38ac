"""Read ``COPY ... TO STDOUT`` output in large chunks, as fast as libpq delivers it.

libpq hands COPY data over one row per call. psycopg's ``Copy`` iterator wraps
each call in its generator/wait machinery, which costs ~2.5 µs per row in
Python: more than PostgreSQL needs to produce a row of a plain export, so it
capped an export at about half the server's speed. Here psycopg starts the COPY
(and still ends it on errors: leaving the ``with`` early makes it cancel the
query server-side), and the rows are pulled with the documented libpq wrapper
(``PGconn.get_copy_data`` in non-blocking mode, ``select`` while waiting, so
the GIL is free and other threads keep running) into ~1 MiB chunks.
"""

from __future__ import annotations

import select
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg import pq


class CopyOutReader:
    """Iterate once over the chunks of a ``COPY (...) TO STDOUT``; ``rows`` is exact afterwards."""

    def __init__(self, conn: psycopg.Connection[Any], statement: Any, chunk_bytes: int) -> None:
        self.conn = conn
        self.statement = statement
        self.chunk_bytes = chunk_bytes
        self.rows: int | None = None

    def __iter__(self) -> Iterator[bytearray]:
        with self.conn.cursor() as cursor, cursor.copy(self.statement):
            yield from self._drain(self.conn.pgconn)

    def _drain(self, pgconn: pq.abc.PGconn) -> Iterator[bytearray]:
        buffer = bytearray()
        while True:
            nbytes, data = pgconn.get_copy_data(1)
            if nbytes > 0:
                buffer += data
                if len(buffer) >= self.chunk_bytes:
                    yield buffer
                    buffer = bytearray()
            elif nbytes == 0:  # nothing buffered: wait for the socket without holding the GIL
                select.select([pgconn.socket], [], [])
                pgconn.consume_input()
            elif nbytes == -1:  # end of data; the final result says whether the query succeeded
                break
            else:
                raise psycopg.OperationalError(pgconn.get_error_message())
        if buffer:
            yield buffer
        self.rows = self._final_row_count(pgconn)

    @staticmethod
    def _final_row_count(pgconn: pq.abc.PGconn) -> int:
        results = []
        while True:
            while pgconn.is_busy():
                select.select([pgconn.socket], [], [])
                pgconn.consume_input()
            result = pgconn.get_result()
            if result is None:
                break
            results.append(result)
        if len(results) != 1 or results[0].status != pq.ExecStatus.COMMAND_OK:
            failed = next((r for r in results if r.status != pq.ExecStatus.COMMAND_OK), None)
            message = (failed.error_message if failed is not None else b"unexpected COPY results").decode(
                "utf-8", "replace"
            )
            raise psycopg.DatabaseError(message.strip())
        return int(results[0].command_tuples or 0)
