"""gunicorn settings for the production image (Dockerfile, docker-compose.yml).

The access log leaves out the query string and the referer: searches and filters used to
put names there (issue #9). ``%(U)s`` is the path alone; ``%(r)s`` and ``%(f)s`` would carry
query strings. Django's LOGGING also routes ``gunicorn.access`` through the personal-data
filter once the application is loaded, which redacts any query string that still gets in.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
accesslog = "-"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'
