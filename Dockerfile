# The arena app: one `arena serve` process (eventlet) per container. docker-compose.yml runs
# several of them behind nginx, sharing PostgreSQL, Redis and the instance volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ARENA_INSTANCE=/data/instance \
    ARENA_HOST=0.0.0.0 \
    ARENA_PORT=5000

# flock (util-linux) serializes `arena db upgrade` between replicas starting at once.
RUN command -v flock >/dev/null || { apt-get update \
        && apt-get install -y --no-install-recommends util-linux \
        && rm -rf /var/lib/apt/lists/*; } \
    && useradd --system --uid 10001 --home-dir /srv/arena --shell /usr/sbin/nologin arena \
    && mkdir -p /data/instance/uploads \
    && chown -R arena:arena /data/instance

WORKDIR /srv/arena
COPY pyproject.toml README.md ./
COPY app ./app
COPY question_bank ./question_bank
COPY templates ./templates
COPY static ./static
COPY scenarios ./scenarios
COPY decks ./decks

# The app finds templates/, static/, scenarios/ and decks/ beside its package
# (app/config.py PROJECT_ROOT), and the wheel does not carry them: install in place so the
# code runs from /srv/arena, and fail the build if the pages cannot be found.
RUN pip install -e . \
    && python -c "from app.config import PROJECT_ROOT as r; import sys; \
missing = [d for d in ('templates/auth/login.html', 'static/js/play.js', 'scenarios', 'decks', \
'question_bank/samples') if not (r / d).exists()]; sys.exit(f'missing under {r}: {missing}' if missing else 0)"

USER arena
# The instance folder: proof photos (uploads/) and points_rules.yaml, shared by every replica.
VOLUME ["/data/instance"]
EXPOSE 5000

# Migrations first (one replica at a time, the others wait on the lock and find nothing to
# do), then the server as PID 1: SIGTERM from `docker stop` ends it cleanly.
CMD ["sh", "-c", "flock /data/instance/.migrate.lock arena db upgrade && exec arena serve --host 0.0.0.0 --port 5000 --quiet"]
