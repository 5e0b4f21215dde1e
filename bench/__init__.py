"""Benchmark (not a test): authstate's store against naive baselines, on DynamoDB Local.

Run ``python -m bench`` (``make bench``) from the repository root; ``--help`` lists the flags.
Workloads and their contenders live in :mod:`bench.workloads`, the measuring in :mod:`bench.runner`.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The shared layer is importable as in Lambda (and as pyproject's pytest/mypy paths have it).
_LAYER = Path(__file__).resolve().parent.parent / "layers" / "authstate"
if str(_LAYER) not in sys.path:
    sys.path.insert(0, str(_LAYER))
