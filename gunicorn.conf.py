"""gunicorn settings for the production image (Dockerfile, docker-compose.yml).

The access log leaves out the query string and the referer: searches and filters used to
put names there (issue #9). ``%(U)s`` is the path alone; ``%(r)s`` and ``%(f)s`` would carry
query strings. Django's LOGGING also routes ``gunicorn.access`` through the personal-data
filter once the application is loaded, which redacts any query string that still gets in.

Workers (issue #12): ``GUNICORN_WORKERS`` if set, else 2 × the cores this process may run on
+ 1 (gunicorn's advice for sync workers, whose time is mostly spent waiting on PostgreSQL);
each keeps one persistent database connection (``DATABASE_CONN_MAX_AGE``), so web workers ×
containers must stay under PostgreSQL's ``max_connections`` or go through PgBouncer (README).
"""

import os


def cores() -> int:
    """The CPUs this process may use (a container's cpuset, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_workers(cpus: int) -> int:
    return 2 * cpus + 1


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS") or default_workers(cores()))
# A worker is recycled after this many requests (with jitter) to bound slow memory growth.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
accesslog = "-"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'
