"""A real S3 endpoint on loopback for the export tests: moto's standalone server.

boto3 reaches it only through an endpoint URL and credentials, exactly as it
would reach a real bucket (no in-process mocking). The conftests of the test
packages that need S3 import these fixtures by name.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from contact360_desktop.settings import Settings

S3_REGION = "us-east-1"
ROOT_KEY = ("testing-root", "testing-root-secret")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture()
def s3_credentials(monkeypatch: pytest.MonkeyPatch, s3_endpoint: str) -> tuple[str, str]:
    """The standard AWS chain finds these (environment); no profile or shared file interferes."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ROOT_KEY[0])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", ROOT_KEY[1])
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    return ROOT_KEY


def s3_client(endpoint: str, key: tuple[str, str] = ROOT_KEY) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=S3_REGION,
        aws_access_key_id=key[0],
        aws_secret_access_key=key[1],
    )


@pytest.fixture()
def s3_bucket(s3_endpoint: str, s3_credentials: tuple[str, str]) -> str:
    """A fresh, empty bucket for one test."""
    name = f"exports-{uuid.uuid4().hex[:12]}"
    s3_client(s3_endpoint).create_bucket(Bucket=name)
    return name


@pytest.fixture()
def s3_settings(settings: Settings, s3_endpoint: str, s3_bucket: str) -> Settings:
    return dataclasses.replace(
        settings, s3_endpoint_url=s3_endpoint, s3_region=S3_REGION, s3_bucket=s3_bucket, s3_prefix="team/"
    )


@pytest.fixture()
def read_only_s3_key(s3_endpoint: str, s3_credentials: tuple[str, str]) -> Iterator[tuple[str, str]]:
    """Credentials of an IAM user that may read but not write; moto enforces IAM while this is active."""
    import boto3
    from moto.core.authorization import enable_iam_authentication

    iam = boto3.client(
        "iam",
        endpoint_url=s3_endpoint,
        region_name=S3_REGION,
        aws_access_key_id=ROOT_KEY[0],
        aws_secret_access_key=ROOT_KEY[1],
    )
    user = f"reader-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=user)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
                "Resource": "*",
            }
        ],
    }
    iam.put_user_policy(UserName=user, PolicyName="read-only", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    with enable_iam_authentication():
        yield key["AccessKeyId"], key["SecretAccessKey"]


def list_keys(endpoint: str, bucket: str, key: tuple[str, str] = ROOT_KEY) -> list[str]:
    response = s3_client(endpoint, key).list_objects_v2(Bucket=bucket)
    return [item["Key"] for item in response.get("Contents", [])]


def list_uploads(endpoint: str, bucket: str, key: tuple[str, str] = ROOT_KEY) -> list[str]:
    """Unfinished multipart uploads: an aborted export must leave none."""
    response = s3_client(endpoint, key).list_multipart_uploads(Bucket=bucket)
    return [item["Key"] for item in response.get("Uploads", [])]
