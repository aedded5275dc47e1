# Division Bell's image: `cp .env.example .env && docker compose up -d` (README, "Run it with
# Docker"). Online, this builds from python:3.12-slim and PyPI. Offline (tests/docker/smoke.sh):
# --build-arg BASE_IMAGE=<a local image with python3 and venv> --build-arg PIP_NO_INDEX=1, with
# the wheels in a wheels/ folder of the build context.
ARG BASE_IMAGE=python:3.12-slim

FROM ${BASE_IMAGE} AS build
# pip reads PIP_NO_INDEX from the environment: 1 installs from wheels/ only.
ARG PIP_NO_INDEX=0
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY . .
# The venv keeps the app apart from the base image's Python; pip and setuptools leave it once
# they have done their job (the running service never installs anything).
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --find-links=/src/wheels /src \
    && /opt/venv/bin/pip uninstall --yes --quiet pip setuptools

FROM ${BASE_IMAGE}
COPY --from=build /opt/venv /opt/venv
COPY docker/division-bell /usr/local/bin/division-bell
# A fixed, unprivileged uid, so a bind-mounted /data can be chowned to match (README).
RUN chmod 0755 /usr/local/bin/division-bell \
    && useradd --system --no-log-init --user-group --uid 10001 \
        --home-dir /nonexistent --shell /usr/sbin/nologin division-bell \
    && mkdir -p /data/backups /config \
    && chown -R division-bell:division-bell /data
ENV DIVISION_BELL_DATA=/data \
    DIVISION_BELL_CONFIG=/config/division-bell.toml \
    DIVISION_BELL_HTTP_LISTEN=0.0.0.0:8080 \
    PYTHONUNBUFFERED=1
VOLUME ["/data"]
EXPOSE 8080
USER 10001:10001
WORKDIR /data
# No curl in the image: the venv's Python asks /healthz, on the port `run` listens on, bypassing
# any proxy the environment names. A 503 raises, so the check fails.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["/opt/venv/bin/python", "-c", "import os, urllib.request as r; port = os.environ.get('DIVISION_BELL_HTTP_LISTEN', ':8080').rpartition(':')[2]; r.build_opener(r.ProxyHandler({})).open(f'http://127.0.0.1:{port}/healthz', timeout=4)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/division-bell"]
CMD ["run"]
