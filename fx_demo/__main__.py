"""``python -m fx_demo``: the same as ``fx-demo``."""

import sys

from fx_demo.cli import main

sys.exit(main())
