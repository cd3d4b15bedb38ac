"""The two brokers, one Huey instance per queue, and reading several queues in priority order.

- Redis (``CONTACT360_REDIS_URL`` set): ``PriorityRedisExpireHuey`` per queue
  (sorted-set queue with per-task priority; results expire after
  ``TaskConfig.result_ttl``). The three instances share one connection pool.
- PostgreSQL (default; the app database, embedded or not): Huey's
  ``PostgresStorage`` subclassed as :class:`ExpiringPostgresStorage`, so results
  and task states expire as on Redis. Its tables come from migration 0003.

One Huey per queue gives each queue its own storage name, so a worker can serve
any subset of queues and each queue scales on its own. A worker serving several
queues reads them with :class:`MultiQueueReader`, which always takes from the
highest-priority non-empty queue (Redis: one ``BZPOPMIN`` over the queue keys
in priority order, which pops from the first non-empty key; PostgreSQL: one
``DELETE ... ORDER BY queue rank, priority DESC, id ... SKIP LOCKED`` and LISTEN
on every queue's channel). Within a queue Huey's per-task priority applies.

Broker calls are retried with bounded exponential back-off
(:func:`retry_broker`, ``TaskConfig.broker_attempts``), then fail with
:class:`BrokerUnavailable`, whose message says which broker and why.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import psycopg
import redis
from huey import Huey, PriorityRedisExpireHuey
from huey.constants import EmptyData
from huey.storage import PostgresStorage

from contact360_desktop.settings import Settings
from contact360_desktop.storage.db import database_url, libpq_dsn
from contact360_desktop.tasks.config import TaskConfig
from contact360_desktop.tasks.serializer import JsonSerializer

log = logging.getLogger(__name__)

T = TypeVar("T")

_NOW = "extract(epoch from clock_timestamp())"


class BrokerUnavailable(RuntimeError):
    """The broker stayed unreachable through every retry."""


def is_broker_error(exc: BaseException) -> bool:
    """A connection-level failure talking to Redis or PostgreSQL (worth retrying)."""
    return isinstance(
        exc,
        (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, psycopg.OperationalError, OSError),
    )


def retry_broker(
    call: Callable[[], T],
    what: str,
    attempts: int = 10,
    backoff_max: float = 5.0,
    sleep: Callable[[float], Any] = time.sleep,
) -> T:
    """Run ``call``; on connection errors retry with back-off 0.2 s, 0.4 s, ... capped at ``backoff_max``."""
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except Exception as exc:
            if not is_broker_error(exc):
                raise
            if attempt == attempts:
                raise BrokerUnavailable(
                    f"{what}: broker unreachable after {attempts} attempts ({exc.__class__.__name__}: {exc})"
                ) from exc
            delay = min(0.2 * 2 ** (attempt - 1), backoff_max)
            log.warning("%s failed (%s), retry %d/%d in %.1fs", what, exc, attempt, attempts - 1, delay)
            sleep(delay)
    raise AssertionError("unreachable")


class ExpiringPostgresStorage(PostgresStorage):
    """PostgresStorage whose results expire (``expires_at``, server clock), like RedisExpireStorage.

    As in RedisExpireStorage, reading a result does not delete it (``pop_data``
    is a peek); expired rows are invisible at once and purged by the reaper.
    Tables are created by migration 0003, not here.
    """

    def __init__(self, name: str = "huey", expire_time: int = 3600, **kwargs: Any) -> None:
        kwargs.setdefault("create_tables", False)
        self.expire_time = expire_time
        super().__init__(name, **kwargs)

    def _live(self) -> str:
        return f"(expires_at IS NULL OR expires_at > {_NOW})"

    def put_data(self, key: Any, value: bytes, is_result: bool = False) -> None:
        self.sql(
            f"INSERT INTO {self.table_kv} (queue, key, value, expires_at) VALUES (%s, %s, %s, "
            f"CASE WHEN %s THEN {_NOW} + %s END) ON CONFLICT (queue, key) DO UPDATE SET "
            "value = excluded.value, expires_at = excluded.expires_at",
            (self.name, self._key(key), value, is_result, self.expire_time),
        )

    def peek_data(self, key: Any) -> Any:
        rows = self.sql(
            f"SELECT value FROM {self.table_kv} WHERE queue = %s AND key = %s AND {self._live()}",
            (self.name, self._key(key)),
            results=True,
        )
        return bytes(rows[0][0]) if rows else EmptyData

    pop_data = peek_data

    def peek_many(self, keys: Sequence[Any]) -> dict[Any, bytes]:
        rows = self.sql(
            f"SELECT key, value FROM {self.table_kv} WHERE queue = %s AND key = ANY(%s) AND {self._live()}",
            (self.name, [self._key(k) for k in keys]),
            results=True,
        )
        return {k: bytes(v) for k, v in rows}

    def delete_data(self, key: Any) -> bool:
        with self.db() as curs:
            curs.execute(
                f"DELETE FROM {self.table_kv} WHERE queue = %s AND key = %s", (self.name, self._key(key))
            )
            return bool(curs.rowcount)

    def has_data_for_key(self, key: Any) -> bool:
        return self.peek_data(key) is not EmptyData

    def put_if_empty(self, key: Any, value: bytes, ttl: float | None = None) -> bool:
        # An expired row counts as empty: overwrite it in the same statement.
        with self.db() as curs:
            curs.execute(
                f"INSERT INTO {self.table_kv} AS kv (queue, key, value, expires_at) VALUES (%s, %s, %s, "
                f"{_NOW} + %s) ON CONFLICT (queue, key) DO UPDATE SET value = excluded.value, "
                f"expires_at = excluded.expires_at WHERE kv.expires_at IS NOT NULL AND kv.expires_at <= {_NOW}",
                (self.name, self._key(key), value, ttl),
            )
            return curs.rowcount == 1

    def result_store_size(self) -> int:
        rows = self.sql(
            f"SELECT count(*) FROM {self.table_kv} WHERE queue = %s AND {self._live()}",
            (self.name,),
            results=True,
        )
        return int(rows[0][0])

    def result_items(self) -> dict[str, bytes]:
        rows = self.sql(
            f"SELECT key, value FROM {self.table_kv} WHERE queue = %s AND {self._live()}",
            (self.name,),
            results=True,
        )
        return {k: bytes(v) for k, v in rows}

    def purge_expired(self) -> int:
        with self.db() as curs:
            curs.execute(
                f"DELETE FROM {self.table_kv} WHERE queue = %s AND expires_at <= {_NOW}", (self.name,)
            )
            return int(curs.rowcount)


def huey_name(config: TaskConfig, queue: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", f"{config.namespace}_{queue}")


def make_hueys(settings: Settings, config: TaskConfig, queues: Sequence[str]) -> dict[str, Huey]:
    """One Huey per queue on the configured broker (nothing connects until first use)."""
    serializer = JsonSerializer()
    if settings.redis_url:
        pool = redis.ConnectionPool.from_url(
            settings.redis_url,
            socket_connect_timeout=3,
            # Above the 1 s blocking read, so BZPOPMIN returns before the socket times out.
            socket_timeout=10,
            health_check_interval=15,
        )
        return {
            queue: PriorityRedisExpireHuey(
                huey_name(config, queue),
                connection_pool=pool,
                expire_time=config.result_ttl,
                serializer=serializer,
                utc=True,
                blocking=True,
                read_timeout=1,
            )
            for queue in queues
        }
    dsn = libpq_dsn(database_url(settings))
    return {
        queue: Huey(
            huey_name(config, queue),
            storage_class=ExpiringPostgresStorage,
            serializer=serializer,
            utc=True,
            dsn=dsn,
            expire_time=config.result_ttl,
            connect_timeout=5,
            application_name="contact360:broker",
        )
        for queue in queues
    }


class MultiQueueReader:
    """Blocking read of the next message across queues, highest-priority queue first."""

    def __init__(self, hueys: Sequence[tuple[str, Huey]], read_timeout: float = 1.0) -> None:
        self._queues = [queue for queue, _ in hueys]
        self._storages = [huey.storage for _, huey in hueys]
        self.read_timeout = read_timeout
        self._listen: psycopg.Connection[Any] | None = None

    def read(self) -> tuple[str, bytes] | None:
        """(queue, message) or None after ``read_timeout`` with nothing to do."""
        if not isinstance(self._storages[0], PostgresStorage):
            return self._read_redis()
        return self._read_postgres()

    def _read_redis(self) -> tuple[str, bytes] | None:
        keys = [s.queue_key for s in self._storages]
        popped = self._storages[0].conn.bzpopmin(keys, timeout=self.read_timeout)
        if not popped:
            return None
        key, member, _score = popped
        key = key.decode() if isinstance(key, bytes) else key
        # RedisPriorityQueue prefixes each message with an 8-byte timestamp.
        return self._queues[keys.index(key)], member[8:]

    def _pop_postgres(self) -> tuple[str, bytes] | None:
        storage = self._storages[0]
        names = [s.name for s in self._storages]
        with storage.db() as curs:
            curs.execute(
                f"DELETE FROM {storage.table_task} WHERE id = (SELECT id FROM {storage.table_task} "
                "WHERE queue = ANY(%(names)s) ORDER BY array_position(%(names)s, queue), priority DESC, id "
                "LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING queue, data",
                {"names": names},
            )
            row = curs.fetchone()
        if row is None:
            return None
        return self._queues[names.index(row[0])], bytes(row[1])

    def _listen_conn(self) -> psycopg.Connection[Any]:
        conn = self._listen
        if conn is None or conn.closed or conn.broken:
            storage = self._storages[0]
            conn = storage._connect()
            for s in self._storages:
                channel = s.channel.replace('"', '""')
                conn.execute(f'LISTEN "{channel}"')
            self._listen = conn
        return conn

    def _read_postgres(self) -> tuple[str, bytes] | None:
        found = self._pop_postgres()
        if found is not None:
            return found
        conn = self._listen_conn()
        deadline = time.monotonic() + self.read_timeout
        while (remaining := deadline - time.monotonic()) > 0:
            if not list(conn.notifies(timeout=remaining, stop_after=1)):
                return None
            found = self._pop_postgres()
            if found is not None:
                return found
        return None

    def close(self) -> None:
        if self._listen is not None:
            try:
                self._listen.close()
            except Exception:
                pass
            self._listen = None


def ping(huey: Huey) -> None:
    """Raise the broker's connection error if it is unreachable."""
    storage = huey.storage
    if isinstance(storage, PostgresStorage):
        storage.sql("SELECT 1")
    else:
        storage.conn.ping()


def purge_expired(huey: Huey) -> int:
    storage = huey.storage
    return storage.purge_expired() if isinstance(storage, ExpiringPostgresStorage) else 0
