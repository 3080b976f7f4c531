"""The top floor: the entry points (HTTP API, CLI) and the one place that wires a runtime (bootstrap).

Nothing below imports from here: contracts, policy, tools, guardrails and agent know nothing of how they are
served.
"""
