"""``fx-brain`` whose SIGTERM or Ctrl+C is handled inside an ``exec()`` of a string while starting.

Run by ``tests/brain_server/test_cli.py`` as ``python -m tests.brain_server.interrupted_brain
SIGNAL ARGS...``. Before ``serve`` starts, the process sends itself SIGNAL from
code run by ``exec()`` of a string, the way dataclasses and namedtuple build
their methods during an import (the brain imports Litestar and its store while
starting), so the handler's exception leaves that ``exec()``. CPython remembers
a KeyboardInterrupt leaving such an ``exec()`` and ends the process by SIGINT at
exit, however cleanly it was caught. Only where the signal lands is pinned here.
"""

import argparse
import signal
import sys

from brain_server import cli

# The loop gives the interpreter a point to run the signal handler before this code ends.
SIGNAL_INSIDE = "import os\nos.kill(os.getpid(), SIG)\nfor _ in range(100_000):\n    pass\n"


def main() -> int:
    sig = signal.Signals[sys.argv[1]]
    serve = cli.cmd_serve

    def signal_then_serve(args: argparse.Namespace) -> None:
        exec(SIGNAL_INSIDE, {"SIG": sig})
        serve(args)

    cli.cmd_serve = signal_then_serve
    return cli.main(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
