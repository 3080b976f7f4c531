"""settle_heap, in a child process: it changes the collector for the whole process it runs in."""

from __future__ import annotations

import subprocess
import sys

from nextbest.app.bootstrap import GC_YOUNG_THRESHOLD

CHILD = """
import gc
from nextbest.app.bootstrap import settle_heap
before = gc.get_threshold()
assert gc.get_freeze_count() == 0
settle_heap()
after = gc.get_threshold()
print(gc.get_freeze_count(), *before, *after)
"""


def test_settle_heap_freezes_what_startup_loaded_and_widens_the_young_generation() -> None:
    done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60, check=True)
    frozen, *thresholds = (int(word) for word in done.stdout.split())
    before, after = thresholds[:3], thresholds[3:]
    assert frozen > 10_000  # at least the imported modules' objects
    assert after == [GC_YOUNG_THRESHOLD, before[1], before[2]]
    assert before[0] < GC_YOUNG_THRESHOLD
