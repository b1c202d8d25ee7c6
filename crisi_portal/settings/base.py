"""Settings shared by every environment; everything that varies comes from the environment."""

import datetime
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env(
    "DJANGO_SECRET_KEY",
    default="insecure-development-key-never-use-in-production" if DEBUG else environ.Env.NOTSET,
)
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
INTERNAL_IPS = ["127.0.0.1"] if DEBUG else []
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_htmx",
    "axes",
    "crisi_portal",
    "cases",
    "workers",
    "pal",
    "monitoring",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Upload guard: 413 on an oversized body before CSRF/session read it.
    "crisi_portal.upload_guard.RequestSizeLimitMiddleware",
    # Django's session middleware, leaving the session alone in a database-gone 503 (faults.py).
    "crisi_portal.faults.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A form refused (422) to an htmx request answers 200 + X-Refused: no console error.
    "crisi_portal.htmx.RefusedFormStatusMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "crisi_portal.urls"
WSGI_APPLICATION = "crisi_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # The bell's unread count and the menu's to-do counts (issue #13).
                "monitoring.context_processors.todo",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Persistent connections (psycopg2): each gunicorn/Celery worker keeps its connection for
    # DATABASE_CONN_MAX_AGE seconds (0 = one per request) instead of reconnecting every time;
    # the health check replaces one the server or a pooler closed in between.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Behind PgBouncer in transaction pooling a server-side cursor (QuerySet.iterator()) can
    # outlive its transaction's server connection: set this to True there (README).
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool(
        "DATABASE_DISABLE_SERVER_SIDE_CURSORS", default=False
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Read replica (issue #12): with DATABASE_REPLICA_URL set (a streaming replica of the primary,
# same options), dashboards, the cruscotto and report data read the domain apps from it
# (crisi_portal/replica.py); every write and all accounts data stay on the primary.
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = {
        **DATABASES["default"],
        **env.db("DATABASE_REPLICA_URL"),
        "TEST": {"MIRROR": "default"},
    }
DATABASE_READ_REPLICA = "replica" if "replica" in DATABASES else None
DATABASE_ROUTERS = ["crisi_portal.replica.ReplicaRouter"]

AUTH_USER_MODEL = "crisi_portal.User"

# Login lockout (django-axes, ASVS V6.3): a (username, address) pair is locked after
# AXES_FAILURE_LIMIT failures for AXES_COOLOFF_MINUTES (each further failure restarts the wait);
# failures are kept in the database (admin: Axes), unlocked from the admin or `axes_reset`.
# Behind reverse proxies, set DJANGO_TRUSTED_PROXY_COUNT so the client's address is used.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_CLIENT_IP_CALLABLE = "crisi_portal.security.client_ip"
AXES_LOCKOUT_CALLABLE = "crisi_portal.security.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# Mandatory communications (UNILAV, issue #16): proposals from an imported batch are applied as
# outcomes at once instead of waiting in the Nucleo's confirmation queue.
COMMUNICATIONS_AUTO_APPLY = env.bool("COMMUNICATIONS_AUTO_APPLY", default=False)

# Single sign-on (OpenID Connect, mozilla-django-oidc): off unless OIDC_ENABLED. The Region's
# identity provider or a SPID/CIE proxy; the fiscal-number claim picks the linked account
# (User.fiscal_number) and nobody is created (crisi_portal/oidc.py).
OIDC_ENABLED = env.bool("OIDC_ENABLED", default=False)
if OIDC_ENABLED:
    AUTHENTICATION_BACKENDS = [
        *AUTHENTICATION_BACKENDS,
        "crisi_portal.oidc.FiscalNumberOIDCBackend",
    ]
    OIDC_RP_CLIENT_ID = env("OIDC_RP_CLIENT_ID")
    OIDC_RP_CLIENT_SECRET = env("OIDC_RP_CLIENT_SECRET")
    OIDC_OP_AUTHORIZATION_ENDPOINT = env("OIDC_OP_AUTHORIZATION_ENDPOINT")
    OIDC_OP_TOKEN_ENDPOINT = env("OIDC_OP_TOKEN_ENDPOINT")
    OIDC_OP_USER_ENDPOINT = env("OIDC_OP_USER_ENDPOINT")
    OIDC_OP_JWKS_ENDPOINT = env("OIDC_OP_JWKS_ENDPOINT")
OIDC_OP_ISSUER = env("OIDC_OP_ISSUER", default="")
OIDC_RP_SIGN_ALGO = env("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env("OIDC_RP_SCOPES", default="openid profile")
OIDC_FISCAL_NUMBER_CLAIM = env("OIDC_FISCAL_NUMBER_CLAIM", default="fiscal_number")
OIDC_CREATE_USER = False
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 10
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"

# Password spraying: an address stops after this many failures (any usernames) in the window.
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=50)
LOGIN_FAILURE_WINDOW = datetime.timedelta(
    minutes=env.int("LOGIN_FAILURE_WINDOW_MINUTES", default=15)
)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Passwords (ASVS V6.2): at least 12 characters, not common, not like the user's own data.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "crisi_portal.passwords.CommonWordWithDigitsValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions (ASVS V7): end after SESSION_IDLE_MINUTES without a request and when the browser
# closes. Saving on every request makes the cookie age an inactivity timeout.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LANGUAGE_CODE = "it"
LANGUAGES = [("it", _("Italian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Rome"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploaded minutes and import files: keep them bounded.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Upload guard (crisi_portal/upload_guard.py): the one size cap of every uploaded file
# (imports through HTML, API and commands, meeting minutes); multipart bodies larger than it
# are refused with 413 on their Content-Length by RequestSizeLimitMiddleware.
MAX_UPLOAD_SIZE = env.int("MAX_UPLOAD_SIZE", default=5 * 1024 * 1024)

_email = env.email_url("EMAIL_URL", default="consolemail://")
_smtp_options = {
    "host": _email.get("EMAIL_HOST"),
    "port": _email.get("EMAIL_PORT"),
    "username": _email.get("EMAIL_HOST_USER") or None,
    "password": _email.get("EMAIL_HOST_PASSWORD") or None,
    "use_tls": _email.get("EMAIL_USE_TLS", False),
    "use_ssl": _email.get("EMAIL_USE_SSL", False),
}
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": (
            {k: v for k, v in _smtp_options.items() if v not in (None, "")}
            if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
            else {}
        ),
    }
}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="nuclei-crisi@regione.lombardia.it")

# Security headers. The CSP has no 'unsafe-inline': templates carry no inline script or style.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG and env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Deployment (HTTPS). `manage.py check --deploy --fail-level WARNING` is clean with the defaults
# below when DEBUG is off (tests/test_deployment.py runs it). Behind a TLS-terminating proxy set
# DJANGO_SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https (only if the proxy overwrites that
# header) so Django knows the request was HTTPS and does not redirect it in a loop.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# The orchestrator's probes speak plain HTTP to the container.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
_proxy_ssl_header = env.tuple("DJANGO_SECURE_PROXY_SSL_HEADER", default=())
SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl_header) if _proxy_ssl_header else None
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
# /readyz gives its details (which check failed, and why) only to staff and to callers sending
# this token in the X-Readyz-Token header; everyone else gets the status alone.
READYZ_TOKEN = env("READYZ_TOKEN", default="")

