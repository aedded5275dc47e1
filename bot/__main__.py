"""`python -m bot`: the same entry point as the `division-bell` console script."""

import sys

from bot.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
