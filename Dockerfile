# Paper Club: one image for the web process (gunicorn), the Celery workers and beat.
# Build: docker build -t paperclub .   Run everything: docker compose up (see docker-compose.yml)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The app never runs as root. /var/lib/paperclub holds uploads and beat's schedule
# (a volume in compose); it is created here so a new volume inherits its owner.
RUN groupadd --system paperclub \
    && useradd --system --gid paperclub --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin paperclub \
    && install -d -o paperclub -g paperclub /var/lib/paperclub /var/lib/paperclub/media

WORKDIR /app

# Dependencies first, so a code change does not reinstall them: the exact
# versions and hashes of requirements.txt (the lockfile, see ./scripts/lock),
# nothing resolved at build time. The app itself runs from /app beside manage.py.
COPY requirements.txt ./
RUN pip install --require-hashes --no-deps -r requirements.txt

COPY . .

# Static files are collected (and compressed, hashed by whitenoise) at build time.
# The key is a placeholder that only lets the settings load; the real one comes
# from the environment at run time.
RUN SECRET_KEY=collectstatic-build-only DEBUG=0 python manage.py collectstatic --noinput \
    && python -m compileall -q paperclub clubs papers sessions api

USER paperclub
ENV MEDIA_ROOT=/var/lib/paperclub/media \
    CELERY_BEAT_SCHEDULE_FILENAME=/var/lib/paperclub/celerybeat-schedule
EXPOSE 8000

CMD ["gunicorn", "paperclub.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
