"""A large export's file in the files bucket: an S3 multipart upload fed a slice at a time, the tail
below S3's smallest part kept as an object of its own between slices, and a 5-minute download."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.aws import clients
from chalicelib.config import settings

PART_BYTES = 5 * 1024 * 1024  # S3's smallest part, but for the last one
DOWNLOAD_EXPIRY_SECONDS = 300
CSV_TYPE = "text/csv; charset=utf-8"


def _s3() -> Any:
    return clients.client("s3")


def start(key: str) -> str:
    """A new multipart upload for the export's file; its id."""
    return str(_s3().create_multipart_upload(Bucket=settings().bucket_name, Key=key, ContentType=CSV_TYPE)["UploadId"])


def send_part(key: str, upload_id: str, number: int, body: bytes) -> dict[str, Any]:
    etag = _s3().upload_part(Bucket=settings().bucket_name, Key=key, UploadId=upload_id, PartNumber=number,
                             Body=body)["ETag"]
    return {"PartNumber": number, "ETag": etag}


def finish(key: str, upload_id: str, parts: list[dict[str, Any]]) -> None:
    _s3().complete_multipart_upload(Bucket=settings().bucket_name, Key=key, UploadId=upload_id,
                                    MultipartUpload={"Parts": parts})


def read_tail(key: str) -> bytes:
    try:
        return bytes(_s3().get_object(Bucket=settings().bucket_name, Key=key)["Body"].read())
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return b""
        raise


def write_tail(key: str, body: bytes) -> None:
    _s3().put_object(Bucket=settings().bucket_name, Key=key, Body=body, ContentType=CSV_TYPE)


def download_url(key: str, filename: str) -> str:
    """A presigned GET valid 5 minutes, downloaded under `filename` (ASCII: the caller names it)."""
    params = {"Bucket": settings().bucket_name, "Key": key, "ResponseContentType": CSV_TYPE,
              "ResponseContentDisposition": f'attachment; filename="{filename}"',
              "ResponseCacheControl": "private, no-store"}
    return str(_s3().generate_presigned_url("get_object", Params=params, ExpiresIn=DOWNLOAD_EXPIRY_SECONDS))
