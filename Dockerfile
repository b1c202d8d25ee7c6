# crisi_portal — production image (gunicorn + whitenoise; the same image runs
# the Celery worker and beat, see docker-compose.yml).
FROM python:3.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=crisi_portal.settings.base \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/app/media

# Shared libraries WeasyPrint loads at run time (Debian >= 11, wheels), plus fonts.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz-subset0 \
        libjpeg62-turbo \
        libopenjp2-7 \
        libffi8 \
        shared-mime-info \
        fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first (cached until the lock changes), exactly the pinned versions and hashes
# of requirements.lock (`make lock` regenerates it from pyproject.toml). The project itself
# runs from /app (PYTHONPATH) rather than being pip-installed: settings locate
# templates/, static/ and locale/ relative to the source tree.
COPY requirements.lock ./
RUN pip install --no-deps --require-hashes -r requirements.lock

COPY . .

RUN DJANGO_DEBUG=0 \
    DJANGO_SECRET_KEY=collectstatic-build-only-not-secret \
    DJANGO_ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput

RUN useradd --system --uid 10001 --create-home --home-dir /home/app --shell /usr/sbin/nologin app \
    && mkdir -p /app/media \
    && chown app:app /app/media

USER app

EXPOSE 8000

# Access log without query strings: see gunicorn.conf.py.
CMD ["gunicorn", "--config", "gunicorn.conf.py", "crisi_portal.wsgi:application"]
