#!/usr/bin/env bash
# API fuzzing against a seeded server (issue #10, "Must work" 5): the published schema is run
# through schemathesis as an integrator would, with every check (`--checks all`, ignored_auth
# included), the stateful phase (links inferred by schemathesis from the schema: a list's ids feed
# the detail, update and action operations) and the object-level authorization check of
# tools/fuzz_hooks.py, once per role with peer tokens:
#
#   officer   nucleo.bg's token; peer nucleo.mi (another province)
#   operator  operatore.a's token; peer operatore.b (another operator)
#
# Failures are compared with tools/api_fuzz_baseline.txt (accepted exceptions, each with its
# reason); the stage fails on any failure not listed there and prints, per role, the operations,
# the generated cases and the failures per check.
#
#   tools/api_fuzz.sh [DATABASE_SERVER_URL]      default postgres://postgres@127.0.0.1:5432
#
# Environment: FUZZ_DB_NAME (crisi_fuzz_ci; dropped and created), FUZZ_PORT (8201),
# FUZZ_MAX_EXAMPLES (per operation and phase, 30: about 2 minutes a role on 2 cores), FUZZ_SEED (fixed, 20261205), FUZZ_ROLES
# ("officer operator"), FUZZ_WORKERS (schemathesis workers, 2), FUZZ_REPORT_DIR.
# Throttling is raised for the run (THROTTLE_RATE_*): the stage tests the contract, not the rate
# limits (tests/test_throttling.py does); otherwise 429s would answer most generated requests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

server=${1:-${FUZZ_DATABASE_SERVER:-postgres://postgres@127.0.0.1:5432}}
db=${FUZZ_DB_NAME:-crisi_fuzz_ci}
port=${FUZZ_PORT:-8201}
max_examples=${FUZZ_MAX_EXAMPLES:-30}
seed=${FUZZ_SEED:-20261205}
roles=${FUZZ_ROLES:-officer operator}
report_dir=${FUZZ_REPORT_DIR:-$(mktemp -d)}
baseline=tools/api_fuzz_baseline.txt

if [[ ! -x .venv/bin/schemathesis ]]; then
    make venv
fi
py=.venv/bin/python

export DATABASE_URL="$server/$db"
export DJANGO_DEBUG=0
export DJANGO_SECRET_KEY=api-fuzz-stage-only-not-a-production-key-0123456789abcdef
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
export DJANGO_SECURE_SSL_REDIRECT=0 DJANGO_SECURE_COOKIES=0
export THROTTLE_RATE_USER=1000000/minute THROTTLE_RATE_ANON=1000000/minute
export THROTTLE_RATE_IMPORT=1000000/hour
export MEDIA_ROOT="$report_dir/media"
export STATIC_ROOT="$report_dir/static"  # as the image: DEBUG off serves the hashed manifest
unset CELERY_BROKER_URL CELERY_RESULT_BACKEND  # report runs in-process

server_pid=
cleanup() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    psql "$server/postgres" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo ">>> fresh database $db"
psql "$server/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
"$py" manage.py migrate --noinput -v 0
"$py" manage.py collectstatic --noinput -v 0
DJANGO_DEBUG=1 "$py" manage.py seed_demo >/dev/null  # seed_demo refuses to run with DEBUG off

token() {  # token USERNAME: a token with every scope (the fuzzer writes too)
    "$py" manage.py issue_token "$1" --scope all --name api-fuzz --expires 1d 2>/dev/null
}
declare -A tokens
for user in nucleo.bg nucleo.mi operatore.a operatore.b; do
    tokens[$user]=$(token "$user")
done

echo ">>> gunicorn on 127.0.0.1:$port (report in $report_dir)"
GUNICORN_BIND=127.0.0.1:$port GUNICORN_WORKERS=2 .venv/bin/gunicorn -c gunicorn.conf.py \
    crisi_portal.wsgi >"$report_dir/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 60); do
    if curl -sf -o /dev/null "http://127.0.0.1:$port/healthz"; then
        break
    fi
    sleep 1
done
curl -sf -o /dev/null "http://127.0.0.1:$port/healthz"

export FUZZ_BASE_URL="http://127.0.0.1:$port"
export SCHEMATHESIS_HOOKS=tools.fuzz_hooks
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

operator_of() {  # the operator a demo user works for (empty for staff)
    "$py" manage.py shell -v 0 -c "from crisi_portal.models import User; print(User.objects.get(username='$1').operator_id or '')" 2>/dev/null | tail -n 1
}

run_role() {  # run_role ROLE OWNER PEER PEER_PROVINCES
    local role=$1 owner=$2 peer=$3
    echo
    echo "=== role $role: $owner (peer $peer), $max_examples examples per operation, seed $seed"
    FUZZ_PEER_TOKEN=${tokens[$peer]} FUZZ_PEER_PROVINCES=$4 FUZZ_PEER_OPERATOR=$(operator_of "$peer") \
        FUZZ_OLA_LOG="$report_dir/$role.ola" \
        .venv/bin/schemathesis --config-file tools/schemathesis.toml run "$FUZZ_BASE_URL/api/v1/schema/?format=json" \
        --url "$FUZZ_BASE_URL" \
        -H "Authorization: Token ${tokens[$owner]}" \
        --checks all \
        --phases examples,coverage,fuzzing,stateful \
        --max-examples "$max_examples" --seed "$seed" --no-shrink \
        --workers "${FUZZ_WORKERS:-2}" --request-timeout 60 \
        --suppress-health-check all --warnings off \
        --report ndjson --report-ndjson-path "$report_dir/$role.ndjson" \
        >"$report_dir/$role.log" 2>&1 || true
    tail -n 40 "$report_dir/$role.log"
}

for role in $roles; do
    case "$role" in
    officer) run_role officer nucleo.bg nucleo.mi MI ;;
    operator) run_role operator operatore.a operatore.b "" ;;
    *)
        echo "unknown role $role" >&2
        exit 2
        ;;
    esac
done

echo
"$py" tools/api_fuzz_summary.py --baseline "$baseline" "$report_dir" $roles
