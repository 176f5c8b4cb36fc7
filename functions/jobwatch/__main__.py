"""`python -m jobwatch` runs the command line."""

import sys

from jobwatch.cli import main

sys.exit(main())
