"""The IAM actions AWS checks for a botocore call (service + operation + its parameters)."""

from __future__ import annotations

from typing import Any

# botocore service name → IAM prefix, where they differ.
PREFIXES = {"sesv2": "ses", "dynamodbstreams": "dynamodb"}
# TransactWriteItems is authorised item by item, as the single-item action of each part.
TRANSACT_PARTS = {"Put": "dynamodb:PutItem", "Update": "dynamodb:UpdateItem", "Delete": "dynamodb:DeleteItem",
                  "ConditionCheck": "dynamodb:ConditionCheckItem"}
S3_READS = {"HeadObject", "GetObject"}
# A multipart upload's steps are authorised as s3:PutObject (the IAM reference lists no action of their own).
S3_MULTIPART_WRITES = {"CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"}


def actions_for(service: str, operation: str, params: dict[str, Any]) -> set[str]:
    if service == "dynamodb" and operation == "TransactWriteItems":
        return {TRANSACT_PARTS[kind] for item in params["TransactItems"] for kind in item}
    if service == "dynamodb" and operation == "TransactGetItems":
        return {"dynamodb:GetItem"}
    # S3 authorises a call naming a version as the *Version action (the bucket is versioned).
    if service == "s3" and operation in S3_READS:
        return {"s3:GetObjectVersion" if params.get("VersionId") else "s3:GetObject"}
    if service == "s3" and operation in S3_MULTIPART_WRITES:
        return {"s3:PutObject"}
    if service == "s3" and operation == "DeleteObject" and params.get("VersionId"):
        return {"s3:DeleteObjectVersion"}
    if service == "s3" and operation == "CopyObject":  # read the source, write the copy
        source = params.get("CopySource")
        versioned = (isinstance(source, dict) and source.get("VersionId")) or "?versionId=" in str(source)
        return {"s3:GetObjectVersion" if versioned else "s3:GetObject", "s3:PutObject"}
    actions = {f"{PREFIXES.get(service, service)}:{operation}"}
    if service == "ssm" and params.get("WithDecryption"):
        actions.add("kms:Decrypt")  # a SecureString is decrypted with the caller's rights on its key
    if service == "scheduler" and "RoleArn" in params.get("Target", {}):
        actions.add("iam:PassRole")  # the schedule runs as the Scheduler role, handed over by the caller
    return actions


def index_of(service: str, operation: str, params: dict[str, Any]) -> str | None:
    """The DynamoDB index a read goes through (its own resource in IAM: <table>/index/<name>)."""
    if service == "dynamodb" and operation in ("Query", "Scan"):
        return params.get("IndexName")
    return None


def s3_prefixes(service: str, operation: str, params: dict[str, Any]) -> set[str]:
    """The key prefixes (incoming/, tickets/) an S3 call touches: each is its own resource in IAM."""
    if service != "s3":
        return set()
    keys = [str(params["Key"])] if "Key" in params else []
    source = params.get("CopySource")
    if isinstance(source, dict):
        keys.append(str(source["Key"]))
    elif isinstance(source, str):
        keys.append(source.split("/", 1)[1])
    return {key.split("/", 1)[0] + "/" for key in keys}
