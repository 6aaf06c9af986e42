"""Creates on the AWS stand-in what infra/ creates in the cloud: table (stream + GSIs),
bucket, SES identity, SSM signing key, Scheduler group. Used by `make run` and the tests."""

from __future__ import annotations

import secrets
from typing import Any

import boto3
from botocore.exceptions import ClientError

GSI = [
    ("activity", [("gsi1pk", "HASH"), ("gsi1sk", "RANGE")]),
    ("lookup", [("lookup_key", "HASH")]),
    ("outbox", [("outbox_shard", "HASH"), ("outbox_due", "RANGE")]),
]


def table_definition(name: str) -> dict[str, Any]:
    attributes = {"pk", "sk"} | {attr for _, keys in GSI for attr, _ in keys}
    return {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in sorted(attributes)],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "GlobalSecondaryIndexes": [
            {"IndexName": index, "KeySchema": [{"AttributeName": a, "KeyType": k} for a, k in keys],
             "Projection": {"ProjectionType": "ALL"}}
            for index, keys in GSI
        ],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    }


def _ignore_exists(call: Any, *args: Any, **kwargs: Any) -> None:
    try:
        call(*args, **kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in {"ResourceInUseException", "BucketAlreadyOwnedByYou",
                                                  "AlreadyExistsException", "ConflictException",
                                                  "ParameterAlreadyExists"}:
            raise


def create_all(table: str, bucket: str, sender: str, key_parameter: str, region: str, key: str | None = None) -> None:
    dynamodb = boto3.client("dynamodb")
    _ignore_exists(dynamodb.create_table, **table_definition(table))
    dynamodb.get_waiter("table_exists").wait(TableName=table, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
    dynamodb.update_time_to_live(TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    s3 = boto3.client("s3")
    _ignore_exists(s3.create_bucket, Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    # Versioned as the stack creates it: the upload check copies exactly the version it read.
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    boto3.client("sesv2").create_email_identity(EmailIdentity=sender)
    ssm = boto3.client("ssm")
    _ignore_exists(ssm.put_parameter, Name=key_parameter, Value=key or secrets.token_urlsafe(48), Type="SecureString")
    _ignore_exists(boto3.client("scheduler").create_schedule_group, Name="relais")
    boto3.client("sns").set_sms_attributes(attributes={"DefaultSMSType": "Transactional"})


def stream_arn(table: str) -> str:
    return str(boto3.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"])