# Celery: without a broker, tasks run in-process (make run); with one, in workers.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_TRACK_STARTED = True
# Privacy (issue #9): the worker keeps LOGGING's filtered handler instead of installing its own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Queues (issue #12): report documents (heavy, minutes each) run on their own workers, so they
# never wait behind, nor hold up, e-mail and housekeeping (the watchdog, retention). A worker
# started without -Q consumes every queue (make run's in-process mode needs none); production
# runs one worker service per group (docker-compose.yml: worker-reports; worker for the rest).
CELERY_TASK_DEFAULT_QUEUE = "default"
# Webhook deliveries (issue #16) have their own queue: a slow receiver never delays e-mail.
CELERY_TASK_QUEUES = (Queue("default"), Queue("reports"), Queue("email"), Queue("webhooks"))
CELERY_TASK_ROUTES = {
    "monitoring.tasks.generate_report": {"queue": "reports"},
    "monitoring.tasks.scheduled_reports": {"queue": "reports"},
    "monitoring.tasks.report_ready_notify": {"queue": "email"},
    "monitoring.tasks.dashboard_refresh": {"queue": "reports"},
    "crisi_portal.tasks.notification_deliver": {"queue": "email"},
    "crisi_portal.tasks.notification_digest": {"queue": "email"},
    "monitoring.tasks.deadline_notifications": {"queue": "email"},
    "crisi_portal.tasks.webhook_deliver": {"queue": "webhooks"},
    "crisi_portal.tasks.webhook_sweep": {"queue": "webhooks"},
}

