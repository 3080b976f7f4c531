"""`nextbest bench import` at a tiny size: the worker it starts holds every imported product and stock row."""

from __future__ import annotations

from benchmarks.imports import ImportPlan, run_imports


def test_the_serving_worker_holds_what_was_imported() -> None:
    plan = ImportPlan(products=23, variants=2, stores=3)
    results = {result.name: result for result in run_imports(plan)}
    served = results["import.serving_rss"].extra
    assert served["products"] == 23
    assert served["stock_rows"] == 23 * 2 * 3
    assert served["stock_bytes"] == 23 * 2 * 3 * 4  # one int32 cell per SKU and store
    assert results["import.serving_rss"].target == "≤ 1.5 GiB"
    assert results["import.load.seconds"].met is not None
    peaks = results["import.total"].extra["import_peak_rss"]
    assert set(peaks) == {"stores", "products", "inventory"} and all(peak > 0 for peak in peaks.values())
