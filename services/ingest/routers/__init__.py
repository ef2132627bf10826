"""The ingest API, one router per resource: each platform family's webhook, the
generic events API and the health probes. ``create_app`` includes them all."""
