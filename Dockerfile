# netpol-console, for docker-compose.yml and deploy/kubernetes/ (see the README's Deploy section).
#
# The image holds no control plane: the embedded sandbox cluster (localcluster/, built with Go) is
# for `make run` and the tests, and .dockerignore keeps it out. A deployed console talks to a real
# cluster: a mounted kubeconfig (NETPOL_KUBECONFIG) or its pod's service account (NETPOL_IN_CLUSTER).
# It refuses to start without NETPOL_SECRET_KEY (app/secret_key.py).

# --- build: the dependencies' wheels (compiled here when a platform has none), into a venv --------
FROM python:3.11-slim AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /srv
COPY pyproject.toml README.md ./
# Only the package's name at this step, so the dependency layer is rebuilt when pyproject.toml
# changes and not with every change of the code. The editable install points /opt/venv at
# /srv/app, where the runtime stage puts the real code (templates/, static/ and migrations/ are
# found beside it, as in a checkout).
RUN mkdir app && touch app/__init__.py && /opt/venv/bin/pip install -e .

# --- runtime: Python, the venv and the code; no compiler, no Go, no control plane ------------------
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    NETPOL_ENV=production \
    NETPOL_HOST=0.0.0.0 \
    NETPOL_PORT=8000 \
    NETPOL_DATA_DIR=/data
RUN groupadd --system --gid 10001 netpol \
    && useradd --system --uid 10001 --gid netpol --home-dir /data --no-create-home --shell /usr/sbin/nologin netpol \
    && mkdir /data && chown netpol:netpol /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv
COPY alembic.ini ./
COPY migrations migrations
COPY static static
COPY templates templates
COPY app app
# `make locale`: the catalogs compiled at build time (a read-only root filesystem cannot take
# them later), and the bytecode too.
RUN pybabel -q compile -d app/locale -D messages \
    && python -m compileall -q app migrations
USER 10001:10001
EXPOSE 8000
# Liveness only: /readyz (the database and every cluster's cache) is for a load balancer or a
# readiness probe, as in deploy/kubernetes/console.yaml.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('NETPOL_PORT', '8000'), timeout=4)"]
# `serve` migrates the database to the newest schema (Alembic) before it answers; `netpol-console
# db upgrade` does the same alone.
CMD ["netpol-console", "serve"]
