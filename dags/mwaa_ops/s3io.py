"""The backup's objects in S3 (boto3): SSE-KMS with the backup key; errors name locations only."""

from __future__ import annotations

import json
from typing import Any, Optional

from .errors import BackupReadFailed, BackupWriteFailed


def _is_not_found(error: Exception) -> bool:
    response = getattr(error, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in ("404", "NoSuchKey", "NotFound") or status == 404


class BackupStore:
    """Objects under ``s3://<bucket>/<prefix>`` (prefix ends with ``/``).

    With ``kms_key_id`` every write names SSE-KMS with that key explicitly; ``sse=False`` turns
    the headers off for servers that do not understand them.
    """

    def __init__(self, client: Any, bucket: str, prefix: str, kms_key_id: Optional[str] = None, sse: bool = True):
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.kms_key_id = kms_key_id
        self.sse = sse

    def url(self, name: str) -> str:
        return f"s3://{self.bucket}/{self.prefix}{name}"

    def _extra(self) -> dict:
        # Only with a key id: ``aws:kms`` *without* one makes S3 use the AWS managed key aws/s3
        # instead of the bucket's default customer key (PutObject, SSEKMSKeyId). Without a key id
        # the bucket's default encryption (SSE-KMS with the template's key) applies.
        if not self.sse or not self.kms_key_id:
            return {}
        return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.kms_key_id}

    def exists(self, name: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.prefix + name)
            return True
        except Exception as error:  # botocore ClientError; the type is not imported on purpose
            if _is_not_found(error):
                return False
            raise BackupReadFailed(f"cannot read {self.url(name)}: {type(error).__name__}") from error

    def put_bytes(self, name: str, body: bytes, content_type: str) -> None:
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=self.prefix + name, Body=body, ContentType=content_type, **self._extra()
            )
        except Exception as error:
            raise BackupWriteFailed(f"cannot write {self.url(name)}: {type(error).__name__}") from error

    def put_json(self, name: str, value: Any) -> None:
        self.put_bytes(name, json.dumps(value, indent=2).encode("utf-8"), "application/json")

    def put_file(self, name: str, path: str, content_type: str = "application/gzip") -> None:
        try:
            with open(path, "rb") as body:
                # put_object rather than managed (multipart) transfers: one request per table file,
                # retried as a whole, and servers without multipart support still work.
                self.client.put_object(
                    Bucket=self.bucket, Key=self.prefix + name, Body=body, ContentType=content_type, **self._extra()
                )
        except Exception as error:
            raise BackupWriteFailed(f"cannot write {self.url(name)}: {type(error).__name__}") from error

    def get_bytes(self, name: str) -> Optional[bytes]:
        """The object's bytes, or None when it does not exist."""
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.prefix + name)
            return response["Body"].read()
        except Exception as error:
            if _is_not_found(error):
                return None
            raise BackupReadFailed(f"cannot read {self.url(name)}: {type(error).__name__}") from error

    def get_json(self, name: str) -> Optional[Any]:
        body = self.get_bytes(name)
        if body is None:
            return None
        try:
            return json.loads(body)
        except ValueError as error:
            raise BackupReadFailed(f"{self.url(name)} is not valid JSON") from error

    def download(self, name: str, path: str) -> None:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.prefix + name)
            with open(path, "wb") as out:
                for chunk in iter(lambda: response["Body"].read(1 << 20), b""):
                    out.write(chunk)
        except Exception as error:
            if _is_not_found(error):
                raise BackupReadFailed(f"{self.url(name)} is missing from the backup") from error
            raise BackupReadFailed(f"cannot read {self.url(name)}: {type(error).__name__}") from error
