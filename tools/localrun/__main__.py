"""``python -m tools.localrun``: the version check, then localrun.cli (see ``--help``).

Nothing above the check may need a Python newer than the oldest one that could start this file:
the runner and the functions are Python 3.13 (the Lambda runtime), and an older Python would
otherwise die on their syntax with a traceback that does not say why."""

import sys

if sys.version_info < (3, 13):  # noqa: UP036 - this check is for the Pythons pyproject excludes
    print(
        "authstate's local runner needs Python 3.13 (the Lambda runtime); "
        f"this is Python {sys.version_info[0]}.{sys.version_info[1]}. "
        "Use .venv/bin/python (tools/scripts/setup.sh creates it).",
        file=sys.stderr,
    )
    sys.exit(2)

from tools.localrun.cli import main  # only once the version is known to be right

if __name__ == "__main__":
    sys.exit(main())
