"""`python -m compiler` is `resnetc`."""

import sys

from .cli import main

sys.exit(main())