# Webhooks (issue #16, crisi_portal.webhooks): attempts per delivery (then "failed"), the first
# retry's wait (doubling each time, plus up to 10 % jitter: 30 s, 1 min, 2 min … ≈ 1 h before
# the 8th), the receiver's time to answer, objects per delivery of a bulk change. Private,
# loopback and link-local hosts (and plain http) only with WEBHOOK_ALLOW_PRIVATE_HOSTS (on in
# DEBUG and the tests).
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_BACKOFF_BASE_SECONDS = env.float("WEBHOOK_BACKOFF_BASE_SECONDS", default=30)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5)
WEBHOOK_BATCH_SIZE = env.int("WEBHOOK_BATCH_SIZE", default=100)
WEBHOOK_ALLOW_PRIVATE_HOSTS = env.bool("WEBHOOK_ALLOW_PRIVATE_HOSTS", default=DEBUG)

# Reports (monitoring): a run still "running" after REPORT_TIME_LIMIT seconds is taken as lost
# by the watchdog and queued again, up to REPORT_MAX_ATTEMPTS attempts in all.
REPORT_TIME_LIMIT = env.int("REPORT_TIME_LIMIT", default=15 * 60)
REPORT_MAX_ATTEMPTS = env.int("REPORT_MAX_ATTEMPTS", default=3)
REPORT_SCHEDULED_FORMATS = {
    "annual": ["pdf", "xlsx", "csv", "json"],
    "bimonthly": ["pdf", "xlsx"],
    "quarterly": ["pdf", "xlsx"],
    "pal_monitoring": ["pdf", "xlsx", "json"],
}
# The PAL monitoring report (issue #15, monitoring.pal_report): the re-employment target its
# funnel is read against (per cent of the workers taken in charge; 40: the 2010–2011 national
# action's goal, source 004) and the smallest count a province's document shows (statistical
# disclosure control: smaller counts are withheld, and others so totals cannot reveal them).
PAL_REPORT_TARGET_PCT = env.int("PAL_REPORT_TARGET_PCT", default=40)
PAL_REPORT_MIN_CELL = env.int("PAL_REPORT_MIN_CELL", default=5)

# Open data (issue #16 item 4, monitoring.open_data): the Region-scope reports' aggregates,
# every count below PAL_REPORT_MIN_CELL withheld, published at /open-data/ with DCAT-AP_IT
# metadata. The publisher and rights holder is named by its IPA code (indicepa.gov.it:
# r_lombar is Regione Lombardia); the contact point is an office mailbox, never a person's.
OPEN_DATA_PUBLISHER_NAME = env("OPEN_DATA_PUBLISHER_NAME", default="Regione Lombardia")
OPEN_DATA_IPA_CODE = env("OPEN_DATA_IPA_CODE", default="r_lombar")
OPEN_DATA_CONTACT_EMAIL = env("OPEN_DATA_CONTACT_EMAIL", default="opendata@regione.lombardia.it")
# Anonymous requests per address to /open-data/ (a harvester reads the catalogue and a few
# files); how long the catalogue, landing pages and "latest" files may be cached (seconds;
# numbered versions never change and are cached for a year).
OPEN_DATA_THROTTLE_RATE = env("OPEN_DATA_THROTTLE_RATE", default="120/minute")
OPEN_DATA_CACHE_SECONDS = env.int("OPEN_DATA_CACHE_SECONDS", default=15 * 60)

# How often the dashboard's pre-aggregated tables are rebuilt (minutes, a divisor of 60).
DASHBOARD_REFRESH_MINUTES = env.int("DASHBOARD_REFRESH_MINUTES", default=5)

