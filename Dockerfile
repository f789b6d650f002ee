# syntax=docker/dockerfile:1
# Build stage: wheels of TaskQL and of every dependency, built from a clean copy of the
# sources (a fresh directory, so no earlier build/ output can be packaged instead of them).
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY taskql ./taskql
COPY server ./server
COPY compiler ./compiler
COPY schema ./schema
COPY resolvers ./resolvers
COPY models ./models
# The cache mount keeps downloads between builds without putting them in a layer.
RUN --mount=type=cache,target=/root/.cache/pip \
    pip wheel --wheel-dir /wheels .

# Runtime stage: the wheels installed offline into /opt/venv, the settings and the
# migrations; no compilers, no sources, no wheels left behind (they are only mounted).
FROM python:3.11-slim-bookworm AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TASKQL_HOME=/app \
    TASKQL_ENV=production \
    TASKQL_SERVER__HOST=0.0.0.0 \
    TASKQL_SERVER__PORT=8000
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    python -m venv /opt/venv \
    && pip install --no-cache-dir --no-index --find-links /wheels /wheels/taskql-*.whl
RUN groupadd --system --gid 10001 taskql \
    && useradd --system --uid 10001 --gid taskql --home-dir /app taskql
WORKDIR /app
COPY settings.toml ./
COPY migrations ./migrations
# The trusted documents (graphql.trusted_documents_only), written by `taskql operations build`.
COPY operations/manifest.json ./operations/
RUN mkdir -p /app/data && chown 10001:10001 /app/data
USER 10001:10001
EXPOSE 8000
# The probe asks the port the server listens on (TASKQL_SERVER__PORT), not a fixed one.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('TASKQL_SERVER__PORT', '8000'); sys.exit(urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=2).status != 200)"]
ENTRYPOINT ["taskql"]
CMD ["serve"]
