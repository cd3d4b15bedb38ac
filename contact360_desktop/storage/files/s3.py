"""Exports in an S3 bucket (AWS or any S3-compatible endpoint) via a streamed multipart upload.

The upload starts when the writer opens (so a missing bucket or a refused
permission fails before any rows are read), parts of ``part_size`` bytes go up
as the data arrives (memory holds at most one part), and the object appears only
when the upload is completed; every failure aborts the upload.

Credentials come from the standard AWS chain (environment, shared files, SSO,
instance roles) or, when that finds none, from the OS keyring (service
``contact360``, entries ``s3_access_key_id`` / ``s3_secret_access_key``). They
are handed to boto3 only; nothing here writes or logs them.

Errors: problems a person must fix (missing bucket, access denied, rejected
credentials) become :class:`StorageError`; throttling, 5xx answers and network
errors propagate unchanged so the task layer can retry them.
"""

from __future__ import annotations

import logging
from typing import Any

from contact360_desktop.settings import Settings
from contact360_desktop.storage.files.base import FileStore, FileWriter, StorageError

log = logging.getLogger(__name__)

KEYRING_SERVICE = "contact360"
KEYRING_ACCESS_KEY = "s3_access_key_id"
KEYRING_SECRET_KEY = "s3_secret_access_key"

MIN_PART_SIZE = 5 * 1024 * 1024  # S3's minimum for every part but the last
DEFAULT_PART_SIZE = 16 * 1024 * 1024

#: Error codes that mean "try again later" (the task layer retries these).
TRANSIENT_CODES = frozenset(
    {
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "TooManyRequestsException",
        "ServiceUnavailable",
        "InternalError",
        "RequestTimeout",
        "RequestTimeTooSkewed",
    }
)
_CREDENTIAL_CODES = frozenset(
    {"InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired"}
)


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/key`` -> (``bucket``, ``some/key``); ``s3://`` -> (``""``, ``""``)."""
    if not url.startswith("s3://"):
        raise ValueError(f"not an s3:// URL: {url!r}")
    bucket, _, key = url[len("s3://") :].partition("/")
    return bucket, key


def _keyring_credentials() -> tuple[str, str] | None:
    try:
        import keyring

        access = keyring.get_password(KEYRING_SERVICE, KEYRING_ACCESS_KEY)
        secret = keyring.get_password(KEYRING_SERVICE, KEYRING_SECRET_KEY)
    except Exception as exc:  # no usable keyring backend on this machine
        log.debug("OS keyring unavailable: %s", exc.__class__.__name__)
        return None
    return (access, secret) if access and secret else None


