"""The S3 file store against moto's standalone server: streamed multipart, abort, errors."""

from __future__ import annotations

import hashlib
import os
import urllib.request

import pytest
from botocore.exceptions import ClientError

from contact360_desktop.storage.files import S3FileStore, StorageError
from contact360_desktop.storage.files.s3 import MIN_PART_SIZE, is_transient, translate_error
from tests.s3_fixtures import list_keys, list_uploads, s3_client

PART = MIN_PART_SIZE


def test_a_file_larger_than_the_part_size_goes_up_in_parts(s3_endpoint: str, s3_bucket: str) -> None:
    client = s3_client(s3_endpoint)
    store = S3FileStore(client, s3_bucket, "exports/", part_size=PART)
    data = os.urandom(PART * 2 + 12345)
    writer = store.open_writer("contacts.csv")
    for start in range(0, len(data), 1_000_003):  # odd-sized writes, as gzip produces them
        writer.write(data[start : start + 1_000_003])
    assert list_keys(s3_endpoint, s3_bucket) == []  # nothing visible before commit
    stored = writer.commit()
    assert stored.location == f"s3://{s3_bucket}/exports/contacts.csv"
    assert stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    body = client.get_object(Bucket=s3_bucket, Key="exports/contacts.csv")
    assert body["Body"].read() == data
    head = client.head_object(Bucket=s3_bucket, Key="exports/contacts.csv", PartNumber=1)
    assert head["PartsCount"] >= 2  # parts are cut once the buffer reaches part_size
    assert list_uploads(s3_endpoint, s3_bucket) == []


def test_a_small_file_is_one_part(s3_endpoint: str, s3_bucket: str) -> None:
    store = S3FileStore(s3_client(s3_endpoint), s3_bucket)
    with store.open_writer("small.csv") as writer:
        writer.write(b"email\n")
        writer.commit()
    assert list_keys(s3_endpoint, s3_bucket) == ["small.csv"]


def test_abort_leaves_no_object_and_no_upload(s3_endpoint: str, s3_bucket: str) -> None:
    store = S3FileStore(s3_client(s3_endpoint), s3_bucket, part_size=PART)
    with store.open_writer("gone.csv") as writer:
        writer.write(b"x" * (PART + 1))  # one part already uploaded
        assert list_uploads(s3_endpoint, s3_bucket) == ["gone.csv"]
    assert list_keys(s3_endpoint, s3_bucket) == []
    assert list_uploads(s3_endpoint, s3_bucket) == []


def test_missing_bucket_is_a_storage_error_naming_it(
    s3_endpoint: str, s3_credentials: tuple[str, str]
) -> None:
    store = S3FileStore(s3_client(s3_endpoint), "no-such-bucket-c360")
    with pytest.raises(StorageError, match="The S3 bucket 'no-such-bucket-c360' does not exist"):
        store.open_writer("c.csv")


def test_access_denied_is_a_storage_error(
    s3_endpoint: str, s3_bucket: str, read_only_s3_key: tuple[str, str]
) -> None:
    store = S3FileStore(s3_client(s3_endpoint, read_only_s3_key), s3_bucket)
    with pytest.raises(StorageError, match=f"Access denied writing s3://{s3_bucket}/c.csv"):
        store.open_writer("c.csv")
    assert list_keys(s3_endpoint, s3_bucket, read_only_s3_key) == []
    assert list_uploads(s3_endpoint, s3_bucket, read_only_s3_key) == []


def test_presigned_url_downloads_the_object(s3_endpoint: str, s3_bucket: str) -> None:
    store = S3FileStore(s3_client(s3_endpoint), s3_bucket, "p/")
    with store.open_writer("c.csv") as writer:
        writer.write(b"email\nann@example.com\n")
        writer.commit()
    url = store.presigned_url("p/c.csv", expires_in=60)
    assert "Signature=" in url
    with urllib.request.urlopen(url) as response:  # noqa: S310 - loopback test server
        assert response.read() == b"email\nann@example.com\n"


def _client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "UploadPart",
    )


@pytest.mark.parametrize(
    ("code", "status"), [("SlowDown", 503), ("InternalError", 500), ("Throttling", 400), ("", 502)]
)
def test_throttling_and_5xx_stay_retryable(code: str, status: int) -> None:
    exc = _client_error(code, status)
    assert is_transient(exc)
    assert translate_error(exc, "b", "k") is exc


@pytest.mark.parametrize("code", ["InvalidAccessKeyId", "SignatureDoesNotMatch"])
def test_rejected_credentials_are_permanent(code: str) -> None:
    result = translate_error(_client_error(code, 403), "b", "k")
    assert isinstance(result, StorageError)
    assert "rejected the credentials" in str(result)
