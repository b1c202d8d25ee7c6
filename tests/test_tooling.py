"""Issue #11, tooling: what pre-commit checks holds in CI too (this suite runs there), and the
per-worker broker that lets `make test` run on every core."""

import io
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from crisi_portal.settings.test import xdist_broker_url

ROOT = Path(settings.BASE_DIR)


def test_templates_pass_djlint_lint():
    """`djlint templates --lint`, with the ignore list of pyproject.toml ([tool.djlint])."""
    result = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "djlint", "templates", "--lint"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"Linted \d+ files, found 0 errors", result.stdout), result.stdout


@pytest.mark.django_db
def test_every_model_change_has_its_migration():
    """`manage.py makemigrations --check --dry-run`: exits 1 when a model change has none."""
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exit_:
        pytest.fail(f"makemigrations --check exited {exit_.code}: a migration is missing\n{out}")
    assert "No changes detected" in out.getvalue()


def _mypy(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _typed_modules() -> list[Path]:
    """What [tool.mypy] must check: every services.py and selectors.py, and scoping (both
    halves: the rules, and their API side in scoping_api)."""
    found = {
        path
        for name in ("services.py", "selectors.py")
        for path in ROOT.rglob(name)
        if not any(part.startswith(".") for part in path.relative_to(ROOT).parts)
    }
    scoping = {ROOT / "crisi_portal" / "scoping.py", ROOT / "crisi_portal" / "scoping_api.py"}
    # Services under another name: the mandatory communications' (issue #16).
    other_services = {ROOT / "workers" / "communications.py"}
    return sorted(found | scoping | other_services)


def test_services_selectors_and_scoping_pass_mypy():
    """`make typecheck`: mypy with django-stubs and djangorestframework-stubs, as configured in
    pyproject.toml, on every services and selectors module (wherever it is) and scoping."""
    result = _mypy()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    checked = re.search(r"Success: no issues found in (\d+) source files", result.stdout)
    assert checked, output
    assert int(checked.group(1)) == len(_typed_modules()), output


def test_mypy_refuses_a_wrong_type_passed_to_a_service(tmp_path):
    """The check bites: a caller passing a user name where a service wants the user (or
    None, the system) fails, as does a service function left without annotations."""
    snippet = tmp_path / "wrong_calls.py"
    snippet.write_text(
        "from cases.models import CrisisProcedure\n"
        "from cases.services import procedure_update\n"
        "\n"
        "\n"
        "def rename(procedure: CrisisProcedure) -> None:\n"
        '    procedure_update(user="nucleo.bg", procedure=procedure, data={})\n'
        "\n"
        "\n"
        "def untyped(user):\n"
        "    return user\n",
        encoding="utf-8",
    )
    # Its own cache: this run sees a module the project does not have.
    result = _mypy("--cache-dir", str(tmp_path / "cache"), str(snippet))
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert (
        'Argument "user" to "procedure_update" has incompatible type "str"; '
        'expected "User | None"  [arg-type]'
    ) in output
    assert "Function is missing a type annotation  [no-untyped-def]" in output
    assert "Found 2 errors in 1 file" in output


def test_pre_commit_runs_ruff_djlint_mypy_the_migrations_check_and_lint_imports():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    expected = {"ruff-check", "ruff-format", "djlint-django", "mypy", "makemigrations-check"}
    assert expected | {"lint-imports"} <= set(hooks)
    # The whole graph, not the files changed: an import elsewhere can close a loop.
    assert hooks["lint-imports"]["entry"].startswith(".venv/bin/lint-imports")
    assert hooks["lint-imports"]["pass_filenames"] is False
    assert hooks["djlint-django"].get("args") == ["--lint"]
    entry = hooks["makemigrations-check"]["entry"]
    assert "makemigrations --check --dry-run" in entry
    # The configuration's files, not only the changed ones: a model change can break a service.
    assert hooks["mypy"]["entry"] == ".venv/bin/python -m mypy"
    assert hooks["mypy"].get("pass_filenames") is False


def test_make_typecheck_runs_mypy():
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^typecheck: venv\n\t\$\(VENV_PY\) -m mypy$", text, re.M)
    assert "make typecheck" in text


@pytest.mark.parametrize(
    ("url", "worker", "expected"),
    [
        ("", "gw1", ""),  # no broker: tasks in-process
        ("redis://127.0.0.1:6379/0", "", "redis://127.0.0.1:6379/0"),  # not under xdist
        ("redis://127.0.0.1:6379/0", "gw0", "redis://127.0.0.1:6379/0"),
        ("redis://127.0.0.1:6379/0", "gw1", "redis://127.0.0.1:6379/1"),
        ("redis://127.0.0.1:6379/8", "gw3", "redis://127.0.0.1:6379/11"),
        ("redis://:secret@redis:6379", "gw2", "redis://:secret@redis:6379/2"),
    ],
)
def test_each_xdist_worker_gets_its_own_redis_database(url, worker, expected):
    assert xdist_broker_url(url, worker) == expected


def test_the_celery_app_sends_to_this_workers_broker():
    """Celery reads the CELERY_BROKER_URL environment variable before its configuration: the
    test settings set it to this xdist worker's database, or tasks and purges would reach the
    database every worker shares (tests/monitoring/test_worker.py failed that way)."""
    from crisi_portal.celery import app

    assert (app.conf.broker_url or "") == settings.CELERY_BROKER_URL


def test_a_worker_past_the_sixteenth_redis_database_is_refused():
    with pytest.raises(ImproperlyConfigured, match="Redis database 16"):
        xdist_broker_url("redis://127.0.0.1:6379/15", "gw1")


def test_make_test_runs_on_every_core_with_the_coverage_floor():
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^PYTEST_WORKERS \?= auto$", text, re.M)
    floor = re.search(r"^COVERAGE_FLOOR \?= (\d+)$", text, re.M)
    assert floor and int(floor.group(1)) > 0, "make test must hold a coverage floor"
    assert "--cov-fail-under=$(COVERAGE_FLOOR)" in text


def test_the_sqlite_stage_leaves_out_only_code_that_runs_on_postgresql_alone():
    """tools/coverage-sqlite.toml is pyproject's coverage configuration plus the benchmark
    (PostgreSQL only); the Makefile uses it only when DATABASE_URL is not PostgreSQL's."""
    full = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    sqlite = tomllib.loads((ROOT / "tools" / "coverage-sqlite.toml").read_text(encoding="utf-8"))
    run, sqlite_run = full["tool"]["coverage"]["run"], sqlite["tool"]["coverage"]["run"]
    assert sqlite_run["source"] == run["source"]
    extra = set(sqlite_run["omit"]) - set(run["omit"])
    assert set(run["omit"]) <= set(sqlite_run["omit"])
    assert extra == {
        "crisi_portal/benchmark/*",
        "crisi_portal/management/commands/benchmark.py",
        "workers/partitioning.py",
    }
    for pattern in extra:
        assert list(ROOT.glob(pattern)), f"{pattern} names nothing"
    # What makes them PostgreSQL-only: they refuse any other database.
    for path in ("crisi_portal/management/commands/benchmark.py", "workers/partitioning.py"):
        assert 'vendor != "postgresql"' in (ROOT / path).read_text(encoding="utf-8"), path
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert (
        "$(if $(filter postgres%,$(DATABASE_URL)),,--cov-config=tools/coverage-sqlite.toml)"
        in makefile
    )


def test_the_licence_is_the_eupl_1_2():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.lstrip().startswith("EUROPEAN UNION PUBLIC LICENCE v. 1.2")
    for heading in ("1. Definitions", "5. Obligations of the Licensee", "15. Applicable Law"):
        assert heading in text
    assert "‘Compatible Licences’ according to Article 5 EUPL are:" in text
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "EUPL-1.2"


def test_the_fuzz_summary_leaves_out_query_objects_sent_as_nothing(tmp_path):
    """tools/api_fuzz_summary.py: a negative case that turned a query parameter into an object
    goes out without the parameter (a query string has no form for it): its acceptance is no
    failure; any other accepted negative case still is."""
    import importlib.util
    import json

    spec = importlib.util.spec_from_file_location(
        "api_fuzz_summary", ROOT / "tools" / "api_fuzz_summary.py"
    )
    summary = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(summary)

    def case(new_value):
        mutation = {"parameter_location": "query", "parameter": "measure", "new_value": new_value}
        return {"value": {"meta": {"phase": {"data": {"mutations": [mutation]}}}}}

    failed = {
        "name": "negative_data_rejection",
        "status": "failure",
        "failure_info": {"failure": {"title": "Schema-violating request accepted"}},
    }
    events = [
        {"LoadingFinished": {"statistic": {"operations": {"selected": 1}}}},
        {
            "ScenarioFinished": {
                "recorder": {
                    "label": "GET /api/v1/networks/",
                    "cases": {"a": case("object"), "b": case("string")},
                    "checks": {"a": [failed]},
                }
            }
        },
        {"EngineFinished": {}},
    ]
    path = tmp_path / "role.ndjson"
    path.write_text("\n".join(json.dumps(event) for event in events))
    assert summary.read_run(path)[2] == {}
    events[1]["ScenarioFinished"]["recorder"]["checks"] = {"b": [failed]}
    path.write_text("\n".join(json.dumps(event) for event in events))
    assert list(summary.read_run(path)[2]) == [
        ("negative_data_rejection", "GET /api/v1/networks/", "Schema-violating request accepted")
    ]
