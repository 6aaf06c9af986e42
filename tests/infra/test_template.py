"""The packaged template: what infra/ adds, the least-privilege policies, alarms, cfn-lint."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from local.resources import GSI

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = {"APIHandler": "api_handler", "DispatchOutbox": "dispatch_outbox", "SweepOutbox": "sweep_outbox",
             "FireSchedule": "fire_schedule", "HandleBounce": "handle_bounce", "ReceiveEmail": "receive_email"}


def props(template: dict[str, Any], logical: str) -> dict[str, Any]:
    return dict(template["Resources"][logical]["Properties"])


def test_cfn_lint_finds_no_error_and_no_warning(package_dir: Path) -> None:
    result = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), str(package_dir / "sam.json")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_table_matches_local_resources(template: dict[str, Any]) -> None:
    table = props(template, "Table")
    assert template["Resources"]["Table"]["DeletionPolicy"] == "Retain"
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["DeletionProtectionEnabled"] is True
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires", "Enabled": True}
    assert [k["AttributeName"] for k in table["KeySchema"]] == ["pk", "sk"]
    indexes = {i["IndexName"]: ([(k["AttributeName"], k["KeyType"]) for k in i["KeySchema"]], i["Projection"])
               for i in table["GlobalSecondaryIndexes"]}
    assert indexes == {name: (keys, {"ProjectionType": "ALL"}) for name, keys in GSI}
    attributes = {a["AttributeName"] for a in table["AttributeDefinitions"]}
    assert attributes == {"pk", "sk"} | {a for _, keys in GSI for a, _ in keys}


def test_bucket_is_private_encrypted_versioned_with_cors_and_lifecycle(template: dict[str, Any]) -> None:
    bucket = props(template, "FilesBucket")
    assert all(bucket["PublicAccessBlockConfiguration"].values()) and len(bucket["PublicAccessBlockConfiguration"]) == 4
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    (cors,) = bucket["CorsConfiguration"]["CorsRules"]
    assert cors["AllowedOrigins"] == [{"Ref": "AppOrigin"}] and cors["AllowedMethods"] == ["POST"]
    rules = {r["Id"]: r for r in bucket["LifecycleConfiguration"]["Rules"]}
    assert rules["ExpireAbandonedUploads"]["Prefix"] == "incoming/"
    assert rules["ExpireAbandonedUploads"]["ExpirationInDays"] == 1
    assert rules["AbortIncompleteMultipartUploads"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    from chalicelib.aws import uploads

    assert uploads.incoming_prefix("X").startswith("incoming/")


def test_ses_bounces_and_complaints_reach_the_bounce_function(template: dict[str, Any]) -> None:
    destination = props(template, "SesBouncesToTopic")["EventDestination"]
    assert sorted(destination["MatchingEventTypes"]) == ["bounce", "complaint"]
    assert destination["SnsDestination"] == {"TopicARN": {"Ref": "BounceTopic"}}
    events = props(template, "HandleBounce")["Events"]
    assert any(e["Type"] == "SNS" and e["Properties"]["Topic"] == {"Ref": "BounceTopic"} for e in events.values())
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    assert env["RELAIS_SES_CONFIGURATION_SET"] == {"Ref": "SesConfigurationSet"}


def test_replies_are_received_stored_raw_then_read_by_receive_email(template: dict[str, Any]) -> None:
    """SES's receipt rule for the reply domain: raw MIME under inbound/ (where chalicelib/aws/inbound.py
    reads it), then receive_email with the verdicts; SES may write there and invoke it, for that rule only."""
    from chalicelib.aws.inbound import INBOUND_PREFIX

    resources = template["Resources"]
    rule = resources["ReplyRule"]
    assert rule["Condition"] == "ReceivesReplies" and set(rule["DependsOn"]) == {"FilesBucketPolicy", "ReceiveEmailFromSes"}
    spec = rule["Properties"]["Rule"]
    assert spec["ScanEnabled"] is True and spec["Recipients"] == [{"Ref": "ReplyDomain"}]
    store, invoke, stop = spec["Actions"]
    assert store["S3Action"] == {"BucketName": {"Ref": "FilesBucket"}, "ObjectKeyPrefix": INBOUND_PREFIX}
    assert invoke["LambdaAction"] == {"FunctionArn": {"Fn::GetAtt": ["ReceiveEmail", "Arn"]}, "InvocationType": "Event"}
    assert stop == {"StopAction": {"Scope": "RuleSet"}}
    rule_arn = "receipt-rule-set/relais-${Stage}:receipt-rule/relais-${Stage}-replies"
    permission = resources["ReceiveEmailFromSes"]["Properties"]
    assert permission["Principal"] == "ses.amazonaws.com" and rule_arn in permission["SourceArn"]["Fn::Sub"]
    assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}
    statements = props(template, "FilesBucketPolicy")["PolicyDocument"]["Statement"]
    (ses,) = [s["Fn::If"][1] for s in statements if "Fn::If" in s]
    assert ses["Principal"] == {"Service": "ses.amazonaws.com"} and ses["Action"] == "s3:PutObject"
    assert ses["Resource"] == {"Fn::Sub": "${FilesBucket.Arn}/inbound/*"}
    assert rule_arn in ses["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"]
    lifecycle = {r["Id"]: r for r in props(template, "FilesBucket")["LifecycleConfiguration"]["Rules"]}
    assert lifecycle["ExpireReceivedEmails"]["Prefix"] == INBOUND_PREFIX
    assert template["Globals"]["Function"]["Environment"]["Variables"]["RELAIS_AGENCY_REPLY_DOMAIN"] == {"Ref": "ReplyDomain"}
    # A reply domain in a region where SES receives no email fails the deploy, not the replies.
    (assertion,) = template["Rules"]["RepliesNeedAnSesReceivingRegion"]["Assertions"]
    assert assertion["Assert"]["Fn::Contains"][0] == ["us-east-1", "us-west-2", "eu-west-1"]


def test_functions_are_wired(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    for logical, name in FUNCTIONS.items():
        assert resources[logical]["Properties"]["FunctionName"] == {"Fn::Sub": f"relais-${{Stage}}-{name}"}
        assert resources[f"{logical}LogGroup"]["Properties"]["RetentionInDays"] > 0
    stream = props(template, "DispatchOutbox")["Events"]["TableStream"]["Properties"]
    assert stream["Stream"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    assert stream["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["FailureQueue", "Arn"]}
    # dispatch_outbox answers the records that failed: Lambda retries from the first of them, not the batch.
    assert stream["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    schedule = props(template, "SweepOutbox")["Events"]["EveryMinute"]
    assert schedule["Properties"]["Schedule"] == "rate(1 minute)"
    for logical in ("SweepOutbox", "FireSchedule", "HandleBounce", "ReceiveEmail"):  # invoked asynchronously
        on_failure = props(template, logical)["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]
        assert on_failure == {"Type": "SQS", "Destination": {"Fn::GetAtt": ["FailureQueue", "Arn"]}}
    # Tracer() costs ~175 ms of cold start: never on the API; Active tracing needs no SDK.
    assert props(template, "APIHandler")["Tracing"] == "PassThrough"
    assert template["Globals"]["Function"]["Environment"]["Variables"]["RELAIS_STAGE"] == {"Ref": "Stage"}


def test_scheduler_group_role_and_dead_letter_queue(template: dict[str, Any]) -> None:
    # relais-<stage> unless an older stack keeps the group it already has (renaming deletes its timers).
    assert props(template, "ScheduleGroup")["Name"] == {
        "Fn::If": ["StageScheduleGroup", {"Fn::Sub": "relais-${Stage}"}, {"Ref": "ScheduleGroupName"}]}
    assert template["Parameters"]["ScheduleGroupName"]["Default"] == ""
    assert template["Conditions"]["StageScheduleGroup"] == {"Fn::Equals": [{"Ref": "ScheduleGroupName"}, ""]}
    role = props(template, "SchedulerRole")
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "scheduler.amazonaws.com"}
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    invoke = next(s for s in statements if s["Action"] == "lambda:InvokeFunction")
    assert all("function:relais-${Stage}-fire_schedule" in r["Fn::Sub"] for r in invoke["Resource"])
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    assert "function:relais-${Stage}-fire_schedule" in env["RELAIS_SCHEDULE_TARGET_ARN"]["Fn::Sub"]
    assert env["RELAIS_SCHEDULER_DLQ_ARN"] == {"Fn::GetAtt": ["SchedulerDeadLetterQueue", "Arn"]}
    assert env["RELAIS_SCHEDULER_ROLE_ARN"] == {"Fn::GetAtt": ["SchedulerRole", "Arn"]}


# -- IAM ---------------------------------------------------------------------------------------

# The only statements allowed on Resource "*", each because the service offers nothing narrower.
STAR_RESOURCE_ACTIONS = {"sns:Publish",  # SMS to a phone number: a phone number has no ARN
                         "xray:PutTraceSegments", "xray:PutTelemetryRecords",  # no resource-level permissions
                         "dynamodb:ListStreams"}  # no resource-level permissions
DATA_PREFIXES = ("dynamodb:", "s3:", "sqs:", "ssm:", "ses:", "scheduler:", "kms:", "logs:", "iam:")


def statements_of(template: dict[str, Any], logical: str) -> list[dict[str, Any]]:
    role = props(template, f"{logical}Role" if logical != "APIHandler" else "ApiHandlerRole")
    (policy,) = role["Policies"]
    return list(policy["PolicyDocument"]["Statement"])


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_each_function_has_its_own_policy_file_in_every_deployed_stage() -> None:
    from infra.build import chalice_config

    for stage in ("staging", "prod", "demo"):
        config = chalice_config(stage)  # Chalice applies the top level to every stage
        assert config["autogen_policy"] is False and config["stages"] == {stage: {"api_gateway_stage": stage}}
        for name in FUNCTIONS.values():
            assert config["lambda_functions"][name]["iam_policy_file"] == f"policy-{name}.json"


def test_the_local_stage_is_never_packaged() -> None:
    import pytest

    from infra.build import chalice_config

    with pytest.raises(SystemExit, match="dev pages"):
        chalice_config("local")


def test_policies_are_least_privilege(template: dict[str, Any]) -> None:
    for logical in FUNCTIONS:
        role = template["Resources"]["ApiHandlerRole" if logical == "APIHandler" else f"{logical}Role"]
        assert template["Resources"][logical]["Properties"]["Role"] == {"Fn::GetAtt": [role and (
            "ApiHandlerRole" if logical == "APIHandler" else f"{logical}Role"), "Arn"]}
        for statement in statements_of(template, logical):
            assert statement["Effect"] == "Allow"
            actions = as_list(statement["Action"])
            assert all("*" not in action for action in actions), (logical, actions)
            resources = as_list(statement["Resource"])
            if "*" in resources:
                assert set(actions) <= STAR_RESOURCE_ACTIONS, (logical, actions)
                continue
            assert all(action.startswith(DATA_PREFIXES) for action in actions), (logical, actions)
            text = json.dumps(resources)
            if any(a.startswith("dynamodb:") for a in actions):
                assert all("Table" in json.dumps(r) for r in resources), (logical, resources)
            if actions == ["s3:ListBucket"]:  # on the bucket itself: S3 then answers 404, not 403, for a missing key
                assert resources == [{"Fn::GetAtt": ["FilesBucket", "Arn"]}], (logical, resources)
            elif any(a.startswith("s3:") for a in actions):
                assert all("${FilesBucket.Arn}/" in json.dumps(r) for r in resources), (logical, resources)
            if any(a.startswith("logs:") for a in actions):
                assert f"log-group:/aws/lambda/relais-${{Stage}}-{FUNCTIONS[logical]}:*" in text
            if "kms:Decrypt" in actions:
                assert statement["Condition"]["StringEquals"]["kms:ViaService"]


def actions_of(template: dict[str, Any], logical: str) -> set[str]:
    return {a for s in statements_of(template, logical) for a in as_list(s["Action"])}


def test_each_function_gets_what_its_code_calls_and_no_more(template: dict[str, Any]) -> None:
    senders = {"ses:SendEmail", "sns:Publish", "scheduler:CreateSchedule", "iam:PassRole"}
    assert senders <= actions_of(template, "DispatchOutbox")
    assert senders <= actions_of(template, "SweepOutbox")
    for logical in ("APIHandler", "FireSchedule", "HandleBounce", "ReceiveEmail"):  # they only write the outbox
        assert not senders & actions_of(template, logical), logical
    assert "s3:PutObject" in actions_of(template, "APIHandler")  # presigned POST is signed with its role
    assert not {a for a in actions_of(template, "DispatchOutbox") if a.startswith("s3:")} - {"s3:GetObject"}
    assert "ssm:GetParameter" not in actions_of(template, "HandleBounce")
    assert "dynamodb:DeleteItem" not in actions_of(template, "DispatchOutbox")
    assert "dynamodb:GetRecords" in actions_of(template, "DispatchOutbox")


# -- alarms and dashboard ----------------------------------------------------------------------

def test_alarms_are_wired_to_their_metrics(template: dict[str, Any]) -> None:
    alarms = {k: v["Properties"] for k, v in template["Resources"].items() if v["Type"] == "AWS::CloudWatch::Alarm"}
    five = alarms["Api5xxRateAlarm"]
    assert (five["Namespace"], five["MetricName"], five["Statistic"]) == ("AWS/ApiGateway", "5XXError", "Average")
    assert {"Name": "ApiName", "Value": "relais"} in five["Dimensions"]
    for name, queue in (("SchedulerDeadLetterAlarm", "SchedulerDeadLetterQueue"), ("FailureQueueAlarm", "FailureQueue")):
        alarm = alarms[name]
        assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible" and alarm["Threshold"] == 1
        assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}]
    bounce = alarms["SesBounceRateAlarm"]
    assert (bounce["MetricName"], bounce["Threshold"], bounce["ComparisonOperator"]) == (
        "Reputation.BounceRate", 0.02, "GreaterThanOrEqualToThreshold")
    stuck = alarms["OutboxStuckAlarm"]
    from chalicelib.outbox import metrics

    assert (stuck["Namespace"], stuck["MetricName"], stuck["Threshold"]) == (metrics.NAMESPACE, metrics.OUTBOX_AGE, 900)
    assert stuck["Dimensions"] == [{"Name": "service", "Value": metrics.SERVICE}]
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_dashboard_shows_steps_deliveries_errors_latency(template: dict[str, Any]) -> None:
    body = json.loads(props(template, "Dashboard")["DashboardBody"]["Fn::Sub"])
    titles = " ".join(w["properties"]["title"] for w in body["widgets"])
    for word in ("step", "Reminders", "SMS and emails", "Errors", "latency", "outbox"):
        assert word in titles
    metric_names = {m[1] for w in body["widgets"] for m in w["properties"]["metrics"]}
    assert {"TicketsCreated", "RequestsAccepted", "NotificationsSent", "NotificationsFailed", "RemindersFired",
            "Errors", "Latency", "OutboxOldestPendingAgeSeconds"} <= metric_names
