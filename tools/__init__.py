"""nextbest tools."""
