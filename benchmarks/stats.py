"""Small statistics helpers: percentiles, medians and latency summaries."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        raise ValueError("percentile of an empty sequence")
    if not 0 <= q <= 100:
        raise ValueError("q must be between 0 and 100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


@dataclass(frozen=True)
class LatencySummary:
    """One load run: latency percentiles in milliseconds and messages per second."""

    messages: int
    errors: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def throughput(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else 0.0


def summarize(latencies_s: Sequence[float], seconds: float, errors: int = 0) -> LatencySummary:
    """Summarize per-message latencies (seconds) of a run that took ``seconds`` of wall time."""
    ms = [x * 1000 for x in latencies_s] or [0.0]
    return LatencySummary(len(latencies_s), errors, seconds, percentile(ms, 50), percentile(ms, 95), percentile(ms, 99))


def median_summary(runs: Sequence[LatencySummary]) -> LatencySummary:
    """Median of each figure over repeated runs (throughput via median messages/seconds ratio)."""
    best = sorted(runs, key=lambda r: r.throughput)[len(runs) // 2]  # the run with the median throughput
    return LatencySummary(
        messages=best.messages,
        errors=sum(r.errors for r in runs),
        seconds=best.seconds,
        p50_ms=median([r.p50_ms for r in runs]),
        p95_ms=median([r.p95_ms for r in runs]),
        p99_ms=median([r.p99_ms for r in runs]),
    )
