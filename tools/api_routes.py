"""``python -m tools.api_routes``: writes ``authstate/edge/api_routes.py``, the API's routes as the
template's HttpApi events declare them, for the ``$default`` function's 405s and a path parameter that is
another route's literal path (``authstate.edge.unrouted``). A route is declared in two places only: its
function and its event in template.yaml; this list is made from the second (``make routes``), and
``tests/unit/test_template_policies.py`` fails while it is stale."""

from __future__ import annotations

import json
import sys

from tools.localrun.template import ROOT, Template

MODULE = ROOT / "layers" / "authstate" / "authstate" / "edge" / "api_routes.py"

_HEADER = '''"""The API's routes (method, path in API Gateway's form): generated from template.yaml's
HttpApi events by ``make routes`` (``tools/api_routes.py``); do not edit. A unit test fails while it
differs from the template."""

from typing import Final

API_ROUTES: Final[tuple[tuple[str, str], ...]] = (
'''


def routes(template: Template | None = None) -> list[tuple[str, str]]:
    """Every HttpApi route of the template but ``$default``, by path then method."""
    found = {
        (route.method, route.path)
        for spec in (template or Template.load()).functions()
        for route in spec.routes
        if not route.is_default
    }
    return sorted(found, key=lambda route: (route[1], route[0]))


def render(template: Template | None = None) -> str:
    lines = "".join(f"    ({json.dumps(method)}, {json.dumps(path)}),\n" for method, path in routes(template))
    return _HEADER + lines + ")\n"


def main() -> int:
    MODULE.write_text(render())
    print(f"wrote {MODULE.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
