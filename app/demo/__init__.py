"""Demo data for the one-command demo and for benchmarks."""
