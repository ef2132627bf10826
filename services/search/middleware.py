"""The search API's request metrics and its security headers."""

from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from prometheus_client import Counter

REQUESTS = Counter(
    "socialcare_search_requests_total",
    "Search API requests by endpoint and status.",
    ["endpoint", "status"],
)

# The console and the API load nothing from elsewhere, run no inline code and may not be
# framed (clickjacking): a strict policy. The docs page sets its own (routers/docs.py).
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers without CSP level 2
}
# On answers sent outside the middleware: the catch-all 500.
ERROR_HEADERS = {**SECURITY_HEADERS, "Content-Security-Policy": CSP}

CallNext = Callable[[Request], Awaitable[Response]]


async def count_requests(request: Request, call_next: CallNext) -> Response:
    response = await call_next(request)
    route = request.scope.get("route")
    REQUESTS.labels(getattr(route, "path", "other"), str(response.status_code)).inc()
    return response


async def security_headers(request: Request, call_next: CallNext) -> Response:
    response = await call_next(request)
    response.headers.update(SECURITY_HEADERS)
    response.headers.setdefault("Content-Security-Policy", CSP)
    return response
