"""nextbest guardrails."""
