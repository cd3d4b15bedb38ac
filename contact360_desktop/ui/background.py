"""Run blocking work (database, network, files) off the GUI thread.

``run_in_background(fn, *args, on_done=..., on_error=...)`` runs ``fn`` on a
QThreadPool and delivers the result (or the exception) on the GUI thread.
``run_generator_in_background`` runs a generator and delivers each yielded
value as progress; it can be cancelled between two yields.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Generator
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)

__all__ = ["BackgroundTask", "TaskSignals", "run_generator_in_background", "run_in_background"]


class TaskSignals(QObject):
    """Signals of one background task; they are delivered in the receiver's (GUI) thread."""

    started = Signal()
    yielded = Signal(object)
    finished = Signal(object)
    errored = Signal(object)  # the exception
    cancelled = Signal()


class BackgroundTask(QRunnable):
    """A QRunnable calling ``fn`` (or iterating a generator) and reporting through ``signals``."""

    def __init__(self, fn: Callable[..., Any], *args: Any, generator: bool = False, **kwargs: Any) -> None:
        super().__init__()
        # Python owns the task (kept in _live until its last signal is delivered).
        self.setAutoDelete(False)
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.generator = generator
        self.signals = TaskSignals()
        self._cancel = threading.Event()
        self.done = threading.Event()

    def cancel(self) -> None:
        """Ask a generator task to stop at its next yield (a plain call cannot be interrupted)."""
        self._cancel.set()

    @property
    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def run(self) -> None:  # runs in a pool thread
        signals = self.signals
        try:
            signals.started.emit()
            if self.generator:
                gen: Generator[Any, None, Any] = self.fn(*self.args, **self.kwargs)
                result = None
                try:
                    while True:
                        if self._cancel.is_set():
                            gen.close()
                            signals.cancelled.emit()
                            return
                        signals.yielded.emit(next(gen))
                except StopIteration as stop:
                    result = stop.value
            else:
                result = self.fn(*self.args, **self.kwargs)
        except BaseException as exc:  # delivered to on_error; never lost in a pool thread
            log.debug("background task %r failed", self.fn, exc_info=True)
            try:
                signals.errored.emit(exc)
            except RuntimeError:  # receiver gone at shutdown
                pass
        else:
            try:
                signals.finished.emit(result)
            except RuntimeError:
                pass
        finally:
            self.done.set()


#: Tasks whose signals have not been delivered yet (keeps their QObjects alive).
_live: set[BackgroundTask] = set()


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (of the driver's error for a database error)."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


def live_task_count() -> int:
    """How many background tasks have not reported yet (tests check this drains)."""
    return len(_live)


def _start(
    task: BackgroundTask,
    on_done: Callable[[Any], None] | None,
    on_error: Callable[[BaseException], None] | None,
    on_progress: Callable[[Any], None] | None = None,
    pool: QThreadPool | None = None,
) -> BackgroundTask:
    if on_done is not None:
        task.signals.finished.connect(on_done)
    if on_error is not None:
        task.signals.errored.connect(on_error)
    else:
        task.signals.errored.connect(_log_unhandled)
    if on_progress is not None:
        task.signals.yielded.connect(on_progress)
    _live.add(task)

    def forget(*_: Any) -> None:
        _live.discard(task)

    task.signals.finished.connect(forget)
    task.signals.errored.connect(forget)
    task.signals.cancelled.connect(forget)
    (pool or QThreadPool.globalInstance()).start(task)
    return task


def _log_unhandled(exc: BaseException) -> None:
    log.warning("background task failed: %s", exc, exc_info=exc)


def run_in_background(
    fn: Callable[..., Any],
    *args: Any,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    pool: QThreadPool | None = None,
    **kwargs: Any,
) -> BackgroundTask:
    """Call ``fn(*args, **kwargs)`` on a pool thread; callbacks run on the GUI thread."""
    return _start(BackgroundTask(fn, *args, **kwargs), on_done, on_error, pool=pool)


def run_generator_in_background(
    fn: Callable[..., Generator[Any, None, Any]],
    *args: Any,
    on_progress: Callable[[Any], None] | None = None,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    pool: QThreadPool | None = None,
    **kwargs: Any,
) -> BackgroundTask:
    """Iterate the generator ``fn(*args)`` on a pool thread; each yield reaches ``on_progress``.

    ``task.cancel()`` stops it at the next yield (``signals.cancelled`` is emitted).
    """
    task = BackgroundTask(fn, *args, generator=True, **kwargs)
    return _start(task, on_done, on_error, on_progress, pool=pool)
