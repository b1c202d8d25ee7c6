"""Summarise the schemathesis runs of tools/api_fuzz.sh and compare them with the baseline.

    python tools/api_fuzz_summary.py --baseline tools/api_fuzz_baseline.txt REPORT_DIR ROLE...

Reads REPORT_DIR/ROLE.ndjson (schemathesis' NDJSON event stream) for each role and prints the
operations tested, the generated cases and the distinct failures per check. A failure is
(role, check, operation, title); the baseline lists the accepted ones, one a line:

    role | check | METHOD /path | title | reason

(``*`` matches any role). Exits 1 when a failure is not in the baseline, or when a run did not
finish (a crash of schemathesis itself must not pass as "no failures").
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path


def _unsendable(case: dict) -> bool:
    """A negative case that turned a query parameter into an object: a query string has no
    form for a nested object, and the client sends the request without that parameter (seen:
    ``GET /api/v1/networks/`` bare, answered 200). The request as sent is a valid one, so its
    acceptance is no failure."""
    mutations = (case.get("meta", {}).get("phase", {}).get("data") or {}).get("mutations") or []
    return any(
        mutation.get("parameter_location") == "query" and mutation.get("new_value") == "object"
        for mutation in mutations
    )


def read_run(path: Path):
    operations = 0
    cases: set[str] = set()
    failures: dict[tuple[str, str, str], str] = {}
    finished = False
    errors: list[str] = []
    for line in path.read_text().splitlines():
        event = json.loads(line)
        kind, body = next(iter(event.items()))
        if kind == "LoadingFinished":
            operations = body["statistic"]["operations"]["selected"]
        elif kind == "EngineFinished":
            finished = True
        elif kind == "NonFatalError":
            errors.append(str(body.get("info", body))[:300])
        elif kind == "ScenarioFinished":
            recorder = body["recorder"]
            cases.update(recorder.get("cases", {}))
            for case_id, case_checks in recorder.get("checks", {}).items():
                for check in case_checks:
                    if check["status"] != "failure":
                        continue
                    if check["name"] == "negative_data_rejection" and _unsendable(
                        recorder["cases"].get(case_id, {}).get("value", {})
                    ):
                        continue
                    failure = check["failure_info"]["failure"]
                    operation = failure.get("operation") or recorder["label"]
                    key = (check["name"], operation, failure["title"])
                    failures.setdefault(key, failure.get("message", "").splitlines()[0:1])
    return operations, len(cases), failures, finished, errors


def read_baseline(path: Path) -> dict[tuple[str, str, str, str], str]:
    accepted = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = [field.strip() for field in line.split("|")]
        if len(fields) != 5 or not fields[4]:
            sys.exit(f"{path}:{number}: expected 'role | check | operation | title | reason'")
        accepted[tuple(fields[:4])] = fields[4]
    return accepted


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", type=Path, required=True)
    parser.add_argument("report_dir", type=Path)
    parser.add_argument("roles", nargs="+")
    args = parser.parse_args()
    accepted = read_baseline(args.baseline)
    used: set[tuple[str, str, str, str]] = set()
    new: list[str] = []
    broken = False
    print("=== API fuzzing summary")
    for role in args.roles:
        operations, cases, failures, finished, errors = read_run(args.report_dir / f"{role}.ndjson")
        per_check = Counter(check for check, _operation, _title in failures)
        print(f"{role}: {operations} operations, {cases} generated cases, {len(failures)} failures")
        for check, count in sorted(per_check.items()):
            print(f"    {check}: {count}")
        ola = args.report_dir / f"{role}.ola"
        verdicts = Counter(
            line.split("\t")[1] for line in (ola.read_text().splitlines() if ola.exists() else [])
        )
        print(
            "    object-level authorization replays: "
            + (", ".join(f"{n} {verdict}" for verdict, n in sorted(verdicts.items())) or "none")
        )
        if not finished:
            print(f"    !! the {role} run did not finish (see {role}.log)")
            broken = True
        for error in errors:
            print(f"    !! error: {error}")
            broken = True
        for (check, operation, title), message in sorted(failures.items()):
            for key in ((role, check, operation, title), ("*", check, operation, title)):
                if key in accepted:
                    used.add(key)
                    break
            else:
                new.append(f"{role} | {check} | {operation} | {title}   ({' '.join(message)})")
    for key in sorted(set(accepted) - used):
        print(f"baseline entry not seen in this run (remove it?): {' | '.join(key)}")
    if new:
        print(f"\n{len(new)} failure(s) not in {args.baseline}:")
        for line in new:
            print(f"  {line}")
    if new or broken:
        return 1
    print(f"\nno failures beyond the {len(used)} accepted in {args.baseline}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
