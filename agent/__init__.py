"""nextbest agent."""
