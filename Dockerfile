# syntax=docker/dockerfile:1
# Guiding Hand: production image. Secrets (GUIDINGHAND_SECRET_KEY, database password)
# come from the environment at run time and are never baked into the image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GUIDINGHAND_ENV=production \
    GUIDINGHAND_RUBRICS_DIR=/app/rubrics \
    GUIDINGHAND_MEDIA_ROOT=/data/media \
    GUIDINGHAND_SIGNING_KEY_PATH=/data/keys/signing-key.pem \
    MPLCONFIGDIR=/tmp/matplotlib

# System libraries WeasyPrint needs to render reports and certificates as PDF (Pango,
# HarfBuzz, image codecs, fonts, MIME database). matplotlib keeps its font cache in
# MPLCONFIGDIR: the home directory is read-only to the service user.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz0b \
        libharfbuzz-subset0 \
        libjpeg62-turbo \
        libopenjp2-7 \
        libffi8 \
        fonts-dejavu-core \
        shared-mime-info \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 guidinghand \
    && useradd --system --uid 10001 --gid guidinghand --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin guidinghand \
    && mkdir -p /app /data/keys /data/media \
    && chown -R guidinghand:guidinghand /data

WORKDIR /app

COPY pyproject.toml README.md alembic.ini ./
COPY app/ ./app/
COPY migrations/ ./migrations/
COPY rubrics/ ./rubrics/

# Editable install: app/services/schema.py finds migrations/ next to the app/ package,
# so the package must run from /app rather than from a copy in site-packages.
RUN pip install --no-cache-dir -e . \
    && python -c "import app.cli"

USER guidinghand

EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

CMD ["sh", "-c", "guidinghand db upgrade && guidinghand rubrics load && exec guidinghand serve --host 0.0.0.0 --port 8000"]
