# syntax=docker/dockerfile:1
# Build stage: resolve and build wheels for TaskQL and its dependencies once.
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# Dependencies first, in their own layer: it is rebuilt only when pyproject.toml changes.
COPY pyproject.toml README.md ./
RUN mkdir -p taskql schema resolvers models \
    && touch taskql/__init__.py schema/__init__.py resolvers/__init__.py models/__init__.py \
    && pip install . \
    && pip uninstall --yes taskql
COPY taskql ./taskql
COPY schema ./schema
COPY resolvers ./resolvers
COPY models ./models
RUN pip install --no-deps .

# Runtime stage: the venv, the settings and the migrations; no compilers, no sources.
FROM python:3.11-slim-bookworm AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TASKQL_HOME=/app \
    TASKQL_ENV=production \
    TASKQL_SERVER__HOST=0.0.0.0 \
    TASKQL_SERVER__PORT=8000
RUN groupadd --system --gid 10001 taskql \
    && useradd --system --uid 10001 --gid taskql --home-dir /app taskql
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY settings.toml ./
COPY migrations ./migrations
RUN mkdir -p /app/data && chown 10001:10001 /app/data
USER 10001:10001
EXPOSE 8000
# The probe asks the port the server listens on (TASKQL_SERVER__PORT), not a fixed one.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('TASKQL_SERVER__PORT', '8000'); sys.exit(urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=2).status != 200)"]
ENTRYPOINT ["taskql"]
CMD ["serve"]