def make_s3_client(settings: Settings) -> Any:
    """A boto3 S3 client for the configured endpoint/region with the standard credential chain,
    falling back to the OS keyring."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session()
    if session.get_credentials() is None and (stored := _keyring_credentials()) is not None:
        session = boto3.session.Session(aws_access_key_id=stored[0], aws_secret_access_key=stored[1])
    config = Config(
        signature_version="s3v4",
        # Custom endpoints (MinIO, Ceph, moto...) rarely support virtual-host buckets.
        s3={"addressing_style": "path" if settings.s3_endpoint_url else "auto"},
        retries={"mode": "standard", "max_attempts": 3},
    )
    return session.client(
        "s3", endpoint_url=settings.s3_endpoint_url, region_name=settings.s3_region, config=config
    )


def _error_code(exc: Exception) -> tuple[str, int]:
    response = getattr(exc, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    return code, status


def is_transient(exc: Exception) -> bool:
    """Throttling and server-side errors, worth retrying later."""
    code, status = _error_code(exc)
    return code in TRANSIENT_CODES or status >= 500 or status == 429


def translate_error(exc: Exception, bucket: str, key: str) -> Exception:
    """The exception to raise for a failed S3 call: a StorageError a person can act on, or ``exc``
    itself when retrying may help."""
    from botocore.exceptions import ClientError, NoCredentialsError, PartialCredentialsError

    where = f"s3://{bucket}/{key}"
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return StorageError(
            f"No S3 credentials found for {where}. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or an AWS "
            f"profile), or store them in the OS keyring under service '{KEYRING_SERVICE}'."
        )
    if not isinstance(exc, ClientError) or is_transient(exc):
        return exc
    code, status = _error_code(exc)
    if code == "NoSuchBucket":
        return StorageError(
            f"The S3 bucket '{bucket}' does not exist. Create it, or set CONTACT360_S3_BUCKET "
            "(or the s3:// destination) to an existing bucket."
        )
    if (
        code in ("AccessDenied", "AllAccessDisabled", "AccountProblem")
        or status == 403
        and code not in _CREDENTIAL_CODES
    ):
        return StorageError(
            f"Access denied writing {where}. The S3 credentials in use are not allowed to upload there "
            "(s3:PutObject); ask for write access or choose another bucket or prefix."
        )
    if code in _CREDENTIAL_CODES:
        return StorageError(
            f"S3 rejected the credentials ({code}) for {where}. Check the access key and secret "
            "(environment, AWS profile or OS keyring)."
        )
    return StorageError(f"S3 refused the upload to {where}: {code or status} {exc}")


class S3FileStore(FileStore):
    """Files under ``prefix`` in ``bucket``; receives a ready boto3 client (see make_s3_client)."""

    def __init__(
        self, client: Any, bucket: str, prefix: str = "", *, part_size: int = DEFAULT_PART_SIZE
    ) -> None:
        if not bucket:
            raise StorageError("No S3 bucket given: use s3://bucket/key or set CONTACT360_S3_BUCKET.")
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes (S3 minimum)")
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.part_size = part_size

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def key_for(self, name: str) -> str:
        return self.prefix + name

    def open_writer(self, name: str, *, overwrite: bool = False) -> S3FileWriter:
        # S3 has no atomic "create if absent"; exports get timestamped names, so a clash means
        # the same export again, and overwriting it is what the user asked for.
        return S3FileWriter(self.client, self.bucket, self.key_for(name), self.part_size)

    def presigned_url(self, key: str, expires_in: int = 3600) -> str:
        return str(
            self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_in
            )
        )


class S3FileWriter(FileWriter):
    def __init__(self, client: Any, bucket: str, key: str, part_size: int) -> None:
        super().__init__()
        self.client = client
        self.bucket = bucket
        self.key = key
        self.part_size = part_size
        self._buffer = bytearray()
        self._parts: list[dict[str, Any]] = []
        self.upload_id: str | None = None
        content_type = "application/gzip" if key.endswith(".gz") else "text/csv; charset=utf-8"
        try:
            response = client.create_multipart_upload(Bucket=bucket, Key=key, ContentType=content_type)
        except Exception as exc:
            raise translate_error(exc, bucket, key) from exc
        self.upload_id = response["UploadId"]

    def _write(self, data: bytes | bytearray | memoryview) -> None:
        self._buffer += data
        if len(self._buffer) >= self.part_size:
            self._upload_part()

    def _upload_part(self) -> None:
        number = len(self._parts) + 1
        try:
            response = self.client.upload_part(
                Bucket=self.bucket,
                Key=self.key,
                UploadId=self.upload_id,
                PartNumber=number,
                Body=bytes(self._buffer),
            )
        except Exception as exc:
            raise translate_error(exc, self.bucket, self.key) from exc
        self._parts.append({"PartNumber": number, "ETag": response["ETag"]})
        self._buffer.clear()

    def _commit(self) -> str:
        if self._buffer or not self._parts:
            self._upload_part()  # the last part may be smaller than the minimum
        try:
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=self.key,
                UploadId=self.upload_id,
                MultipartUpload={"Parts": self._parts},
            )
        except Exception as exc:
            raise translate_error(exc, self.bucket, self.key) from exc
        return f"s3://{self.bucket}/{self.key}"

    def _abort(self) -> None:
        self._buffer = bytearray()
        if self.upload_id is None:
            return
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)
        except Exception as exc:  # the bucket may be gone; S3 lifecycle rules clean up leftovers
            log.warning("could not abort the multipart upload to s3://%s/%s: %s", self.bucket, self.key, exc)
