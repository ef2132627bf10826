"""The shared HTTP pieces (socialcare.http): one error body, the health endpoints."""

from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient

from socialcare import http


class Down(Exception):
    pass


def _app(reason: list[str | None]) -> FastAPI:
    app = FastAPI()
    http.install_error_handlers(
        app, service="test", unavailable={Down: "the backend is down"}, headers={"X-Test": "1"}
    )

    async def ready() -> str | None:
        return reason[0]

    app.include_router(http.health_router(ready))

    @app.get("/thing", responses=http.error_responses(404))
    async def get_thing(n: int) -> dict[str, int]:
        if n == 0:
            raise HTTPException(404, "no thing 0")
        if n == 1:
            raise Down
        if n == 2:
            raise RuntimeError("bug")
        return {"n": n}

    @app.post("/thing")
    async def post_thing() -> dict[str, str]:
        return {}

    return app


def test_health_and_readiness() -> None:
    reason: list[str | None] = [None]
    client = TestClient(_app(reason))
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}
    reason[0] = "Kafka is not reachable"
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json() == {"status": 503, "detail": "Kafka is not reachable", "errors": []}


def test_every_error_is_a_problem() -> None:
    client = TestClient(_app([None]), raise_server_exceptions=False)
    assert client.get("/thing", params={"n": 0}).json() == {
        "status": 404,
        "detail": "no thing 0",
        "errors": [],
    }
    invalid = client.get("/thing", params={"n": "x"}).json()
    assert invalid["status"] == 422
    assert invalid["errors"][0]["loc"] == ["query", "n"]
    assert client.get("/thing", params={"n": 1}).json()["detail"] == "the backend is down"
    crash = client.get("/thing", params={"n": 2})
    assert (crash.status_code, crash.json()["detail"]) == (500, "internal error")
    assert crash.headers["X-Test"] == "1"  # the 500 answer is sent outside any middleware
    wrong = client.delete("/thing")
    assert wrong.json()["status"] == 405
    assert wrong.headers["Allow"] == "GET, POST"


def test_openapi_documents_problem() -> None:
    schema = _app([None]).openapi()
    ref = schema["paths"]["/thing"]["get"]["responses"]["404"]["content"]["application/json"]
    assert ref["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert "503" in schema["paths"]["/readyz"]["get"]["responses"]
