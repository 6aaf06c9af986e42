"""Template facts, for each of two stages packaged side by side (staging and prod): the same working
stack (roles from the policy files, memory, timeouts, environment, API access logs and throttling,
a supported runtime), and no name that two stacks in one account and region would both claim."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.infra.stacks import STAGES, physical_names, stacks_fixture  # noqa: F401  (the `stacks` fixture)

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = {"APIHandler": "api_handler", "DispatchOutbox": "dispatch_outbox", "SweepOutbox": "sweep_outbox",
             "FireSchedule": "fire_schedule", "HandleBounce": "handle_bounce"}
# Lambda's supported Python runtimes (python3.11 is deprecated since 2026-06-30).
SUPPORTED_RUNTIMES = {"python3.12", "python3.13", "python3.14"}
ENVIRONMENT = {"RELAIS_STAGE", "RELAIS_TABLE", "RELAIS_BUCKET", "RELAIS_BASE_URL", "RELAIS_SENDER_EMAIL",
               "RELAIS_SIGNING_KEY_PARAMETER", "RELAIS_SES_CONFIGURATION_SET", "RELAIS_SCHEDULE_GROUP",
               "RELAIS_SCHEDULE_TARGET_ARN", "RELAIS_SCHEDULER_ROLE_ARN", "RELAIS_SCHEDULER_DLQ_ARN",
               "POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"}


def role_name(logical: str) -> str:
    return "ApiHandlerRole" if logical == "APIHandler" else f"{logical}Role"


@pytest.mark.parametrize("stage", STAGES)
def test_every_function_has_its_own_role_with_its_policy_file(stacks: dict[str, dict[str, Any]], stage: str) -> None:
    resources = stacks[stage]["Resources"]
    roles = {logical: resources[logical]["Properties"]["Role"] for logical in FUNCTIONS}
    assert roles == {logical: {"Fn::GetAtt": [role_name(logical), "Arn"]} for logical in FUNCTIONS}
    for logical, function in FUNCTIONS.items():
        (policy,) = resources[role_name(logical)]["Properties"]["Policies"]
        expected = json.loads((ROOT / ".chalice" / f"policy-{function}.json").read_text())
        assert policy["PolicyDocument"] == expected, function


@pytest.mark.parametrize("stage", STAGES)
def test_every_stage_gets_the_same_memory_timeouts_and_environment(stacks: dict[str, dict[str, Any]],
                                                                   stage: str) -> None:
    template = stacks[stage]
    sizing = {logical: (template["Resources"][logical]["Properties"]["MemorySize"],
                        template["Resources"][logical]["Properties"]["Timeout"]) for logical in FUNCTIONS}
    assert sizing == {"APIHandler": (1024, 29), "DispatchOutbox": (256, 120), "SweepOutbox": (256, 55),
                      "FireSchedule": (256, 60), "HandleBounce": (256, 60)}
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert ENVIRONMENT <= set(variables)
    assert variables["RELAIS_STAGE"] == {"Ref": "Stage"}
    # Nothing per function overrides the stage's environment (a stray RELAIS_STAGE=local would open the dev pages).
    assert all("Environment" not in template["Resources"][logical]["Properties"] for logical in FUNCTIONS)


@pytest.mark.parametrize("stage", STAGES)
def test_the_stack_is_pinned_to_its_stage_and_the_5xx_alarm_watches_its_api_stage(stacks: dict[str, dict[str, Any]],
                                                                                  stage: str) -> None:
    template = stacks[stage]
    assert template["Parameters"]["Stage"]["AllowedValues"] == [stage]
    assert template["Parameters"]["Stage"]["Default"] == stage
    assert template["Resources"]["RestAPI"]["Properties"]["StageName"] == stage
    dimensions = template["Resources"]["Api5xxRateAlarm"]["Properties"]["Dimensions"]
    assert {"Name": "Stage", "Value": {"Ref": "RestAPI.Stage"}} in dimensions


@pytest.mark.parametrize("stage", STAGES)
def test_runtime_is_supported(stacks: dict[str, dict[str, Any]], stage: str) -> None:
    runtimes = {stacks[stage]["Resources"][logical]["Properties"]["Runtime"] for logical in FUNCTIONS}
    assert runtimes <= SUPPORTED_RUNTIMES, runtimes


@pytest.mark.parametrize("stage", STAGES)
def test_api_stage_has_json_access_logs_without_the_path_and_throttling(stacks: dict[str, dict[str, Any]],
                                                                       stage: str) -> None:
    template = stacks[stage]
    api = template["Resources"]["RestAPI"]["Properties"]
    log_format = api["AccessLogSetting"]["Format"]
    # One JSON object per request, as API Gateway writes it: $context.error.messageString comes
    # with its own quotes, the other variables as bare text.
    written = log_format.replace("$context.error.messageString", json.dumps("Missing Authentication Token"))
    line = json.loads(re.sub(r"\$context\.[A-Za-z.]+", lambda m: m.group(0).replace("$", "§"), written))
    assert line["errorMessage"] == "Missing Authentication Token"
    assert line["resourcePath"] == "§context.resourcePath"
    # $context.path is /t/<ticket>/<secret>: the link secret. No field may carry the raw path or query.
    assert "$context.path" not in log_format and "querystring" not in log_format.lower()
    assert "${ApiAccessLogs}" in api["AccessLogSetting"]["DestinationArn"]["Fn::Sub"]
    assert template["Resources"]["ApiAccessLogs"]["Properties"]["RetentionInDays"] > 0
    (everything,) = api["MethodSettings"]
    assert (everything["ResourcePath"], everything["HttpMethod"]) == ("/*", "*")
    assert everything["ThrottlingRateLimit"] == {"Ref": "ApiThrottleRate"}
    assert everything["ThrottlingBurstLimit"] == {"Ref": "ApiThrottleBurst"}
    assert everything["LoggingLevel"] == "OFF"  # execution logs would hold the full path
    handler = template["Resources"]["APIHandler"]["Properties"]
    assert handler["ReservedConcurrentExecutions"] == {"Ref": "ApiReservedConcurrency"}
    defaults = {name: template["Parameters"][name]["Default"]
                for name in ("ApiThrottleRate", "ApiThrottleBurst", "ApiReservedConcurrency")}
    assert all(isinstance(v, int) and v > 0 for v in defaults.values())


def test_no_name_is_claimed_by_both_stacks(stacks: dict[str, dict[str, Any]]) -> None:
    staging, prod = (physical_names(stacks[stage]) for stage in STAGES)
    assert set(staging) == set(prod)  # the same stack
    shared = {key: name for key, name in staging.items() if name in set(prod.values())}
    assert shared == {}
    for names, stage in ((staging, "staging"), (prod, "prod")):
        assert names["APIHandler.FunctionName"] == f"relais-{stage}-api_handler"
        assert names["ScheduleGroup.Name"] == f"relais-{stage}"
        assert names["Dashboard.DashboardName"] == f"relais-{stage}"
        assert names["Parameters.SigningKeyParameter"] == f"/relais/{stage}/signing-key"


def test_alarms_for_throttles_ses_complaints_and_sms_failures(stacks: dict[str, dict[str, Any]]) -> None:
    resources = stacks["prod"]["Resources"]
    alarms = {k: v["Properties"] for k, v in resources.items() if v["Type"] == "AWS::CloudWatch::Alarm"}
    for logical, function in FUNCTIONS.items():
        throttles = alarms[f"{logical}ThrottlesAlarm"]
        assert (throttles["Namespace"], throttles["MetricName"]) == ("AWS/Lambda", "Throttles")
        assert throttles["Dimensions"] == [{"Name": "FunctionName", "Value": {"Fn::Sub": f"relais-${{Stage}}-{function}"}}]
    complaints = alarms["SesComplaintRateAlarm"]
    assert (complaints["MetricName"], complaints["Threshold"]) == ("Reputation.ComplaintRate", 0.0005)
    sms = alarms["SmsDeliveryFailureAlarm"]
    assert (sms["Namespace"], sms["MetricName"], sms["ComparisonOperator"]) == ("AWS/SNS", "SMSSuccessRate",
                                                                                "LessThanThreshold")
    # SNS writes the failures' details with this role, once the account points DeliveryStatusIAMRole at it.
    trust = resources["SmsDeliveryStatusRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Service": "sns.amazonaws.com"}
    assert stacks["prod"]["Outputs"]["SmsDeliveryStatusRoleArn"]["Value"] == {"Fn::GetAtt": ["SmsDeliveryStatusRole", "Arn"]}
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


@pytest.mark.parametrize("stage", STAGES)
def test_cfn_lint_is_clean_for_every_stage(stacks: dict[str, dict[str, Any]], stage: str, tmp_path: Path) -> None:
    import sys

    template = tmp_path / "sam.json"
    template.write_text(json.dumps(stacks[stage]))
    result = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), str(template)], capture_output=True,
                            text=True)
    assert (result.returncode, result.stdout.strip()) == (0, ""), result.stdout + result.stderr


def checkov() -> Path:
    tool = ROOT / ".venv-tools" / "bin" / "checkov"
    if not tool.exists():  # `make test` installs it; a bare pytest run installs it the same way
        subprocess.run(["make", "-C", str(ROOT), "tools"], check=True, capture_output=True)
    return tool


@pytest.mark.parametrize("stage", STAGES)
def test_checkov_passes_with_every_skip_explained_in_the_template(stacks: dict[str, dict[str, Any]], stage: str,
                                                                  tmp_path: Path) -> None:
    template = tmp_path / "sam.json"
    template.write_text(json.dumps(stacks[stage]))
    result = subprocess.run([str(checkov()), "-f", str(template), "--compact", "--quiet", "--skip-download",
                             "-o", "json"], capture_output=True, text=True, timeout=600)
    report = json.loads(result.stdout)
    summary = report["summary"]
    assert result.returncode == 0 and summary["failed"] == 0, [
        (c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
    for resource in stacks[stage]["Resources"].values():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert skip["id"].startswith("CKV_") and len(skip["comment"]) > 20, skip


def test_file_access_is_logged_to_a_private_log_bucket(stacks: dict[str, dict[str, Any]]) -> None:
    resources = stacks["prod"]["Resources"]
    logging = resources["FilesBucket"]["Properties"]["LoggingConfiguration"]
    assert logging["DestinationBucketName"] == {"Ref": "AccessLogsBucket"}
    logs = resources["AccessLogsBucket"]["Properties"]
    assert all(logs["PublicAccessBlockConfiguration"].values()) and len(logs["PublicAccessBlockConfiguration"]) == 4
    assert logs["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"}  # S3 log delivery writes SSE-S3 only
    (delivery,) = [s for s in resources["AccessLogsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
                   if s["Effect"] == "Allow"]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Condition"]["ArnLike"]["aws:SourceArn"] == {"Fn::GetAtt": ["FilesBucket", "Arn"]}
