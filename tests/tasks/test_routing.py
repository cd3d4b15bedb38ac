"""Queues, priorities and routing by module."""

from __future__ import annotations

import pytest

from contact360_desktop.tasks import routing
from contact360_desktop.tasks.app import TaskApp
from contact360_desktop.tasks.brokers import huey_name
from contact360_desktop.tasks.export_tasks import process_export
from contact360_desktop.tasks.import_tasks import process_contacts_import
from tests.tasks import sim_tasks

pytestmark = pytest.mark.timeout(60)


def test_queues_in_priority_order() -> None:
    assert routing.QUEUES == ("imports", "exports", "default")
    assert routing.QUEUE_PRIORITIES == {"imports": 5, "exports": 4, "default": 3}
    assert routing.parse_queues("default, imports") == ("imports", "default")
    with pytest.raises(ValueError, match="unknown queue bogus"):
        routing.parse_queues("imports,bogus")


def test_tasks_are_routed_by_module() -> None:
    assert routing.spec_for(process_contacts_import).queue == "imports"
    assert routing.spec_for(process_export).queue == "exports"
    assert routing.spec_for(sim_tasks.whoami).queue == "default"
    assert routing.queue_for_module("contact360_desktop.tasks.maintenance") == "default"


def test_each_queue_is_its_own_huey_and_messages_land_in_their_queue(app: TaskApp) -> None:
    names = {queue: huey.name for queue, huey in app.hueys.items()}
    assert names == {queue: huey_name(app.config, queue) for queue in routing.QUEUES}
    assert len(set(names.values())) == 3
    app.enqueue(process_contacts_import, "00000000-0000-0000-0000-000000000001")
    app.enqueue(process_export, "00000000-0000-0000-0000-000000000002")
    app.enqueue(sim_tasks.whoami)
    assert app.queue_depths() == {"imports": 1, "exports": 1, "default": 1}
    wrapper = app.wrappers[routing.spec_for(process_contacts_import).name]
    assert (wrapper.task_class.default_retries, wrapper.task_class.default_retry_delay) == (3, 0.3)
    assert wrapper.task_class.default_priority == 5
