"""The shared deterministic random source and the small helpers every generator uses."""

import random
from datetime import date, timedelta


def split_workers(rng: random.Random, units: int, workers: int) -> list[int]:
    """``units`` positive integers adding up exactly to ``workers``, unevenly like real sites."""
    if units == 0:
        if workers:
            raise ValueError("workers without units")
        return []
    if workers < units:
        raise ValueError(f"{workers} workers cannot fill {units} units with one each")
    weights = [rng.lognormvariate(0, 1) for _ in range(units)]
    spare = workers - units
    shares = [spare * weight / sum(weights) for weight in weights]
    parts = [1 + int(share) for share in shares]
    # Largest remainders get the workers lost to rounding down.
    order = sorted(range(units), key=lambda i: (shares[i] - int(shares[i]), -i), reverse=True)
    for i in order[: workers - sum(parts)]:
        parts[i] += 1
    assert sum(parts) == workers and min(parts) >= 1
    return parts


def weighted(rng: random.Random, choices):
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights=weights)[0]


def random_day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return max(low, min(high, value))


def cap_per_unit(sizes: list[int], limit: int) -> int:
    """The largest ``cap`` with ``sum(min(size, cap)) <= limit``."""
    if sum(sizes) <= limit:
        return max(sizes, default=0)
    low, high = 0, max(sizes)
    while low < high:
        middle = (low + high + 1) // 2
        if sum(min(size, middle) for size in sizes) <= limit:
            low = middle
        else:
            high = middle - 1
    return low


def solve_factor(weights: list[tuple[int, float]], target: float, ceiling: float) -> float:
    """``k`` such that ``sum(n * min(ceiling, k * f)) ≈ target`` over ``(n, f)`` (bisection)."""
    low, high = 0.0, 100.0
    for _ in range(60):
        middle = (low + high) / 2
        if sum(n * min(ceiling, middle * f) for n, f in weights) < target:
            low = middle
        else:
            high = middle
    return high


def split_counts(total: int, shares: dict[str, float]) -> dict[str, int]:
    """``total`` split by ``shares`` (largest remainders)."""
    norm = sum(shares.values()) or 1
    exact = {key: total * share / norm for key, share in shares.items()}
    counts = {key: int(value) for key, value in exact.items()}
    order = sorted(exact, key=lambda key: exact[key] - counts[key], reverse=True)
    for key in order[: total - sum(counts.values())]:
        counts[key] += 1
    return counts


def validate(objects, exclude) -> None:
    """Model validation without the per-object queries (the database checks the rest)."""
    for obj in objects:
        obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)


def source(seed: int | str, stream: str) -> random.Random:
    """The deterministic random source of one stream of draws (procedures, workers, …) for a
    seed: independent of the other streams and of the process (string seeds are hashed with
    SHA-512, not with the salted ``hash()``)."""
    return random.Random(f"{seed}:{stream}")
