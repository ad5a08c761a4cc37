"""The in-process rate limit storage: counts like limits' memory storage, starts no threads."""

import threading
import time

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from meetings.core.limits import InProcessStorage


def test_memory_uris_get_the_storage_without_timer_threads():
    storage = storage_from_string("memory://")
    assert isinstance(storage, InProcessStorage)
    limiter = FixedWindowRateLimiter(storage)
    limit = parse("3 per minute")
    time.sleep(0.05)  # the base class's one timer at creation has run
    before = threading.active_count()
    assert [limiter.hit(limit, "a") for _ in range(4)] == [True, True, True, False]
    assert limiter.hit(limit, "b")
    assert threading.active_count() == before


def test_expired_counters_are_swept_inline(monkeypatch):
    storage = InProcessStorage("memory://")
    clock = [1000.0]
    monkeypatch.setattr("limits.storage.memory.time.time", lambda: clock[0])
    monkeypatch.setattr("meetings.core.limits.time.monotonic", lambda: clock[0])
    limiter = FixedWindowRateLimiter(storage)
    limit = parse("1 per second")
    assert limiter.hit(limit, "gone")
    assert not limiter.hit(limit, "gone")
    clock[0] += 5
    assert limiter.hit(limit, "other")  # the sweep runs: the stale counter is freed
    assert not any("gone" in key for key in storage.storage)
    moving = MovingWindowRateLimiter(storage)
    assert moving.hit(limit, "m") and not moving.hit(limit, "m")
    clock[0] += 5
    assert moving.hit(limit, "m")
