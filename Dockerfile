# syntax=docker/dockerfile:1
#
# One image for every Assay process. The container args pick the module:
#   docker run ghcr.io/assay/assay:0.1.0 assay.jobs            # JobService on 50051
#   docker run ghcr.io/assay/assay:0.1.0 assay.jobs migrate    # Alembic, jobs schema
#   docker run ghcr.io/assay/assay:0.1.0 assay.gateway         # REST on 8080
# Build:  docker build -t ghcr.io/assay/assay:0.1.0 .

# Both stages must use the same interpreter: the venv's python links to /usr/local/bin/python3.11.
ARG PYTHON_IMAGE=python:3.11.10-slim-bookworm

# ---------------------------------------------------------------------------------- builder
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# A compiler only for a dependency that has no wheel for the target platform; it stays here.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src

# Dependencies first, from pyproject.toml alone, so that a source change reuses this layer.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
      > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt

# Then the project itself (hatchling builds the `assay` namespace from libs/ and services/).
COPY libs ./libs
COPY services ./services
RUN pip install --no-deps .

# ---------------------------------------------------------------------------------- runtime
FROM ${PYTHON_IMAGE}

LABEL org.opencontainers.image.title="assay" \
      org.opencontainers.image.description="Assay document-analysis services (ingest, jobs, analysis, gateway)" \
      org.opencontainers.image.source="https://github.com/assay/assay" \
      org.opencontainers.image.licenses="Apache-2.0"

# pip compiled the bytecode in the builder; the root filesystem is read-only at run time.
# PYTHONSAFEPATH: `python -m` must not put the working directory first on sys.path.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONSAFEPATH=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH

# Tesseract (with its English data) reads PDF pages that have no text layer (financial_statements,
# bank_statement); pytesseract runs it per page.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 assay \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin assay

COPY --from=builder /opt/venv /opt/venv

# Numeric, so that Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001

# gRPC: jobs 50051, ingest 50052, analysis 50053; gateway HTTP 8080; Prometheus 9464 everywhere.
EXPOSE 50051 50052 50053 8080 9464

# python -m <module> [args]: one entrypoint, the module is the command. No default CMD on
# purpose: a container started without one fails at once instead of running the wrong service.
ENTRYPOINT ["python", "-m"]
