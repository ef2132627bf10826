"""The search API's routes, one router per resource; ``socialcare.search.api`` wires them."""

# Every endpoint behind a key: no key (401), key without the scope (403), invalid input
# (422), Elasticsearch down (503).
KEYED = (401, 403, 422, 503)
