"""The studio's web app (Starlette): the page, its JSON API and the audio it plays.

Guards, in front of every route: the Host must be this server's own address (no DNS
rebinding), a request with an Origin from anywhere else (or that the browser marks as
sent from another site: Sec-Fetch-Site) is refused, and every request
that changes something carries the token the page was served with (X-Studio-Token).
Errors are one line of text with a 4xx status, never a traceback page.
"""

from __future__ import annotations

import html
import json
import secrets
from importlib import resources

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..errors import PaperLedgeError
from .edits import Conflict
from .state import Busy, Studio

TOKEN_HEADER = "x-studio-token"
_SAFE = {"GET", "HEAD"}
_STATIC = {"studio.js": "text/javascript", "studio.css": "text/css"}
_MAX_BODY = 64 * 1024


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _fail(status: int, line: str) -> PlainTextResponse:
    return PlainTextResponse(" ".join(str(line).split())[:500] + "\n", status_code=status)


class Guard:
    """ASGI middleware: the host, origin and token checks."""

    def __init__(self, app, state: dict):
        self.app, self.state = app, state

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        own = self.state.get("hosts", set())
        problem = None
        if headers.get("host") not in own:
            problem = "this server answers only to its own address"
        elif ("origin" in headers and headers["origin"] not in {f"http://{h}" for h in own}
              or headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none")):
            problem = "requests from another origin are refused"
        elif scope["method"] not in _SAFE and not secrets.compare_digest(
                headers.get(TOKEN_HEADER, "").encode(), self.state["token"].encode()):
            problem = "this request needs the page's token; reload the page"
        if problem:
            return await _fail(403, problem)(scope, receive, send)
        return await self.app(scope, receive, send)


def create_app(studio: Studio, token: str | None = None) -> Starlette:
    # The routes are closures over one studio and its token: together they read as the
    # table of the app's pages and actions.
    state = {"token": token or secrets.token_urlsafe(32), "hosts": set()}

    async def body(request: Request) -> dict:
        raw = await request.body()
        if len(raw) > _MAX_BODY:
            raise PaperLedgeError("request too large")
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            raise PaperLedgeError("the request body must be JSON") from None
        if not isinstance(data, dict):
            raise PaperLedgeError("the request body must be a JSON object")
        return data

    def field(data: dict, name: str, kind=str):
        value = data.get(name)
        if kind is int and isinstance(value, bool) or not isinstance(value, kind):
            raise PaperLedgeError(f"'{name}' must be {'a number' if kind is int else 'text'}")
        return value

    async def page(request: Request):
        text = _asset("page.html").replace("{{token}}", html.escape(state["token"]))
        return HTMLResponse(text, headers={"Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                                           "style-src 'self' 'unsafe-inline'; media-src 'self' blob:"})

    async def static(request: Request):
        name = request.path_params["name"]
        if name not in _STATIC:
            return _fail(404, "not found")
        return Response(_asset(name), media_type=_STATIC[name])

    async def episodes(request: Request):
        out = []
        for ep, path in studio.scripts.items():
            out.append({"id": ep, "name": path.name})
        return JSONResponse(out)

    async def episode(request: Request):
        return JSONResponse(await run_in_threadpool(studio.episode, request.query_params.get("ep", "")))

    async def plot(request: Request):
        svg = await run_in_threadpool(studio.plot, request.query_params.get("ep", ""))
        return Response(svg, media_type="image/svg+xml") if svg else _fail(404, "the episode is not rendered yet")

    async def mp3(request: Request):
        path = studio.mp3(request.query_params.get("ep", ""))
        if not path.is_file():
            return _fail(404, "the episode is not rendered yet; press Render")
        return FileResponse(path, media_type="audio/mpeg", headers={"Cache-Control": "no-store"})

    async def sentence_audio(request: Request):
        q = request.query_params
        try:
            index, take = int(q.get("i", "")), int(q.get("take", "0"))
        except ValueError:
            raise PaperLedgeError("'i' and 'take' must be numbers") from None
        key = await run_in_threadpool(studio.entry_key, q.get("ep", ""), index, take)
        return Response(studio.wav(key), media_type="audio/wav")

    async def entry_audio(request: Request):
        return Response(studio.wav(request.path_params["key"]), media_type="audio/wav")

    async def preview(request: Request):
        d = await body(request)
        return JSONResponse(await run_in_threadpool(studio.preview, field(d, "ep"), field(d, "i", int), field(d, "text")))

    async def preview_word(request: Request):
        d = await body(request)
        return JSONResponse(await run_in_threadpool(
            studio.preview_word, field(d, "ep"), field(d, "i", int), field(d, "word"), field(d, "spoken")))

    async def save_sentence(request: Request):
        d = await body(request)
        await run_in_threadpool(studio.save_sentence, field(d, "ep"), field(d, "i", int), field(d, "text"), field(d, "sha"))
        return JSONResponse({"saved": True})

    async def save_word(request: Request):
        d = await body(request)
        changed = await run_in_threadpool(studio.save_word, field(d, "ep"), field(d, "word"), field(d, "spoken"),
                                          field(d, "where"), field(d, "sha"))
        return JSONResponse({"saved": True, "changed": changed})

    async def takes(request: Request):
        d = await body(request)
        rows = await run_in_threadpool(studio.takes, field(d, "ep"), field(d, "i", int), field(d, "count", int),
                                       bool(d.get("score")))
        return JSONResponse(rows)

    async def choose(request: Request):
        d = await body(request)
        await run_in_threadpool(studio.choose_take, field(d, "ep"), field(d, "i", int), field(d, "take", int))
        return JSONResponse({"chosen": d["take"]})

    async def render(request: Request):
        d = await body(request)
        studio.start_render(field(d, "ep"), bool(d.get("check")))
        return JSONResponse(studio.job.as_json(), status_code=202)

    async def job(request: Request):
        return JSONResponse(studio.job.as_json())

    async def approve(request: Request):
        d = await body(request)
        return JSONResponse(await run_in_threadpool(studio.approve, field(d, "ep")))

    async def on_conflict(request: Request, exc: Conflict):
        return JSONResponse({"error": str(exc), "file": exc.path.name, "theirs": exc.theirs, "mine": exc.mine}, status_code=409)

    async def on_error(request: Request, exc: Exception):
        return _fail(400, str(exc))

    async def on_missing(request: Request, exc: Exception):
        return _fail(404, str(exc).strip("'\""))

    async def on_busy(request: Request, exc: Exception):
        return _fail(409, str(exc))

    async def on_http(request: Request, exc):
        return _fail(exc.status_code, exc.detail)

    async def on_crash(request: Request, exc: Exception):
        return _fail(500, f"internal error ({type(exc).__name__}); see the terminal")

    from starlette.exceptions import HTTPException

    routes = [
        Route("/", page), Route("/static/{name}", static), Route("/api/episodes", episodes),
        Route("/api/episode", episode), Route("/api/plot", plot), Route("/audio/episode.mp3", mp3),
        Route("/audio/sentence.wav", sentence_audio), Route("/audio/entry/{key}.wav", entry_audio),
        Route("/api/preview", preview, methods=["POST"]), Route("/api/preview-word", preview_word, methods=["POST"]),
        Route("/api/save-sentence", save_sentence, methods=["POST"]), Route("/api/save-word", save_word, methods=["POST"]),
        Route("/api/takes", takes, methods=["POST"]), Route("/api/choose-take", choose, methods=["POST"]),
        Route("/api/render", render, methods=["POST"]), Route("/api/job", job), Route("/api/approve", approve, methods=["POST"]),
    ]
    handlers = {Conflict: on_conflict, PaperLedgeError: on_error, LookupError: on_missing, Busy: on_busy,
                HTTPException: on_http, Exception: on_crash}
    app = Starlette(routes=routes, exception_handlers=handlers)
    app.state.guard = state
    return Guard(app, state)


def allow_hosts(app, port: int) -> None:
    """Tell the guard the address the server listens on."""
    app.state["hosts"] = {f"127.0.0.1:{port}", f"localhost:{port}"}
