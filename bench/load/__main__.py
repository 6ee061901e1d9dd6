"""`python -m bench.load`: one peak-load run (see bench/load/runner.py)."""

from bench.load.runner import main

raise SystemExit(main())
