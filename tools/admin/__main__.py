"""``python -m tools.admin``: the same as ``authstate-admin``."""

import sys

from tools.admin.cli import main

sys.exit(main())
