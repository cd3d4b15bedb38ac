"""Which exceptions are worth a retry.

Retried (transient): lost or refused database connections and other
OperationalErrors, Redis connection errors and timeouts, S3 throttling and 5xx
answers, network timeouts. Everything else fails the job at once: a
PermanentJobError (bad file, validation, missing record, user error) by
definition, and an unexpected exception because a bug does not fix itself on a
second run. Huey's soft time limit (TaskTimeout) is a limit, not a fault: never
retried.
"""

from __future__ import annotations

import psycopg
import redis
import sqlalchemy.exc
from huey.exceptions import TaskTimeout

from contact360_desktop.services.errors import PermanentJobError

_THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "SlowDown",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "RequestTimeout",
        "RequestTimeoutException",
        "InternalError",
        "ServiceUnavailable",
    }
)


def _is_transient_boto(exc: BaseException) -> bool:
    try:
        from botocore import exceptions as boto
    except ImportError:  # boto3 is a dependency, but the task layer must not need it
        return False
    if isinstance(exc, (boto.EndpointConnectionError, boto.ConnectionClosedError, boto.ConnectTimeoutError)):
        return True
    if isinstance(exc, boto.ReadTimeoutError):
        return True
    if isinstance(exc, boto.ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return error.get("Code") in _THROTTLING_CODES or int(status) >= 500 or int(status) == 429
    return False


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, (PermanentJobError, TaskTimeout)):
        return False
    if isinstance(exc, sqlalchemy.exc.OperationalError | sqlalchemy.exc.TimeoutError):
        return True
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(
        exc, psycopg.OperationalError | redis.exceptions.ConnectionError | redis.exceptions.TimeoutError
    ):
        return True
    if isinstance(exc, TimeoutError | ConnectionError):
        return True
    return _is_transient_boto(exc)
