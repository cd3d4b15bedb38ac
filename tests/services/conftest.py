"""Fixtures for this test package (shared file: add yours below).

The S3 server and the failing folders are defined once in tests/s3_fixtures.py and
tests/fs_fixtures.py and imported here by name so pytest registers them.
"""

from tests.fs_fixtures import full_disk_folder, read_only_folder  # noqa: F401
from tests.s3_fixtures import (  # noqa: F401
    read_only_s3_key,
    s3_bucket,
    s3_credentials,
    s3_endpoint,
    s3_settings,
)
