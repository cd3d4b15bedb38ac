"""Exceptions services raise that the task layer must not retry."""


class PermanentJobError(Exception):
    """Retrying cannot help: a bad file, invalid input, a missing record, a user error."""


class JobNotFound(PermanentJobError):
    """The job row does not exist (deleted, or a wrong id)."""
