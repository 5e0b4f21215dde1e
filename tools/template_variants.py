"""``python -m tools.template_variants DIR``: template.yaml with the multi-Region options on, as JSON
templates in DIR, for ``sam validate --lint`` and checkov (``make sam-validate``, ``make checkov``), which
read a template with its parameters' defaults: so the option is checked on, as template.yaml checks it off.

- ``multi-region``: this stack creates the global tables, replicas in two more Regions;
- ``multi-region-witness``: one replica Region and a witness Region;
- ``multi-region-secondary``: another Region's stack, using the global tables the first one created.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tools.localrun.template import Template

VARIANTS: Mapping[str, Mapping[str, str]] = {
    "multi-region": {"GlobalTableNamePrefix": "authstate", "ReplicaRegions": "us-east-2,us-west-2"},
    "multi-region-witness": {
        "GlobalTableNamePrefix": "authstate",
        "ReplicaRegions": "us-east-2",
        "WitnessRegion": "us-west-2",
    },
    "multi-region-secondary": {"GlobalTableNamePrefix": "authstate"},
}


def variant(defaults: Mapping[str, str], template: Template | None = None) -> dict[str, Any]:
    """The template with these parameter defaults (long-form intrinsics: valid CloudFormation JSON)."""
    raw = copy.deepcopy((template or Template.load()).raw)
    for name, value in defaults.items():
        raw["Parameters"][name]["Default"] = value
    return raw


def write(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, defaults in VARIANTS.items():
        path = directory / f"template-{name}.json"
        path.write_text(json.dumps(variant(defaults), indent=1) + "\n")
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if len(arguments) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    for path in write(Path(arguments[0])):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
