"""``python -m kerasnp``: the same program as the ``kerasnp`` command (see `kerasnp.lab.cli`)."""

import sys

from .lab.cli import main

if __name__ == "__main__":
    sys.exit(main())
