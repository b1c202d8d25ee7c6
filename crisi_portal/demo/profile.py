"""The scale profile of synthetic data: how many of each row per worker, and their spread.

Measured on the Region's figures and the benchmark of issue #12: 1,000,000 workers come with
20,343 procedures, 30,348 production units and 1,212,066 involvements (about one worker in five
is involved in a second crisis), each with its step history; five of the procedures have 5,000
workers each (the largest the benchmark's pages are measured on).
"""

from dataclasses import dataclass

from cases.enums import Family


@dataclass(frozen=True)
class ScaleProfile:
    procedures_per_worker: float = 20_343 / 1_000_000
    units_per_worker: float = 30_348 / 1_000_000
    involvements_per_worker: float = 1_212_066 / 1_000_000
    first_year: int = 2016  # a decade of procedures up to the reference date
    # Share of procedures whose extra units lie in another province.
    other_province_share: float = 0.10
    # Share of STEP_4 involvements with a Dote (and a PIP on it).
    dote_share: float = 0.08
    # The three families, weighted as in the 2024 table (units).
    families: tuple = (
        (Family.CIGS_MINISTERIALE, 87),
        (Family.CIGS_REGIONALE, 47),
        (Family.LICENZIAMENTO_COLLETTIVO, 219),
    )

    # The heavy tail: one procedure per ``giant_every`` workers (at least one) has
    # ``giant_involvements`` involvements, as a large plant's closure has (capped at one in
    # fifty involvements on small data).
    giant_every: int = 200_000
    giant_involvements: int = 5_000

    def giants(self, workers: int, involvements: int) -> tuple[int, int]:
        """How many procedures are giants, and the involvements of each."""
        return max(1, workers // self.giant_every), min(self.giant_involvements, involvements // 50)

    def counts(self, workers: int) -> dict[str, int]:
        """Procedures, units, workers and involvements for ``workers`` workers."""
        procedures = max(1, round(workers * self.procedures_per_worker))
        units = max(procedures, round(workers * self.units_per_worker))
        # A worker meets a procedure at most once: on tiny data, no more than that.
        involvements = max(
            workers, min(round(workers * self.involvements_per_worker), workers * procedures), units
        )
        return {
            "procedures": procedures,
            "units": units,
            "workers": workers,
            "involvements": involvements,
        }


PROFILE = ScaleProfile()
