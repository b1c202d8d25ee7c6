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


def test_pre_commit_runs_ruff_djlint_the_migrations_check_and_lint_imports():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    expected = {"ruff-check", "ruff-format", "djlint-django", "makemigrations-check"}
    assert expected | {"lint-imports"} <= set(hooks)
    # The whole graph, not the files changed: an import elsewhere can close a loop.
    assert hooks["lint-imports"]["entry"].startswith(".venv/bin/lint-imports")
    assert hooks["lint-imports"]["pass_filenames"] is False
    assert hooks["djlint-django"].get("args") == ["--lint"]
    entry = hooks["makemigrations-check"]["entry"]
    assert "makemigrations --check --dry-run" in entry


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


def test_the_licence_is_the_eupl_1_2():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.lstrip().startswith("EUROPEAN UNION PUBLIC LICENCE v. 1.2")
    for heading in ("1. Definitions", "5. Obligations of the Licensee", "15. Applicable Law"):
        assert heading in text
    assert "‘Compatible Licences’ according to Article 5 EUPL are:" in text
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "EUPL-1.2"
