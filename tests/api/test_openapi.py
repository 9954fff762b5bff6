"""The OpenAPI document is valid 3.1, made from the schemas that validate, and readable at
/api/docs under our CSP."""

from __future__ import annotations

from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator


def test_the_document_is_valid_openapi_3_1(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.content_type == "application/json"
    spec = response.get_json()
    assert spec["openapi"] == "3.1.0"
    validate(spec, cls=OpenAPIV31SpecValidator)
    operations = {(method, path) for path, item in spec["paths"].items() for method in item
                  if method in ("get", "post", "put", "patch", "delete")}
    assert {("post", "/api/v1/surveys/{slug}/invitations"),
            ("post", "/api/v1/surveys/{slug}/invitations/bulk"),
            ("post", "/api/v1/responses")} <= operations
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    tags = [tag["name"] for tag in spec["tags"]]
    assert {"invitations", "responses"} <= set(tags) and not any("api_" in t for t in tags)
    assert all(set(op["tags"]) <= set(tags) for item in spec["paths"].values()
               for op in item.values() if isinstance(op, dict) and "tags" in op)


def test_every_operation_documents_its_problems_and_strict_bodies(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    problem = spec["components"]["responses"]["UNPROCESSABLE_ENTITY"]["content"]
    assert list(problem) == ["application/problem+json"]
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post"):
                continue
            assert {"401", "403", "429", "default"} <= set(operation["responses"]), path
            if method == "post":
                assert {"400", "409", "413", "415", "422"} <= set(operation["responses"])
                names = [p["name"] for p in operation.get("parameters", [])]
                assert "Idempotency-Key" in names, path
    # Generated from the validating schema: unknown fields are refused, so none are allowed.
    person = spec["components"]["schemas"]["PersonInput"]
    assert person["additionalProperties"] is False
    assert person["required"] == ["email"]


def test_the_reference_page_needs_no_script_or_cdn(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.text
    assert "<script" not in html and "cdn" not in html.lower()
    assert "POST /api/v1/surveys/{slug}/invitations/bulk" in html
    assert "delay_seconds" in html and "Idempotency-Key" in html
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'self'" in csp
