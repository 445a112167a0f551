"""Entry point of the frozen app: the same as the ``trainer`` command."""

import sys

from trainer.cli import main

sys.exit(main())
