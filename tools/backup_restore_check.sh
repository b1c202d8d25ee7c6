#!/usr/bin/env bash
# Backup and restore, proven: seed a database, take the report checksums, back it up, wipe it,
# restore it, and check the reports come out byte-identical. The README's "Backup and restore"
# section documents the same commands for operators.
#
#   tools/backup_restore_check.sh sqlite
#   tools/backup_restore_check.sh postgres [postgres://postgres@127.0.0.1:5432]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

engine=${1:?usage: $0 sqlite|postgres [server-url]}
py=${PYTHON:-.venv/bin/python}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

export DJANGO_DEBUG=1  # seed_demo refuses to run with DEBUG off
export DJANGO_SECRET_KEY=backup-restore-check-only
export MEDIA_ROOT="$work/media"
unset CELERY_BROKER_URL CELERY_RESULT_BACKEND

checksums() {  # checksums OUT_FILE: sha256 of the annual report in JSON and CSV
    local year
    year=$("$py" -c 'import datetime; print(datetime.date.today().year - 1)')
    for fmt in json csv; do
        "$py" manage.py run_report annual "$year" --format "$fmt" --output "$work/report.$fmt" >/dev/null
    done
    # The JSON says when it was generated; everything else must match byte for byte.
    "$py" -c 'import json, sys; d = json.load(open(sys.argv[1])); d.pop("generated_at"); json.dump(d, open(sys.argv[1], "w"), sort_keys=True)' "$work/report.json"
    (cd "$work" && sha256sum report.json report.csv) >"$1"
    cat "$1"
}

case "$engine" in
sqlite)
    export DATABASE_URL="sqlite:///$work/portal.sqlite3"
    "$py" manage.py migrate --noinput -v 0
    "$py" manage.py seed_demo >/dev/null
    checksums "$work/before.sha256"
    # The online backup API: a consistent copy even while the portal writes.
    "$py" - "$work/portal.sqlite3" "$work/backup.sqlite3" <<'PY'
import sqlite3, sys
source, target = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])
with target:
    source.backup(target)
source.close(); target.close()
PY
    rm "$work/portal.sqlite3"                               # wipe
    cp "$work/backup.sqlite3" "$work/portal.sqlite3"        # restore
    ;;
postgres)
    server=${2:-postgres://postgres@127.0.0.1:5432}
    name="crisi_backup_check_$$"
    export DATABASE_URL="$server/$name"
    psql "$server/postgres" -qc "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
    trap 'psql "$server/postgres" -qc "DROP DATABASE IF EXISTS $name"; rm -rf "$work"' EXIT
    "$py" manage.py migrate --noinput -v 0
    "$py" manage.py seed_demo >/dev/null
    checksums "$work/before.sha256"
    pg_dump -Fc --no-owner -f "$work/portal.dump" "$DATABASE_URL"
    psql "$server/postgres" -qc "DROP DATABASE $name" -c "CREATE DATABASE $name"   # wipe
    pg_restore --no-owner --exit-on-error -d "$DATABASE_URL" "$work/portal.dump"  # restore
    ;;
*)
    echo "unknown engine: $engine" >&2
    exit 2
    ;;
esac

checksums "$work/after.sha256"
if cmp -s "$work/before.sha256" "$work/after.sha256"; then
    echo "backup/restore ($engine): the same report checksums after restore"
else
    echo "backup/restore ($engine): report checksums DIFFER after restore" >&2
    exit 1
fi
