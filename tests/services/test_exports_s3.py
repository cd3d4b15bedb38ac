"""services.exports to S3 (moto's standalone server on loopback, reached by endpoint URL + credentials)."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import re
import urllib.request
import uuid

import pytest
from sqlalchemy import Engine

from contact360_desktop.core.fields import CANCELLED, COMPLETED, FAILED
from contact360_desktop.services import exports
from contact360_desktop.services.exports import (
    ExportFailed,
    ExportRequest,
    create_export,
    get_export,
    presigned_url,
    request_cancel,
    run_export,
)
from contact360_desktop.settings import Settings
from contact360_desktop.storage.db import session_scope
from contact360_desktop.storage.files.s3 import MIN_PART_SIZE
from tests.export_data import add_company, add_many_contacts
from tests.s3_fixtures import list_keys, list_uploads, s3_client

pytestmark = pytest.mark.usefixtures("clean_db")


def _create(engine: Engine, request: ExportRequest) -> uuid.UUID:
    with session_scope(engine) as session:
        return create_export(session, request).id


def _get(engine: Engine, export_id: uuid.UUID):  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return get_export(session, export_id)


def test_large_export_streams_in_parts_to_the_configured_bucket(
    clean_db: Engine, s3_settings: Settings, s3_endpoint: str, s3_bucket: str
) -> None:
    acme = add_company(clean_db, "Acme", domain="acme.com")
    add_many_contacts(clean_db, 45_000, company_id=acme)  # ~7 MB of CSV: more than one 5 MiB part
    export_id = _create(clean_db, ExportRequest(destination="s3://"))
    assert run_export(clean_db, export_id, s3_settings, part_size=MIN_PART_SIZE) == COMPLETED
    export = _get(clean_db, export_id)
    (key,) = list_keys(s3_endpoint, s3_bucket)
    assert re.fullmatch(r"team/contacts-\d{8}-\d{6}\.csv", key)
    assert export.path_or_key == f"s3://{s3_bucket}/{key}"
    client = s3_client(s3_endpoint)
    assert client.head_object(Bucket=s3_bucket, Key=key, PartNumber=1)["PartsCount"] >= 2
    body = client.get_object(Bucket=s3_bucket, Key=key)["Body"].read()
    assert len(body) > MIN_PART_SIZE and export.size == len(body)
    assert export.sha256 == hashlib.sha256(body).hexdigest()
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert len(rows) == 45_001 and export.row_count == 45_000
    assert rows[1][4:6] == ["Acme", "acme.com"]
    assert list_uploads(s3_endpoint, s3_bucket) == []
    with session_scope(clean_db) as session:
        url = presigned_url(session, export_id, s3_settings, expires_in=300)
    with urllib.request.urlopen(url) as response:  # noqa: S310 - loopback test server
        assert hashlib.sha256(response.read()).hexdigest() == export.sha256


def test_explicit_key_gzip(clean_db: Engine, s3_settings: Settings, s3_endpoint: str, s3_bucket: str) -> None:
    add_company(clean_db, "Acme")
    export_id = _create(
        clean_db, ExportRequest(kind="companies", gzip=True, destination=f"s3://{s3_bucket}/x/co.csv.gz")
    )
    assert run_export(clean_db, export_id, s3_settings) == COMPLETED
    assert list_keys(s3_endpoint, s3_bucket) == ["x/co.csv.gz"]
    assert _get(clean_db, export_id).path_or_key == f"s3://{s3_bucket}/x/co.csv.gz"


def test_missing_bucket_fails_with_a_message(clean_db: Engine, s3_settings: Settings) -> None:
    add_many_contacts(clean_db, 10)
    export_id = _create(clean_db, ExportRequest(destination="s3://no-such-bucket-c360/a.csv"))
    with pytest.raises(ExportFailed, match="The S3 bucket 'no-such-bucket-c360' does not exist"):
        run_export(clean_db, export_id, s3_settings)
    export = _get(clean_db, export_id)
    assert export.status == FAILED and "does not exist" in export.message and export.path_or_key is None


def test_access_denied_fails_and_leaves_no_object_or_upload(
    clean_db: Engine,
    s3_settings: Settings,
    s3_endpoint: str,
    s3_bucket: str,
    read_only_s3_key: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_many_contacts(clean_db, 10)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", read_only_s3_key[0])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", read_only_s3_key[1])
    export_id = _create(clean_db, ExportRequest(destination="s3://"))
    with pytest.raises(ExportFailed, match=f"Access denied writing s3://{s3_bucket}/team/contacts-"):
        run_export(clean_db, export_id, s3_settings)
    assert _get(clean_db, export_id).status == FAILED
    assert list_keys(s3_endpoint, s3_bucket, read_only_s3_key) == []
    assert list_uploads(s3_endpoint, s3_bucket, read_only_s3_key) == []


def test_no_credentials_anywhere_fails_with_where_to_put_them(
    clean_db: Engine, s3_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    export_id = _create(clean_db, ExportRequest(destination="s3://"))
    with pytest.raises(ExportFailed, match="No S3 credentials found"):
        run_export(clean_db, export_id, s3_settings)


def test_keyring_credentials_are_used_when_the_chain_has_none(
    clean_db: Engine, s3_settings: Settings, s3_endpoint: str, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contact360_desktop.storage.files import s3 as s3_module

    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(s3_module, "_keyring_credentials", lambda: ("from-keyring", "secret"))
    add_many_contacts(clean_db, 3)
    export_id = _create(clean_db, ExportRequest(destination="s3://"))
    assert run_export(clean_db, export_id, s3_settings) == COMPLETED
    assert len(list_keys(s3_endpoint, s3_bucket)) == 1


def test_cancel_aborts_the_multipart_upload(
    clean_db: Engine,
    s3_settings: Settings,
    s3_endpoint: str,
    s3_bucket: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_many_contacts(clean_db, 45_000)
    monkeypatch.setattr(exports, "PROGRESS_SECONDS", 0.0)
    export_id = _create(clean_db, ExportRequest(destination="s3://"))

    def on_progress(rows: int, total: int | None) -> None:
        if rows > 40_000:  # past the first 5 MiB part
            with session_scope(clean_db) as session:
                request_cancel(session, export_id)

    status = run_export(clean_db, export_id, s3_settings, part_size=MIN_PART_SIZE, on_progress=on_progress)
    assert status == CANCELLED
    assert list_keys(s3_endpoint, s3_bucket) == []
    assert list_uploads(s3_endpoint, s3_bucket) == []


def test_settings_without_a_bucket(clean_db: Engine, s3_settings: Settings) -> None:
    export_id = _create(clean_db, ExportRequest(destination="s3://"))
    with pytest.raises(ExportFailed, match="No S3 bucket given"):
        run_export(clean_db, export_id, dataclasses.replace(s3_settings, s3_bucket=None))
