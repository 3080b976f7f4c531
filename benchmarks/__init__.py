"""nextbest benchmarks."""
