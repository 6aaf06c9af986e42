"""Two stacks packaged side by side (staging and prod), and what names each would claim in an account."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

STAGES = ("staging", "prod")
# Properties whose value is a resource's name in the account and region (unique there).
NAME_PROPERTIES = ("FunctionName", "LogGroupName", "Name", "DashboardName", "AlarmName", "TopicName", "QueueName",
                   "BucketName", "TableName", "RoleName", "ConfigurationSetName", "ScheduleGroupName")


@pytest.fixture(scope="session", name="stacks")
def stacks_fixture(package_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """stage → the packaged SAM template (prod is the session's package; staging is built here)."""
    from infra import build

    staging = build.build("staging", tmp_path_factory.mktemp("dist-staging"))
    return {stage: dict(json.loads((folder / "sam.json").read_text()))
            for stage, folder in (("staging", staging), ("prod", package_dir))}


def resolve(template: dict[str, Any], value: Any) -> str | None:
    """A name as the stack would create it (parameters at their defaults), or None when AWS picks it."""
    parameters = {k: str(v.get("Default", "")) for k, v in template["Parameters"].items()}
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Ref" in value:
        return parameters.get(value["Ref"])
    if isinstance(value, dict) and "Fn::If" in value:  # a condition on a parameter, at its default
        condition, when_true, when_false = value["Fn::If"]
        left, right = template["Conditions"][condition]["Fn::Equals"]
        equal = resolve(template, left) == resolve(template, right)
        return resolve(template, when_true if equal else when_false)
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
        text = str(value["Fn::Sub"])
        for name, default in parameters.items():
            text = text.replace(f"${{{name}}}", default)
        return text
    return None


def physical_names(template: dict[str, Any]) -> dict[str, str]:
    """Every name the stack sets (logical id.property → name), the API's (name, stage) pair, the SSM parameter."""
    names: dict[str, str] = {}
    for logical, resource in template["Resources"].items():
        if "Condition" in resource:
            continue  # optional (custom domain, alarm email): given per stack by the operator
        properties = resource.get("Properties", {})
        for key in NAME_PROPERTIES:
            name = resolve(template, properties[key]) if key in properties else None
            if name:
                names[f"{logical}.{key}"] = name
        if resource["Type"] == "AWS::Serverless::Api":
            names[f"{logical}.ApiName+Stage"] = f"{properties['DefinitionBody']['info']['title']}/{properties['StageName']}"
    names["Parameters.SigningKeyParameter"] = str(template["Parameters"]["SigningKeyParameter"]["Default"])
    return names
