"""Retry delays: exponential with "equal jitter", so delays grow yet retries spread out."""

from __future__ import annotations

import random


def retry_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Delay before the attempt after ``attempt`` (1-based): half fixed, half random, capped."""
    ceiling = min(cap, base * 2.0 ** max(0, attempt - 1))
    jitter = float((rng or random).uniform(0, ceiling / 2))
    return ceiling / 2 + jitter
