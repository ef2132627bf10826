# One image for every service role: `docker run socialcare <role> ...`.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY socialcare ./socialcare
COPY services ./services
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/venv/bin/pip install --no-cache-dir .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 socialcare
COPY --from=build /opt/venv /opt/venv
COPY docs /app/docs
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    SOCIALCARE_LOG_FORMAT=json
WORKDIR /app
USER 10001
ENTRYPOINT ["socialcare"]
CMD ["--help"]
