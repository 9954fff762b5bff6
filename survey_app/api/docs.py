"""``/api/docs``: the API reference as a plain page rendered from the OpenAPI document.

No script and no CDN (our CSP allows neither): operations grouped by tag, with their
parameters, request body and answers, each schema drawn from the same document that
``/api/v1/openapi.json`` serves.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template

bp = Blueprint("api_reference", __name__)

#: Methods in the order a reader expects them.
METHODS = ("get", "post", "put", "patch", "delete")


@bp.get("/api/docs")
def reference():  # type: ignore[no-untyped-def]
    spec = current_app.extensions["polso_api"].spec.to_dict()
    return render_template("api/docs.html", spec=spec, groups=operations_by_tag(spec),
                           resolve=_resolver(spec))


def operations_by_tag(spec: dict[str, Any]) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """``[(tag, [{"method", "path", "id", **operation}, …]), …]`` in the document's tag order."""
    groups: dict[str, list[dict[str, Any]]] = {t["name"]: [] for t in spec.get("tags", [])}
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            entry = {**operation, "method": method, "path": path,
                     "id": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", "")}
            for tag in operation.get("tags") or ["other"]:
                groups.setdefault(tag, []).append(entry)
    tags = {t["name"]: t for t in spec.get("tags", [])}
    return [(tags.get(name, {"name": name}), ops) for name, ops in groups.items() if ops]


def _resolver(spec: dict[str, Any]):  # type: ignore[no-untyped-def]
    """``resolve(obj)``: ``obj`` with a ``$ref`` into the document replaced by its target."""

    def resolve(obj: Any) -> Any:
        seen = 0
        while isinstance(obj, dict) and "$ref" in obj and seen < 10:
            target: Any = spec
            for part in obj["$ref"].removeprefix("#/").split("/"):
                target = target.get(part, {}) if isinstance(target, dict) else {}
            obj, seen = target, seen + 1
        return obj

    return resolve
