"""On API Gateway, an unknown path never gets its `{"message": "Missing Authentication Token"}` 403:
the deployed API has the greedy route to the app's 404 page, and API Gateway's own answer for a
known path asked with another method is that page too. `chalice local` and the test client differ
here (no greedy routes, a JSON 405): this reads the packaged template, the shape AWS deploys."""

from __future__ import annotations

from typing import Any


def test_the_api_routes_every_unknown_path_to_the_apps_404_page(template: dict[str, Any]) -> None:
    paths = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    greedy = paths["/{proxy+}"]
    assert {"get", "head", "post"} <= set(greedy)
    for method in greedy.values():
        assert method["x-amazon-apigateway-integration"]["type"] == "aws_proxy"  # Chalice's, kept by the merge
        assert method["parameters"] == [{"name": "proxy", "in": "path", "required": True, "type": "string"}]


def test_api_gateways_own_missing_token_answer_is_the_404_page(template: dict[str, Any]) -> None:
    resource = template["Resources"]["UnknownPathResponse"]
    assert resource["Type"] == "AWS::ApiGateway::GatewayResponse"
    props = resource["Properties"]
    assert props["ResponseType"] == "MISSING_AUTHENTICATION_TOKEN" and props["StatusCode"] == "404"
    assert props["RestApiId"] == {"Ref": "RestAPI"}
    assert props["ResponseParameters"]["gatewayresponse.header.Content-Type"] == "'text/html; charset=utf-8'"
    for body in props["ResponseTemplates"].values():
        assert "<h1>Page introuvable</h1>" in body and "Missing Authentication Token" not in body
        assert "$" not in body and "#" not in body  # read as a response template (VTL): nothing to interpret
