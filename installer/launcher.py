"""Frozen entry point of the bundle: what the `fx-executor` script runs when installed.

PyInstaller needs a script file, not a `module:function` entry point, so this
is the script form of `fx-executor = executor_app.cli:main` (pyproject.toml).
"""

import sys

from executor_app.cli import main

if __name__ == "__main__":
    sys.exit(main())
