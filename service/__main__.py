"""`python -m service` runs the pledger CLI."""

import sys

from service.cli import main

sys.exit(main())
