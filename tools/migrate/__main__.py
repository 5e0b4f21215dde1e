"""``python -m tools.migrate``: the same as the ``authstate-migrate`` command."""

import sys

from tools.migrate.cli import main

sys.exit(main())
