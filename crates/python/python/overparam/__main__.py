"""``python -m overparam ARGS``: the ``overparam`` command line, in this interpreter."""

import signal
import sys

from overparam import _core


def main() -> int:
    # The command line's own behaviour on Ctrl-C and SIGTERM: stop at once (a sweep's run is
    # resumed from its checkpoint), not Python's KeyboardInterrupt between bytecodes.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    return _core.cli(["overparam", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
