"""Every URL rule of the app, built with chosen values, for tests that sweep all routes.

Reads ``app.url_map`` at run time, so routes added later are covered without listing them.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from werkzeug.routing import AnyConverter, IntegerConverter, Rule


@dataclass(frozen=True)
class Route:
    rule: Rule
    methods: tuple[str, ...]

    @property
    def int_arguments(self) -> list[str]:
        return [name for name, conv in self.rule._converters.items()
                if isinstance(conv, IntegerConverter)]

    def url(self, app: Flask, *, ints: object = 1, text: str = "x") -> str:
        """The rule's path with every ``<int:…>`` set to ``ints`` and other parts to ``text``
        (an ``<any(…)>`` part to its first choice)."""
        values: dict[str, object] = {}
        for name, conv in self.rule._converters.items():
            if isinstance(conv, IntegerConverter):
                values[name] = ints
            elif isinstance(conv, AnyConverter):
                values[name] = sorted(conv.items)[0]
            else:
                values[name] = text
        with app.test_request_context():
            adapter = app.url_map.bind("localhost")
            return adapter.build(self.rule.endpoint, values, method=self.methods[0])


def all_routes(app: Flask) -> list[Route]:
    """Every rule but ``static``, with the methods it answers (HEAD and OPTIONS left out)."""
    return [Route(rule, tuple(sorted(rule.methods - {"HEAD", "OPTIONS"})))
            for rule in app.url_map.iter_rules() if rule.endpoint != "static"]
