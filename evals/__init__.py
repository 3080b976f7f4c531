"""nextbest evals."""
