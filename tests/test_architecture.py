"""The structure (docs/adr/0006-layers.md, issue #11): the apps import only downwards, the
shared core imports no app, and no sibling modules import each other in a loop.

`lint-imports` checks the contracts of pyproject.toml ([tool.importlinter]); these tests run
it on the code as it is, and on a copy with one rule broken of each kind, so the check itself
is shown to fail when it should.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PACKAGES = ("crisi_portal", "cases", "workers", "pal", "monitoring")
LAYERS = "The apps import only downwards: monitoring > pal > workers > cases"
CORE = "The shared core (crisi_portal) imports no app; only the composition root does"
ACYCLIC = "No import loop between sibling modules or packages"


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    """`lint-imports` in ``cwd``, reading its pyproject.toml; the packages are those of ``cwd``."""
    return subprocess.run(  # noqa: S603 - fixed argv
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache", "--no-logo"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_import_contracts_are_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    for contract in (LAYERS, CORE, ACYCLIC):
        assert f"{contract} KEPT" in result.stdout, result.stdout
    assert "Contracts: 3 kept, 0 broken." in result.stdout


@pytest.fixture
def copy_of_the_code(tmp_path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def add_line(module: Path, line: str) -> None:
    module.write_text(module.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def test_the_check_fails_on_an_upward_import_a_core_import_and_a_loop(copy_of_the_code):
    code = copy_of_the_code
    add_line(code / "cases" / "enums.py", "import monitoring.enums  # upward")
    add_line(code / "crisi_portal" / "roles.py", "import pal.enums  # the core importing an app")
    # cases.views imports cases.forms: the reverse import closes a loop between siblings.
    add_line(code / "cases" / "forms.py", "from cases import views  # a loop")

    result = lint_imports(code)

    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    for contract in (LAYERS, CORE, ACYCLIC):
        assert f"{contract} BROKEN" in out, out
    assert "cases is not allowed to import monitoring" in out
    assert "cases.enums -> monitoring.enums" in out
    assert "crisi_portal is not allowed to import pal" in out
    assert "crisi_portal.roles -> pal.enums" in out
    assert "No cycles are allowed in cases." in out


def test_the_composition_root_may_import_the_apps(copy_of_the_code):
    """The URLconf, the router, settings and the demo data put the apps together."""
    add_line(copy_of_the_code / "crisi_portal" / "demo" / "common.py", "import monitoring.enums")

    result = lint_imports(copy_of_the_code)

    assert result.returncode == 0, result.stdout + result.stderr


# The documented hooks through which a lower app reaches a higher one (ADR 0006).


def test_workers_reach_pal_models_through_their_foreign_keys():
    from pal.models import Dote, Measure
    from workers.models import Involvement, measure_model

    assert measure_model() is Measure
    assert Involvement._meta.get_field("doti").related_model is Dote


def test_monitoring_services_send_the_task_that_produces_a_run_by_its_name():
    from celery import current_app

    from monitoring import services, tasks

    assert tasks.generate_report.name == services.GENERATE_REPORT_TASK
    # shared_task hands out a proxy: the registered task is the object behind it.
    registered = current_app.tasks[services.GENERATE_REPORT_TASK]
    assert registered is tasks.generate_report._get_current_object()
