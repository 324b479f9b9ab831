"""``python -m bench.compare``: see bench/compare/run.py."""

import sys

from bench.compare.run import main

sys.exit(main())
