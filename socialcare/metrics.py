"""Prometheus metrics shared by every service.

Metric names are declared once here so dashboards and alerts see the same names
whichever service emits them; the ``service`` label tells them apart.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram, start_http_server

EVENTS = Counter(
    "socialcare_events_total",
    "Events handled, by service, topic and outcome (ok, duplicate, dead_letter, rejected).",
    ["service", "topic", "outcome"],
)
DEAD_LETTERS = Counter(
    "socialcare_dead_letters_total",
    "Records sent to the DLQ, by service and error type.",
    ["service", "error_type"],
)
STAGE_SECONDS = Histogram(
    "socialcare_stage_seconds",
    "Time spent in a processing stage, by service and stage.",
    ["service", "stage"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def serve_metrics(port: int, addr: str = "0.0.0.0") -> None:
    """Expose ``/metrics`` on its own port, for processes without an HTTP app."""
    start_http_server(port, addr=addr)
