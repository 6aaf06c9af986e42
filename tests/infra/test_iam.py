"""Each function's policy file against what its code asks of AWS during a whole lifecycle
(tests/infra/lifecycle.py): every botocore call (pynamodb's too) mapped to the IAM actions AWS
checks for it (tests/infra/iam_actions.py). Nothing missing, nothing unused, but for the few
actions AWS needs that no call of ours shows, each with its reason."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.infra.iam_actions import actions_for, index_of, s3_prefixes
from tests.infra.lifecycle import Recorder, lifecycle_fixture  # noqa: F401  (the `lifecycle` fixture)
from tests.integration.conftest import client, people  # noqa: F401  (fixtures the lifecycle needs)

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ("api_handler", "dispatch_outbox", "sweep_outbox", "fire_schedule", "handle_bounce", "receive_email")

LAMBDA_LOGS = {"logs:CreateLogStream": "Lambda writes the function's own log group with its role",
               "logs:PutLogEvents": "Lambda writes the function's own log group with its role"}
ON_FAILURE = {"sqs:SendMessage": "Lambda sends failed invocations or batches to FailureQueue with the function's role"}
SES_RAW = {"ses:SendRawEmail": "SES v2 SendEmail with Raw content (attachments, .ics) may be authorised as "
                               "SendRawEmail; granted with SendEmail, as AWS's own SES grants do"}
# Needed on AWS, never seen as a call of ours (moto has no Lambda service in front of the code).
NOT_CALLED_BY_OUR_CODE: dict[str, dict[str, str]] = {
    "api_handler": {**LAMBDA_LOGS,
                    "s3:ListBucket": "S3 answers 404 for a missing key or version only to a caller that may list the "
                                     "bucket (else 403): a double submit reads 'already moved' from that 404"},
    "dispatch_outbox": {
        **LAMBDA_LOGS, **ON_FAILURE, **SES_RAW,
        "dynamodb:DescribeStream": "Lambda's stream poller reads the table's stream with the function's role",
        "dynamodb:GetRecords": "Lambda's stream poller reads the table's stream with the function's role",
        "dynamodb:GetShardIterator": "Lambda's stream poller reads the table's stream with the function's role",
        "dynamodb:ListStreams": "Lambda's stream poller reads the table's stream with the function's role",
        "xray:PutTraceSegments": "Active tracing: Lambda sends the segments with the function's role",
        "xray:PutTelemetryRecords": "Active tracing: Lambda sends the segments with the function's role",
    },
    "sweep_outbox": {**LAMBDA_LOGS, **ON_FAILURE, **SES_RAW},
    "fire_schedule": {**LAMBDA_LOGS, **ON_FAILURE},
    "handle_bounce": {**LAMBDA_LOGS, **ON_FAILURE},
    "receive_email": {**LAMBDA_LOGS, **ON_FAILURE,
                      "s3:ListBucket": "as for api_handler: the upload checks read 'already moved' from a 404"},
}
# Reached by code this lifecycle does not walk (each path named), so unseen here and still needed.
OTHER_CODE_PATHS: dict[str, dict[str, str]] = {
    "dispatch_outbox": {"dynamodb:PutItem": "dispatcher._mark_failed: a send failed for good adds an event and an "
                                            "À traiter item, in one transaction"},
    "sweep_outbox": {"dynamodb:PutItem": "dispatcher._mark_failed, as for dispatch_outbox"},
    "fire_schedule": {"dynamodb:DeleteItem": "store.apply_change: a timer's step drops the list summaries that no "
                                             "longer apply (listing.summary_writes deletes)"},
    "receive_email": {"dynamodb:DeleteItem": "store.apply_change: a message by email after an unread answer moves "
                                             "the ticket from À traiter's 'answer' group to 'message' (deletes one)"},
}
# The sweep re-drives what the dispatcher did not send, with the same code (dispatcher.deliver):
# anything the dispatcher sends, the sweep may have to send.
SAME_SENDS_AS = {"sweep_outbox": "dispatch_outbox"}


def policy(function: str) -> list[dict[str, Any]]:
    document = json.loads((ROOT / ".chalice" / f"policy-{function}.json").read_text())
    return list(document["Statement"])


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def granted_actions(function: str) -> set[str]:
    return {action for statement in policy(function) for action in as_list(statement["Action"])}


def granted_resources(function: str, prefix: str) -> str:
    return json.dumps([statement["Resource"] for statement in policy(function)
                       if any(a.startswith(prefix) for a in as_list(statement["Action"]))])


def observed(lifecycle: Recorder, function: str) -> tuple[set[str], set[str], set[str]]:
    """The actions, DynamoDB indexes and S3 key prefixes of the function's calls."""
    actions: set[str] = set()
    indexes: set[str] = set()
    prefixes: set[str] = set()
    for call in lifecycle.calls.get(function, []):
        actions |= actions_for(call.service, call.operation, call.params)
        index = index_of(call.service, call.operation, call.params)
        indexes |= {index} if index else set()
        prefixes |= s3_prefixes(call.service, call.operation, call.params)
    return actions, indexes, prefixes


def test_the_lifecycle_runs_every_function(lifecycle: Recorder) -> None:
    assert set(lifecycle.calls) == set(FUNCTIONS)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_policy_grants_every_action_the_code_calls(lifecycle: Recorder, function: str) -> None:
    actions, indexes, prefixes = observed(lifecycle, function)
    assert actions - granted_actions(function) == set()
    dynamodb = granted_resources(function, "dynamodb:")
    assert [i for i in indexes if f"${{Table.Arn}}/index/{i}" not in dynamodb] == []
    s3 = granted_resources(function, "s3:")
    assert [p for p in prefixes if f"${{FilesBucket.Arn}}/{p}*" not in s3] == []


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_policy_grants_nothing_the_code_does_not_use(lifecycle: Recorder, function: str) -> None:
    actions, indexes, prefixes = observed(lifecycle, function)
    if function in SAME_SENDS_AS:
        same = observed(lifecycle, SAME_SENDS_AS[function])
        actions, prefixes = actions | same[0], prefixes | same[2]
    explained = set(NOT_CALLED_BY_OUR_CODE[function]) | set(OTHER_CODE_PATHS.get(function, {}))
    unused = granted_actions(function) - actions - explained
    assert unused == set()
    granted_indexes = set(re.findall(r"\$\{Table\.Arn\}/index/(\w+)", granted_resources(function, "dynamodb:")))
    assert granted_indexes - indexes == set()
    granted_prefixes = set(re.findall(r"\$\{FilesBucket\.Arn\}/(\w+/)\*", granted_resources(function, "s3:")))
    assert granted_prefixes - prefixes == set()
    # The reasons are for actions the policy really grants, and the other paths' are really unseen.
    assert explained <= granted_actions(function)
    assert not set(OTHER_CODE_PATHS.get(function, {})) & observed(lifecycle, function)[0]