# Static schedule (celery beat), Europe/Rome. Each report covers the period just ended.
CELERY_BEAT_SCHEDULE = {
    "bimonthly-reports": {
        "task": "monitoring.tasks.scheduled_reports",
        "schedule": crontab(minute=0, hour=6, day_of_month=1, month_of_year="1,3,5,7,9,11"),
        "args": ("bimonthly",),
    },
    "quarterly-reports": {
        "task": "monitoring.tasks.scheduled_reports",
        "schedule": crontab(minute=30, hour=6, day_of_month=1, month_of_year="1,4,7,10"),
        "args": ("quarterly",),
    },
    "annual-report": {
        "task": "monitoring.tasks.scheduled_reports",
        "schedule": crontab(minute=0, hour=7, day_of_month=15, month_of_year=1),
        "args": ("annual",),
    },
    # The PAL monitoring report (issue #15): each quarter and each year, Region and provinces.
    "pal-quarterly-reports": {
        "task": "monitoring.tasks.scheduled_reports",
        "schedule": crontab(minute=0, hour=7, day_of_month=1, month_of_year="1,4,7,10"),
        "args": ("pal_monitoring", "quarterly"),
    },
    "pal-annual-report": {
        "task": "monitoring.tasks.scheduled_reports",
        "schedule": crontab(minute=30, hour=7, day_of_month=15, month_of_year=1),
        "args": ("pal_monitoring", "annual"),
    },
    "report-watchdog": {
        "task": "monitoring.tasks.report_watchdog",
        "schedule": crontab(minute="*/5"),
    },
    # The dashboard's pre-aggregated figures (issue #12): their age on the page is at most this
    # interval plus one rebuild (seconds at a million workers).
    "dashboard-refresh": {
        "task": "monitoring.tasks.dashboard_refresh",
        "schedule": crontab(minute=f"*/{DASHBOARD_REFRESH_MINUTES}"),
    },
    # Notifications (issue #13): cruscotto deadlines within NOTIFY_DEADLINE_DAYS (one
    # notification per deadline, however often it runs), then the daily digest e-mails.
    "deadline-notifications": {
        "task": "monitoring.tasks.deadline_notifications",
        "schedule": crontab(minute=0, hour=6),
    },
    "notification-digest": {
        "task": "crisi_portal.tasks.notification_digest",
        "schedule": crontab(minute=30, hour=7),
    },
    # Webhooks (issue #16): deliveries whose message was lost with a worker are sent again.
    "webhook-sweep": {
        "task": "crisi_portal.tasks.webhook_sweep",
        "schedule": crontab(minute="*/5"),
    },
    # Retention (privacy, issue #9): monthly, at night.
    "retention": {
        "task": "workers.tasks.retention",
        "schedule": crontab(minute=0, hour=3, day_of_month=2),
    },
    # Yearly partitions (issue #12, `manage.py partition_tables`): next year's are created
    # months ahead; a no-op until the tables are partitioned.
    "partitions-extend": {
        "task": "workers.tasks.partitions_extend",
        "schedule": crontab(minute=30, hour=3, day_of_month=1),
    },
}

# The to-do home page (issue #13): meetings in the next TODO_MEETING_DAYS days, procedures
# whose income support ends within TODO_SUPPORT_END_DAYS, cohorts with no step move in
# TODO_STALE_COHORT_DAYS; the menu's counts are kept TODO_CACHE_SECONDS per user.
TODO_MEETING_DAYS = env.int("TODO_MEETING_DAYS", default=14)
TODO_SUPPORT_END_DAYS = env.int("TODO_SUPPORT_END_DAYS", default=30)
TODO_STALE_COHORT_DAYS = env.int("TODO_STALE_COHORT_DAYS", default=60)
TODO_CACHE_SECONDS = env.int("TODO_CACHE_SECONDS", default=60)
# Notifications: a cruscotto deadline (end of income support) this many days ahead is told.
NOTIFY_DEADLINE_DAYS = env.int("NOTIFY_DEADLINE_DAYS", default=30)

# Retention (privacy, issue #9): `manage.py retention` and the monthly task above. Neither the
# domain specification nor the source documents state periods; these defaults are placeholders
# for the Region's records schedule: access records 5 years, audit history 10 years (the
# ordinary limitation period, art. 2946 c.c.), workers pseudonymised 10 years after their
# last procedure closed.
RETENTION_ACCESS_LOG_DAYS = env.int("RETENTION_ACCESS_LOG_DAYS", default=5 * 365)
RETENTION_HISTORY_DAYS = env.int("RETENTION_HISTORY_DAYS", default=10 * 365)
RETENTION_WORKER_YEARS = env.int("RETENTION_WORKER_YEARS", default=10)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: a client without credentials gets 401 with WWW-Authenticate.
        "crisi_portal.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Bad input (issue #9): bounded pagination, filter errors as 400 problems, JSON bodies
    # bounded in size and depth (crisi_portal/pagination.py, filtersets.py, parsers.py).
    "DEFAULT_PAGINATION_CLASS": "crisi_portal.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["crisi_portal.filtersets.FilterBackend"],
    "DEFAULT_PARSER_CLASSES": [
        # API writes are JSON; the uploads (file imports, meeting minutes) name their own
        # parsers (multipart). Anything else is a 415 problem.
        "crisi_portal.parsers.JSONParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "crisi_portal.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "crisi_portal.problems.problem_exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": False,
}
# API tokens (crisi_portal.ApiToken): hashed at rest, every one expires.
API_TOKEN_DEFAULT_LIFETIME_DAYS = env.int("API_TOKEN_DEFAULT_LIFETIME_DAYS", default=90)
API_TOKEN_MAX_LIFETIME_DAYS = env.int("API_TOKEN_MAX_LIFETIME_DAYS", default=365)

