"""The OpenAPI docs page (Swagger UI), with a policy that lets exactly Swagger UI run."""

import base64
import hashlib
import re

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

SWAGGER_CDN = "https://cdn.jsdelivr.net"


def docs_router(title: str, openapi_url: str = "/openapi.json") -> APIRouter:
    """``GET /docs``; build the app with ``docs_url=None`` to use it."""
    swagger = get_swagger_ui_html(openapi_url=openapi_url, title=f"{title} - docs")
    policy = _policy(swagger.body.decode())
    router = APIRouter()

    @router.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(swagger.body, headers={"Content-Security-Policy": policy})

    return router


def _policy(page: str) -> str:
    # Hashes of Swagger UI's inline scripts: they may run, nothing else inline may.
    inline = [
        base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        for script in re.findall(r"<script>(.*?)</script>", page, re.S)
    ]
    return (
        f"default-src 'none'; script-src {SWAGGER_CDN} "
        + " ".join(f"'sha256-{h}'" for h in inline)
        # Swagger UI sets style attributes; styles cannot run code.
        + f"; style-src {SWAGGER_CDN} 'unsafe-inline'; "
        "img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )
