"""Consistency checks between the deployment files and the code they start.

No Docker engine is available where the tests run, so docker-compose.yml and the
Dockerfile are parsed as text/YAML and every name they mention (Celery app, WSGI
callable, management commands, environment variables, service hosts) is checked
against the project itself.
"""

import importlib
import json
import os
import re
import shlex
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
MAKEFILE = ROOT / "Makefile"
CI_RUN = ROOT / ".ci" / "run"
SETTINGS_BASE = ROOT / "crisi_portal" / "settings" / "base.py"
PYPROJECT = ROOT / "pyproject.toml"

APP_SERVICES = ("web", "worker", "worker-reports", "beat")
CELERY_WORKERS = ("worker", "worker-reports")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def common_env(compose):
    env = compose.get("x-common-env")
    assert isinstance(env, dict) and env, "docker-compose.yml has no x-common-env mapping"
    return env


def command_words(service):
    """The service's command as a flat list of words (``sh -c "..."`` unwrapped)."""
    command = service.get("command")
    assert command, "service has no command"
    words = shlex.split(command) if isinstance(command, str) else [str(w) for w in command]
    flat = []
    for i, word in enumerate(words):
        if i > 0 and words[i - 1] == "-c" and words[0] in ("sh", "bash", "/bin/sh"):
            flat.extend(shlex.split(word))
        else:
            flat.append(word)
    return flat


def dockerfile_cmd():
    text = DOCKERFILE.read_text(encoding="utf-8")
    matches = re.findall(r"^CMD\s+(\[.*\])\s*$", text, flags=re.MULTILINE)
    assert matches, "Dockerfile has no exec-form CMD [...]"
    return json.loads(matches[-1])


def gunicorn_target(words):
    assert "gunicorn" in words, f"no gunicorn in {words}"
    after = words[words.index("gunicorn") + 1 :]
    targets = [w for w in after if re.fullmatch(r"[\w.]+:\w+", w)]
    assert targets, f"no module:callable after gunicorn in {words}"
    return targets[0]


def import_target(target):
    module_name, attr = target.split(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr)


def test_compose_has_exactly_the_expected_services(compose):
    assert set(compose["services"]) == {
        "web",
        "worker",
        "worker-reports",
        "beat",
        "db",
        "pgbouncer",
        "redis",
    }


@pytest.mark.parametrize("name", [*CELERY_WORKERS, "beat"])
def test_celery_app_named_in_compose_is_importable(compose, name):
    from celery import Celery
    from celery.app.utils import find_app

    words = command_words(compose["services"][name])
    assert words[0] == "celery", words
    role = "beat" if name == "beat" else "worker"
    assert role in words, f"{name} service does not run `celery ... {role}`: {words}"
    app_name = words[words.index("-A") + 1]

    app = find_app(app_name)  # what `celery -A <app_name>` itself does
    assert isinstance(app, Celery)

    from crisi_portal.celery import app as project_app

    assert app is project_app


def test_beat_schedule_file_is_writable_location(compose):
    words = command_words(compose["services"]["beat"])
    assert "--schedule" in words or any(w.startswith("--schedule=") for w in words), (
        "beat needs a writable --schedule file (the image's /app is not writable)"
    )


# Building the WSGI handler instantiates WhiteNoise, which warns while STATIC_ROOT
# has not been filled by collectstatic yet; that is expected outside the image.
@pytest.mark.filterwarnings("ignore:No directory at:UserWarning")
def test_gunicorn_targets_are_importable_and_agree(compose):
    from django.core.handlers.wsgi import WSGIHandler

    web_target = gunicorn_target(command_words(compose["services"]["web"]))
    image_target = gunicorn_target(dockerfile_cmd())
    assert web_target == image_target == "crisi_portal.wsgi:application"
    assert isinstance(import_target(web_target), WSGIHandler)


def test_common_env_is_shared_by_app_services(compose, common_env):
    for name in APP_SERVICES:
        assert compose["services"][name]["environment"] == common_env, name


def test_every_compose_env_var_is_read_by_the_settings(compose, common_env):
    """...or by a service's own command (``$$NAME``: the web service migrates through
    DATABASE_DIRECT_URL)."""
    settings_text = SETTINGS_BASE.read_text(encoding="utf-8")
    commands = " ".join(
        " ".join(command_words(service))
        for service in compose["services"].values()
        if "command" in service
    )
    unread = [
        name
        for name in common_env
        if not re.search(rf"""["']{re.escape(name)}["']""", settings_text)
        and not re.search(rf"\$\$\{{?{re.escape(name)}\b", commands)
    ]
    assert not unread, f"set in docker-compose.yml but never read: {unread}"


def test_compose_database_and_broker_point_at_their_services(compose, common_env):
    services = compose["services"]

    # The portal talks to PgBouncer, PgBouncer and migrations to PostgreSQL, one database.
    db_env = services["db"]["environment"]
    pooled = urlsplit(common_env["DATABASE_URL"])
    direct = urlsplit(common_env["DATABASE_DIRECT_URL"])
    upstream = urlsplit(services["pgbouncer"]["environment"]["DATABASE_URL"])
    assert pooled.hostname == "pgbouncer"
    assert pooled.port == int(services["pgbouncer"]["environment"]["LISTEN_PORT"])
    assert direct == upstream
    for url in (pooled, direct):
        assert url.scheme in ("postgres", "postgresql", "pgsql")
        assert url.username == db_env["POSTGRES_USER"]
        assert url.password == db_env["POSTGRES_PASSWORD"]
        assert url.path.lstrip("/") == db_env["POSTGRES_DB"]
    assert (direct.hostname, direct.port or 5432) == ("db", 5432)

    broker = urlsplit(common_env["CELERY_BROKER_URL"])
    assert broker.scheme == "redis"
    assert broker.hostname == "redis"
    assert services["redis"]["image"].startswith("redis")


def test_app_services_wait_for_healthy_db_and_redis(compose):
    for name in APP_SERVICES:
        depends = compose["services"][name]["depends_on"]
        for dep in ("db", "pgbouncer", "redis"):
            assert depends[dep]["condition"] == "service_healthy", (name, dep)
    assert compose["services"]["pgbouncer"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("web", "db", "pgbouncer", "redis"):
        assert compose["services"][name].get("healthcheck"), f"{name} has no healthcheck"
    web_check = " ".join(map(str, compose["services"]["web"]["healthcheck"]["test"]))
    assert "/healthz" in web_check


def test_web_and_worker_share_the_media_volume(compose, common_env):
    media_root = common_env["MEDIA_ROOT"]
    mounts = {}
    for name in ("web", *CELERY_WORKERS):
        mounts[name] = {
            v.split(":")[0]
            for v in compose["services"][name].get("volumes", [])
            if v.split(":")[1] == media_root
        }
    assert mounts["web"]
    assert all(mounts[name] == mounts["web"] for name in CELERY_WORKERS), mounts


def test_docker_image_python_satisfies_requires_python():
    requires = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["requires-python"]
    match = re.search(r"^FROM\s+python:(\d+\.\d+)", DOCKERFILE.read_text(encoding="utf-8"), re.M)
    assert match, "Dockerfile does not start FROM python:X.Y"
    assert SpecifierSet(requires).contains(match.group(1)), (match.group(1), requires)


def test_management_commands_in_compose_exist(compose):
    from django.core.management import get_commands

    known = get_commands()
    named = []
    for service in compose["services"].values():
        if "command" not in service:
            continue
        words = command_words(service)
        named += [words[i + 1] for i, w in enumerate(words[:-1]) if w.endswith("manage.py")]
    assert named, "no `manage.py <command>` found in docker-compose.yml"
    missing = [c for c in named if c not in known]
    assert not missing, f"unknown management commands: {missing}"


def test_makefile_test_target_runs_pytest():
    text = MAKEFILE.read_text(encoding="utf-8")
    match = re.search(r"^test:[^\n]*\n((?:\t[^\n]*\n)+)", text, re.M)
    assert match, "Makefile has no `test:` rule with a recipe"
    assert re.search(r"-m pytest\b.*\$\(PYTEST_ARGS\)", match.group(1)), match.group(1)


def test_ci_runs_make_test_on_sqlite_and_on_postgres_with_redis():
    lines = [
        line
        for line in CI_RUN.read_text(encoding="utf-8").splitlines()
        if re.search(r"\bmake test\b", line) and not line.lstrip().startswith("#")
    ]
    assert len(lines) == 2, lines
    server = [ln for ln in lines if re.search(r"DATABASE_URL=postgres(ql)?://", ln)]
    assert len(server) == 1 and re.search(r"CELERY_BROKER_URL=redis://", server[0]), lines
    sqlite = [ln for ln in lines if ln not in server]
    assert len(sqlite) == 1 and "-u DATABASE_URL" in sqlite[0], lines


# --- Issue #9, must-work 8: the production posture ------------------------------------------

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "crisi_portal.settings.base",
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "p" + "".join(chr(97 + (i * 7) % 26) for i in range(60)) + "-Q9!x",
    "DJANGO_ALLOWED_HOSTS": "nuclei-crisi.example.it",
    "EMAIL_URL": "smtp://portal:secret@smtp.example.it:587?tls=True",
}


def run_check_deploy(**overrides):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "EMAIL_"))}
    env.update(PRODUCTION_ENV, **overrides)
    return subprocess.run(  # noqa: S603 - fixed argv, our own manage.py
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_the_production_settings():
    result = run_check_deploy()
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("override", "check_id"),
    [
        ({"EMAIL_URL": "consolemail://"}, "mail.E001"),
        ({"DJANGO_SECURE_HSTS_SECONDS": "0"}, "security.W004"),
        ({"DJANGO_SECURE_SSL_REDIRECT": "0"}, "security.W008"),
    ],
)
def test_check_deploy_fails_on_an_insecure_setting(override, check_id):
    result = run_check_deploy(**override)
    assert result.returncode != 0
    assert check_id in result.stdout + result.stderr


def test_compose_ships_no_default_secret(common_env):
    assert re.fullmatch(r"\$\{DJANGO_SECRET_KEY:\?[^}]+\}", common_env["DJANGO_SECRET_KEY"])
    assert re.fullmatch(r"\$\{EMAIL_URL:\?[^}]+\}", common_env["EMAIL_URL"])
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    assert not re.search(r"SECRET_KEY:\s*\$\{DJANGO_SECRET_KEY:-", text)


def test_compose_web_refuses_to_start_on_deploy_check_errors(compose):
    words = command_words(compose["services"]["web"])
    assert words.index("check") < words.index("migrate")
    assert "--deploy" in words


LOCK_FILE = ROOT / "requirements.lock"


def test_lock_file_pins_every_runtime_dependency_with_hashes():
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    deps = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    text = LOCK_FILE.read_text(encoding="utf-8")
    pinned = {
        canonicalize_name(m.group(1)): m.group(2)
        for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==(\S+)", text, re.M)
    }
    missing = []
    for dep in deps:
        req = Requirement(dep)
        version = pinned.get(canonicalize_name(req.name))
        if version is None or not req.specifier.contains(version, prereleases=True):
            missing.append(dep)
    assert not missing, f"requirements.lock does not satisfy {missing}: run `make lock`"
    blocks = re.split(r"\n(?=[A-Za-z0-9_.\-]+==)", text.split("\n", 1)[1])
    unhashed = [b.split()[0] for b in blocks if "==" in b and "--hash=sha256:" not in b]
    assert not unhashed, unhashed


def test_dockerfile_installs_the_lock_file_with_hashes_required():
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"pip install[^\n]*--require-hashes[^\n]*-r requirements\.lock", text)


def test_bandit_finds_nothing_medium_or_high_left_unexplained(tmp_path):
    import subprocess
    import sys

    subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "bandit", "-c", "pyproject.toml", "-r", ".", "-ll", "-q"]
        + ["-f", "json", "-o", str(tmp_path / "bandit.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads((tmp_path / "bandit.json").read_text(encoding="utf-8"))
    assert not report["errors"], report["errors"]
    findings = [(r["filename"], r["line_number"], r["test_id"]) for r in report["results"]]
    assert not findings, findings
    with_reason = re.compile(r"#\s*nosec\s+B\d+\s+-\s+\S")
    for path in ROOT.glob("**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "# nosec" in line:
                assert with_reason.search(line), f"{path}:{number}: # nosec without a reason"


def _database_settings(**environ) -> dict:
    """DATABASES["default"] as crisi_portal.settings.base builds it from ``environ``."""
    import os
    import subprocess
    import sys

    code = (
        "import json; from crisi_portal.settings import base; "
        "print(json.dumps({k: v for k, v in base.DATABASES['default'].items() "
        "if k in ('ENGINE', 'CONN_MAX_AGE', 'CONN_HEALTH_CHECKS', "
        "'DISABLE_SERVER_SIDE_CURSORS')}))"
    )
    env = {**os.environ, "DJANGO_SECRET_KEY": "x", **environ}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_postgresql_connections_persist_with_health_checks():
    url = "postgres://crisi:crisi@db:5432/crisi_portal"
    default = _database_settings(DATABASE_URL=url)
    assert default == {
        "ENGINE": "django.db.backends.postgresql",
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "DISABLE_SERVER_SIDE_CURSORS": False,
    }
    pgbouncer = _database_settings(
        DATABASE_URL=url,
        DATABASE_CONN_MAX_AGE="0",
        DATABASE_DISABLE_SERVER_SIDE_CURSORS="True",
    )
    assert (pgbouncer["CONN_MAX_AGE"], pgbouncer["DISABLE_SERVER_SIDE_CURSORS"]) == (0, True)


def test_sqlite_keeps_django_defaults_of_one_connection_per_request():
    assert _database_settings(DATABASE_URL="sqlite:////tmp/crisi.sqlite3") == {
        "ENGINE": "django.db.backends.sqlite3"
    }


def load_gunicorn_config(monkeypatch, **environ) -> dict:
    """gunicorn.conf.py executed as gunicorn does, with ``environ`` set."""
    for name in ("GUNICORN_WORKERS", "GUNICORN_MAX_REQUESTS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    namespace: dict = {}
    path = ROOT / "gunicorn.conf.py"
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)  # noqa: S102
    return namespace


def test_gunicorn_workers_follow_the_cores_unless_set(monkeypatch):
    config = load_gunicorn_config(monkeypatch)
    assert config["workers"] == 2 * len(os.sched_getaffinity(0)) + 1
    assert config["default_workers"](4) == 9
    assert load_gunicorn_config(monkeypatch, GUNICORN_WORKERS="5")["workers"] == 5
    recycled = load_gunicorn_config(monkeypatch, GUNICORN_MAX_REQUESTS="1000")
    assert (recycled["max_requests"], recycled["max_requests_jitter"]) == (1000, 100)


def worker_queues(service) -> set[str]:
    words = command_words(service)
    for i, word in enumerate(words):
        if word in ("-Q", "--queues"):
            return set(words[i + 1].split(","))
        if word.startswith("--queues="):
            return set(word.split("=", 1)[1].split(","))
    return set()


@pytest.mark.django_db  # Celery's Django fix-up checks connections when it loads the tasks
def test_every_queue_has_exactly_one_compose_worker_and_every_task_a_queue(compose):
    """CELERY_TASK_QUEUES against the workers of docker-compose.yml, and every task of the
    project routed to a declared queue: a task sent to a queue nobody consumes waits forever."""
    from django.conf import settings

    from crisi_portal.celery import app

    declared = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    assert settings.CELERY_TASK_DEFAULT_QUEUE in declared
    consumed = [worker_queues(compose["services"][name]) for name in CELERY_WORKERS]
    assert all(consumed), "every compose worker names its queues with -Q"
    assert sorted(q for queues in consumed for q in queues) == sorted(declared)
    app.loader.import_default_modules()
    ours = [name for name in app.tasks if not name.startswith("celery.")]
    assert "monitoring.tasks.generate_report" in ours
    for name in ours:
        route = settings.CELERY_TASK_ROUTES.get(name, {})
        assert route.get("queue", settings.CELERY_TASK_DEFAULT_QUEUE) in declared, name
    reports = compose["services"]["worker-reports"]
    assert worker_queues(reports) == {"reports"}
    assert settings.CELERY_TASK_ROUTES["monitoring.tasks.generate_report"] == {"queue": "reports"}


def test_pgbouncer_pools_transactions_and_the_portal_is_set_for_it(compose, common_env):
    """Transaction pooling: no server-side cursors (QuerySet.iterator() would lose its named
    cursor between transactions), persistent client connections, pool sizes from the
    environment, and migrations (long DDL transactions) straight to PostgreSQL."""
    pgbouncer = compose["services"]["pgbouncer"]["environment"]
    assert pgbouncer["POOL_MODE"] == "transaction"
    for name in ("MAX_CLIENT_CONN", "DEFAULT_POOL_SIZE"):
        assert re.fullmatch(rf"\$\{{PGBOUNCER_{name}:-\d+\}}", pgbouncer[name]), name
    assert common_env["DATABASE_DISABLE_SERVER_SIDE_CURSORS"] == "True"
    assert re.fullmatch(r"\$\{DATABASE_CONN_MAX_AGE:-\d+\}", common_env["DATABASE_CONN_MAX_AGE"])
    words = command_words(compose["services"]["web"])
    migrate = words.index("migrate")
    assert words[migrate - 3 : migrate] == [
        "DATABASE_URL=$$DATABASE_DIRECT_URL",
        "python",
        "manage.py",
    ]
    settings = _database_settings(
        DATABASE_URL=common_env["DATABASE_URL"],
        DATABASE_DISABLE_SERVER_SIDE_CURSORS=common_env["DATABASE_DISABLE_SERVER_SIDE_CURSORS"],
        DATABASE_CONN_MAX_AGE="60",
    )
    assert settings["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert settings["CONN_HEALTH_CHECKS"] is True


def test_ci_runs_the_small_benchmark_on_postgresql_with_the_ratio_check():
    text = CI_RUN.read_text(encoding="utf-8")
    command = re.search(r"manage\.py benchmark ([^']*)'", text, re.S)
    assert command, "no `manage.py benchmark` in .ci/run"
    words = command.group(1).replace("\\", " ").split()
    assert "--check" in words
    assert int(words[words.index("--workers") + 1]) <= 50_000  # a small database
    assert re.search(r'DATABASE_URL="\$server/\$db"', text)
    assert re.search(r"local server=postgres://", text)
    assert re.search(r"^run_stage .*benchmark_check$", text, re.M)
