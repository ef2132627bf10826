from prometheus_client import Counter

REQUESTS = Counter(
    "socialcare_ingest_requests_total",
    "Webhook and API requests, by platform and HTTP status.",
    ["platform", "status"],
)
IGNORED = Counter(
    "socialcare_ingest_ignored_total",
    "Well-formed deliveries without a customer message (receipts, reactions…), by type.",
    ["type"],
)
