"""`python -m resnetc` is `resnetc`: quiet about Ctrl-C from here on, as `_resnetc` explains."""

import signal
import sys

if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
    signal.signal(signal.SIGINT, signal.SIG_DFL)

from .cli import main  # after the line above, so that an interrupt while importing is quiet

sys.exit(main())
