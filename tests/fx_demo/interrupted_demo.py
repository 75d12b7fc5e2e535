"""``fx-demo`` whose Ctrl+C or SIGTERM is handled inside an ``exec()`` of a string while starting.

Run by ``tests/fx_demo/test_cli.py`` as ``python -m tests.fx_demo.interrupted_demo
SIGNAL ARGS...``. Right after the credentials are registered (the brain and
the terminal are starting), the process sends itself SIGNAL from code run by
``exec()`` of a string, the way dataclasses and namedtuple build their methods
during an import, so the signal handler's exception leaves that ``exec()``.
CPython remembers a KeyboardInterrupt leaving an ``exec()``/``eval()`` of a
string and, at exit, ends the process by SIGINT even when the program caught
it and stopped cleanly (exit status -2, nothing on stderr). Only where the
signal lands is pinned here; the demo, its programs and its stop are real.
"""

import signal
import sys
from pathlib import Path

from fx_demo import cli, credentials

# The loop gives the interpreter a point to run the signal handler before this code ends.
SIGNAL_INSIDE = "import os\nos.kill(os.getpid(), SIG)\nfor _ in range(100_000):\n    pass\n"


def main() -> int:
    sig = signal.Signals[sys.argv[1]]
    register = credentials.register

    def register_then_signal(db: Path) -> credentials.Credentials:
        saved = register(db)
        exec(SIGNAL_INSIDE, {"SIG": sig})
        return saved

    credentials.register = register_then_signal
    return cli.main(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
