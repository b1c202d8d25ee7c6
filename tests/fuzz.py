"""Hypothesis strategies for the import properties: arbitrary bytes and mutated valid files.

The properties (tests/cases/test_interchange_properties.py,
tests/workers/test_import_properties.py): whatever the bytes, an import through the API
answers 200, 413 or 422 (never a 500: the DRF test client re-raises an unhandled exception),
and writes either exactly what it reports or nothing.
"""

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Modest budgets: the suite stays fast; every example goes through the API and PostgreSQL.
FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
NASTY = [b",", b";", b"\t", b'"', b"\n", b"\r", b"\x00", b"\xff", b"\xef\xbb\xbf", b"=", b"%"]
NASTY += ["à".encode(), "à".encode("cp1252"), b"PK\x03\x04", b"<!DOCTYPE", b"9" * 30, b"-1e309"]


@st.composite
def mutated(draw, base: bytes, max_mutations: int = 6) -> bytes:
    """``base`` with a few byte flips, insertions, deletions, duplicated lines, truncation."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, max_mutations))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "duplicate", "truncate"]))
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[position] = draw(st.integers(0, 255))
        elif op == "insert":
            data[position:position] = draw(st.sampled_from(NASTY) | st.binary(max_size=8))
        elif op == "delete":
            del data[position : position + draw(st.integers(1, 32))]
        elif op == "truncate":
            del data[position:]
        elif op == "duplicate":
            lines = bytes(data).split(b"\n")
            index = draw(st.integers(0, len(lines) - 1))
            lines.insert(index, lines[index])
            data = bytearray(b"\n".join(lines))
    return bytes(data)


any_bytes = st.binary(max_size=4096)

# Cells for structured XLSX fuzzing: what openpyxl can write, valid-looking or not.
cell_values = st.one_of(
    st.none(),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=24),
    st.sampled_from(["M", "F", "CIGS", "100", "21/01/1966", "31/02/2025", "=1+1", "0,5"]),
    st.integers(-(10**18), 10**18),
    st.floats(allow_nan=True, allow_infinity=False),
    st.dates(),
    st.datetimes(),
    st.booleans(),
)
