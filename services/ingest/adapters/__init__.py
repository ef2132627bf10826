"""Platform adapters: pure functions from (headers, raw body) to normalized events.

Each module exposes ``parse(headers, body, context) -> Parsed``; the HTTP layer
only verifies signatures, calls the adapter and publishes what it returns.
"""

from socialcare.ingest.adapters.base import Adapter, BadPayload, Context, Parsed

__all__ = ["Adapter", "BadPayload", "Context", "Parsed"]
