"""schemathesis hooks for tools/api_fuzz.sh: the object-level authorization check.

Loaded with ``SCHEMATHESIS_HOOKS=tools.fuzz_hooks`` (the stage runs schemathesis from the
repository root). Every successful ``GET`` of one object (a path with an ``{id}``) by the run's
token is replayed with the peer's token (the other province's officer, the other operator) and
with the run's own token on an id that does not exist. The peer must get exactly what "does not
exist" gives: the same status (404), the same media type (application/problem+json) and the same
problem (the same members, the same ``type``, ``title``, ``status`` and ``detail``; only
``instance`` names the path). Anything else tells the peer the object exists, or shows it.

An object may be legitimately visible to both peers; these are the only exceptions:

* reference data every role reads: operators (enti accreditati) and measures (misure);
* a procedure whose lead province or one of whose production units is in a peer province
  (DOMAIN.md: a procedure belongs to every province it has a unit in);
* a production unit, a meeting or a company with a procedure the peer can read (the unit's or
  meeting's province is the peer's, or the server answers that procedure to the peer: asked
  as the peer, so a leak of the procedure itself is still caught by its own operation).

Environment (set by tools/api_fuzz.sh): FUZZ_BASE_URL (the origin), FUZZ_PEER_TOKEN,
FUZZ_PEER_PROVINCES
(comma-separated province codes of the peer; empty for operators).
"""

from __future__ import annotations

import os
import re

import requests
import schemathesis

# An id no seeded or generated object reaches (PostgreSQL's integer maximum).
MISSING_ID = 2_147_483_647
# Reference data everyone reads: operators, measures and the qualifications catalogue (#14).
REFERENCE_PATHS = (
    "/api/v1/operators/{id}/",
    "/api/v1/measures/{id}/",
    "/api/v1/qualifications/{id}/",
    "/api/v1/funding-sources/{id}/",
)
DETAIL_PATH = re.compile(r"^/api/v1/[a-z-]+/\{id\}/$")
TIMEOUT = 30


def _get(path: str, token: str, query) -> requests.Response:
    return requests.get(
        os.environ["FUZZ_BASE_URL"].rstrip("/") + path,
        params=query or None,
        headers={"Authorization": f"Token {token}", "Accept": "application/json"},
        timeout=TIMEOUT,
    )


def _problem(response: requests.Response) -> dict | None:
    if response.headers.get("Content-Type", "").split(";")[0] != "application/problem+json":
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _same_problem(peer: dict, missing: dict) -> bool:
    keys = set(peer) - {"instance"}
    if keys != set(missing) - {"instance"}:
        return False
    return all(peer[key] == missing[key] for key in keys)


def _peer_provinces() -> set[str]:
    return {code for code in os.environ.get("FUZZ_PEER_PROVINCES", "").split(",") if code}


def _legitimately_shared(path: str, body, peer_token: str) -> bool:
    if path in REFERENCE_PATHS:
        return True
    if not isinstance(body, dict):
        return False
    if path == "/api/v1/procedures/{id}/":
        provinces = {body.get("lead_province")}
        provinces |= {unit.get("province") for unit in body.get("units") or []}
        return bool(provinces & _peer_provinces())
    if path == "/api/v1/companies/{id}/":
        listing = _get("/api/v1/procedures/", peer_token, {"company": body.get("id"), "limit": 1})
        return listing.ok and bool(listing.json().get("results"))
    # A network is seen by its lead and its members (#14: members report their services).
    if path == "/api/v1/networks/{id}/":
        peer_operator = os.environ.get("FUZZ_PEER_OPERATOR", "")
        operators = {body.get("lead")} | {m.get("operator") for m in body.get("members") or []}
        return peer_operator.isdigit() and int(peer_operator) in operators
    # An agreement is seen with its procedure (#14), as a unit is.
    if path in ("/api/v1/units/{id}/", "/api/v1/meetings/{id}/", "/api/v1/agreements/{id}/"):
        if body.get("province") in _peer_provinces():
            return True
        procedures = [body.get("procedure")] if "procedure" in body else body.get("procedures")
        return any(
            isinstance(pk, int) and _get(f"/api/v1/procedures/{pk}/", peer_token, None).ok
            for pk in procedures or []
        )
    return False


def _record(case, verdict: str) -> None:
    """One line per replay in FUZZ_OLA_LOG, so the summary shows the check was exercised."""
    if log := os.environ.get("FUZZ_OLA_LOG"):
        with open(log, "a") as out:
            out.write(f"{case.operation.label}\t{verdict}\n")


@schemathesis.check
def peer_gets_not_found(ctx, response, case):
    """The peer token gets exactly the 'does not exist' problem for the owner's object."""
    peer_token = os.environ.get("FUZZ_PEER_TOKEN")
    path = case.operation.path
    if (
        not peer_token
        or case.method.upper() != "GET"
        or response.status_code != 200
        or not DETAIL_PATH.match(path)
    ):
        return None
    object_id = (case.path_parameters or {}).get("id")
    formatted = path.replace("{id}", str(object_id))
    peer = _get(formatted, peer_token, case.query)
    missing_path = path.replace("{id}", str(MISSING_ID))
    missing = _get(missing_path, response.request.headers["Authorization"].split()[-1], case.query)
    if peer.status_code == 200 and _legitimately_shared(path, peer.json(), peer_token):
        _record(case, "shared")
        return None
    peer_problem, missing_problem = _problem(peer), _problem(missing)
    if (
        peer.status_code == missing.status_code == 404
        and peer_problem is not None
        and missing_problem is not None
        and _same_problem(peer_problem, missing_problem)
    ):
        _record(case, "not_found")
        return None
    _record(case, "LEAK")
    raise AssertionError(
        "Object-level authorization: the peer is not told 'does not exist': "
        f"GET {formatted} as the owner -> 200; as the peer -> {peer.status_code} "
        f"{peer.headers.get('Content-Type', '')} {peer.text[:300]!r}; "
        f"'does not exist' (GET {missing_path}) -> {missing.status_code} "
        f"{missing.headers.get('Content-Type', '')} {missing.text[:300]!r}"
    )
