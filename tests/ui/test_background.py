"""run_in_background delivers results and errors on the GUI thread; generator tasks can be cancelled."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from contact360_desktop.ui.background import run_generator_in_background, run_in_background
from contact360_desktop.ui.models.contacts_model import ContactsModel
from tests.ui.helpers import insert_contacts
from tests.ui.live_support import EventLoopProbe


def test_result_arrives_on_the_gui_thread(qtbot: Any) -> None:
    seen: list[Any] = []

    def work(a: int, b: int) -> int:
        seen.append(threading.current_thread() is threading.main_thread())
        return a + b

    results: list[tuple[int, bool]] = []
    # Wait on the outcome, not on the signal: a fast task may finish before waitSignal connects.
    run_in_background(
        work,
        2,
        3,
        on_done=lambda r: results.append((r, threading.current_thread() is threading.main_thread())),
    )
    qtbot.waitUntil(lambda: bool(results), timeout=5000)
    assert seen == [False] and results == [(5, True)]


def test_errors_are_delivered_not_raised(qtbot: Any) -> None:
    errors: list[BaseException] = []

    def boom() -> None:
        raise RuntimeError("disk full")

    run_in_background(boom, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert [str(e) for e in errors] == ["disk full"]


def test_generator_yields_progress_and_can_be_cancelled(qtbot: Any) -> None:
    def count() -> Iterator[int]:
        for i in range(1_000_000):
            time.sleep(0.001)
            yield i

    progress: list[int] = []
    task = run_generator_in_background(count, on_progress=progress.append)
    qtbot.waitUntil(lambda: len(progress) >= 5, timeout=5000)
    with qtbot.waitSignal(task.signals.cancelled, timeout=5000):
        task.cancel()
    assert progress[:5] == [0, 1, 2, 3, 4] and len(progress) < 1_000_000


def test_generator_return_value_is_the_result(qtbot: Any) -> None:
    def steps() -> Iterator[str]:
        yield "a"
        yield "b"
        return "done"  # type: ignore[misc]

    got: list[Any] = []
    run_generator_in_background(steps, on_progress=got.append, on_done=got.append)
    qtbot.waitUntil(lambda: "done" in got, timeout=5000)
    assert got == ["a", "b", "done"]


@pytest.mark.timeout(120)
def test_event_loop_never_stalls_while_the_database_works(
    qtbot: Any, app_context: Any, ui_engine: Engine
) -> None:
    """A QTimer probe records the worst gap between ticks while pages, counts and slow queries run."""
    insert_contacts(ui_engine, 20_000, companies=50)
    probe = EventLoopProbe(5)
    probe.start()
    try:
        model = ContactsModel(app_context, page_size=500)

        def slow_query() -> None:
            with ui_engine.connect() as conn:
                conn.execute(text("SELECT pg_sleep(0.8)"))

        slow = [app_context.run_in_background(slow_query) for _ in range(2)]
        qtbot.waitUntil(lambda: model.first_page_seconds is not None, timeout=10_000)
        while model.rowCount() < 10_000:
            with qtbot.waitSignal(model.page_loaded, timeout=10_000):
                model.fetchMore()
        model.set_search("company 001")
        qtbot.waitUntil(
            lambda: model.first_page_seconds is not None and model.count is not None, timeout=10_000
        )
        for task in slow:
            qtbot.waitUntil(task.done.is_set, timeout=10_000)
    finally:
        probe.stop()
    assert len(probe.gaps) > 50
    worst = probe.worst_gap * 1000
    print(f"event-loop probe: {len(probe.gaps)} ticks, worst gap {worst:.0f} ms")
    assert worst < 100, f"the GUI thread stalled for {worst:.0f} ms"
