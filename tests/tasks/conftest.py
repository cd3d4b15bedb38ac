from tests.tasks.fixtures import app, broker, broker_settings, namespace, task_config  # noqa: F401
