"""The peak-load benchmark (`make bench-load`): bench/load/runner.py drives the production
processes and Locust (bench/load/locustfile.py); bench/load/monitor.py samples resources."""
