"""Structured logging for every process: one JSON object per line, or console text.

Library loggers (faust, aiokafka, uvicorn, elastic_transport) go through the same
formatter, so a log shipper sees one format per pod. They log at WARNING and above
only, unless the level is DEBUG: our own records are the ones an operator reads.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

# Ids that can be personal data: conversation ids of DMs hold the customer's phone
# number or user id, and WhatsApp message ids (`wamid.…`, inside event ids) are base64
# of the sender's phone number. Logs carry a keyed hash instead, the same in every
# service, so one event can still be followed through the pipeline; `socialcare log-id`
# gives the hash of an id an operator holds.
PERSONAL_ID_FIELDS = frozenset(
    {"event_id", "event_ids", "conversation_id", "author_id", "platform_message_id", "parent_id"}
)
_FALLBACK_KEY = b"socialcare-log-ids"
# The loggers of our own code (named by module), which log at the configured level.
# Every other library's INFO records are off unless the level is DEBUG: ONNX's
# exporter and optimizer (onnxscript, onnx_ir) log a few hundred per model export,
# kafka-python every reconnect, elastic_transport every request, faust, aiokafka and
# uvicorn their start-up steps.
OWN_LOGGERS = ("socialcare", "socialcare_dev")
_id_key = _FALLBACK_KEY


def log_id(value: str, key: bytes | None = None) -> str:
    """The stand-in for a personal id in the logs."""
    digest = hmac.new(key or _id_key, value.encode(), hashlib.sha256).hexdigest()
    return f"h:{digest[:16]}"


def _pseudonymize_ids(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for field in PERSONAL_ID_FIELDS & event_dict.keys():
        value = event_dict[field]
        if isinstance(value, str):
            event_dict[field] = log_id(value)
        elif isinstance(value, list | tuple):
            event_dict[field] = [log_id(v) if isinstance(v, str) else v for v in value]
    return event_dict


_SHARED_PROCESSORS: list[structlog.types.Processor] = [
    structlog.contextvars.merge_contextvars,
    _pseudonymize_ids,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_logging(
    level: str = "INFO",
    fmt: str = "json",
    service: str | None = None,
    id_key: bytes | None = None,
) -> None:
    global _id_key
    _id_key = id_key or _FALLBACK_KEY
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            *_SHARED_PROCESSORS,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*_SHARED_PROCESSORS, structlog.processors.format_exc_info],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    _set_levels(logging.getLevelNamesMapping()[level.upper()])
    if service:
        structlog.contextvars.bind_contextvars(service=service)


def _set_levels(level: int) -> None:
    debug = level <= logging.DEBUG
    logging.getLogger().setLevel(level if debug else max(level, logging.WARNING))
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(level)
    if not debug:
        # transformers' progress bars (loading and writing weights: a line each on a
        # log file) follow huggingface_hub's switch, read when they are imported.
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)
