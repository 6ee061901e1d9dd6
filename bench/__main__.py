"""`python -m bench`: one full benchmark run (see bench/harness.py)."""

from bench.harness import main

raise SystemExit(main())