# Bad input (issue #9): the largest JSON body the API reads (crisi_portal/parsers.py).
API_JSON_MAX_BYTES = env.int("API_JSON_MAX_BYTES", default=2 * 1024 * 1024)
# The API contract's version (semver, info.version of /api/v1/schema/): bump it here only —
# minor for additions, major for anything that breaks a client built from the schema.
API_VERSION = "1.1.0"
# Who integrators write to: the Region's crisis-unit support (info.contact of the schema).
API_SUPPORT_NAME = env(
    "API_SUPPORT_NAME", default="Regione Lombardia - Nuclei Territoriali Crisi, supporto"
)
API_SUPPORT_EMAIL = env("API_SUPPORT_EMAIL", default=DEFAULT_FROM_EMAIL)
API_SUPPORT_URL = env("API_SUPPORT_URL", default=f"{PORTAL_BASE_URL}/api/v1/docs/")

SPECTACULAR_SETTINGS = {
    "TITLE": "crisi_portal API",
    "DESCRIPTION": (
        "Data interchange API of the Lombardy Nuclei Territoriali Crisi e Politiche Attive. "
        "Errors are application/problem+json (RFC 9457).\n\n"
        "**[API guide](/api/v1/guide/)** for integrators: authentication and scopes, "
        "pagination and the incremental sync recipe, errors, rate limits, concurrent writes "
        "with ETag and If-Match, with curl examples. Service status: "
        "[/api/v1/status](/api/v1/status)."
    ),
    "VERSION": API_VERSION,
    "CONTACT": {"name": API_SUPPORT_NAME, "email": API_SUPPORT_EMAIL, "url": API_SUPPORT_URL},
    "EXTENSIONS_INFO": {
        "x-summary": "Crisis procedures, workers and active labour policies of Lombardy.",
    },
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ReportKindEnum": "monitoring.enums.ReportKind",
        "PlanStatusEnum": "monitoring.enums.PlanStatus",
        "FundingSourceEnum": "pal.models.FundingSource",
    },
}

# Cache: DRF's throttle counters (and the HTML import pages' ones) live here. Local memory by
# default (one process); production sets CACHE_URL=redis://... so every gunicorn worker and
# container shares the counters.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# Throttling (crisi_portal/throttling.py): per user/token, anonymous stricter, bulk writes
# stricter still; rates "<n>/<second|minute|hour|day>". NUM_PROXIES (DJANGO_TRUSTED_PROXY_COUNT):
# how many proxies in front add X-Forwarded-For; 0 means the client IP is REMOTE_ADDR.
REST_FRAMEWORK |= {
    "DEFAULT_THROTTLE_CLASSES": [
        "crisi_portal.throttling.AnonThrottle",
        "crisi_portal.throttling.UserThrottle",
        "crisi_portal.throttling.ImportThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("THROTTLE_RATE_ANON", default="30/minute"),
        "user": env("THROTTLE_RATE_USER", default="300/minute"),
        "import": env("THROTTLE_RATE_IMPORT", default="30/hour"),
    },
    # One setting for "how many proxies are in front": the login lockout's as well.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}

# Middleware of the throttling and fault blocks: rate-limit headers on every API response
# (outside the session/auth middleware, so it sees the user DRF authenticated); the database
# going away answers 503 (innermost, so it sees the views' exceptions first).
MIDDLEWARE.insert(
    MIDDLEWARE.index("crisi_portal.faults.SessionMiddleware"),
    "crisi_portal.throttling.RateLimitHeadersMiddleware",
)
MIDDLEWARE.append("crisi_portal.faults.DatabaseUnavailableMiddleware")

# Logging (privacy, issue #9): one handler, and it masks personal data (fiscal codes, query
# strings of access records, model str() and row values in exceptions) in every record.
# Django's own loggers and gunicorn's are routed to it: by default django.server has its own
# unfiltered handler. SQL statements and template-variable misses are not logged even at DEBUG:
# their parameters and contexts carry names and fiscal codes.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"personal_data": {"()": "crisi_portal.logging.PersonalDataFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"handlers": [], "level": "INFO", "propagate": True},
        # Its DEBUG records dump template contexts (workers' names among them).
        "django.template": {"handlers": [], "level": "INFO", "propagate": True},
        "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # WeasyPrint narrates every step of every PDF at INFO.
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
