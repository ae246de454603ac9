"""Throughput and latency figures of the clients' records (see :class:`.clients.Record`)."""

from __future__ import annotations

import statistics
from collections import Counter


def percentile(values: list[float], p: float) -> float | None:
    """``p``-th percentile with linear interpolation between the closest ranks; None if empty."""
    if not values:
        return None
    v = sorted(values)
    k = (len(v) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def latency(records) -> dict:
    """n, mean, p50/p95/p99 and max of the records' latencies in ms (None without records)."""
    ms = [r.latency * 1000 for r in records]
    return {"n": len(ms), "mean_ms": round(statistics.fmean(ms), 2) if ms else None,
            **{f"p{p}_ms": (round(percentile(ms, p), 2) if ms else None) for p in (50, 95, 99)},
            "max_ms": round(max(ms), 2) if ms else None}


def summarise(results, elapsed: float) -> dict:
    """The figures of one run from every client's :class:`.clients.ClientResult`."""
    records = [r for res in results for r in res.records]
    quotes = [r for r in records if r.kind == "quote"]
    books = [r for r in records if r.kind == "book"]
    q_ok = [r for r in quotes if r.status == 200]
    no_offer = Counter(r.detail for r in q_ok if r.detail != "offer")
    booked = sum(1 for r in books if r.status == 201)
    statuses = Counter(r.status for r in quotes + books)
    book_errors = Counter(f"{r.status} {r.detail}" for r in books if r.status != 201)
    return {
        "measured_s": round(elapsed, 2),
        "bookings": booked,
        "bookings_per_s": round(booked / elapsed, 2),
        "quotes": len(quotes),
        "quotes_per_s": round(len(quotes) / elapsed, 2),
        "requests_per_s": round((len(quotes) + len(books)) / elapsed, 2),
        "quote_latency": latency(quotes),
        "book_latency": latency(books),
        "quote_without_offer_share": round(sum(no_offer.values()) / len(q_ok), 4) if q_ok else None,
        "quote_without_offer_by_reason": dict(no_offer.most_common()),
        "status_counts": {str(k): v for k, v in sorted(statuses.items())},
        "conflicts_409": statuses.get(409, 0),
        "book_errors": dict(book_errors.most_common()),
        "server_errors_5xx": sum(v for k, v in statuses.items() if k >= 500),
        "transport_errors": sum(len(r.errors) for r in results),
        "transport_error_samples": [e for r in results for e in r.errors][:5],
    }
