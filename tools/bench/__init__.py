"""Benchmark (not a test): authstate against the honest baselines, on DynamoDB Local.

Run ``python -m tools.bench`` (``make bench``) from the repository root; ``--help`` lists the flags.
Sections: concurrent baselines (:mod:`bench.workloads`, :mod:`bench.runner`), the document-size sweep
(:mod:`bench.sweep`), warm handlers and JWT (:mod:`bench.operations`), cold imports (:mod:`bench.cold`);
shared helpers in :mod:`bench.measure`, output in :mod:`bench.report`. ``python -m tools.bench.load`` is the
load check of the HTTP API (:mod:`bench.load`).
"""

from __future__ import annotations

import sys
from pathlib import Path

# The shared layer is importable as in Lambda (and as pyproject's pytest/mypy paths have it).
_LAYER = Path(__file__).resolve().parents[2] / "layers" / "authstate"
if str(_LAYER) not in sys.path:
    sys.path.insert(0, str(_LAYER))
