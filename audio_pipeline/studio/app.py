"""The studio's web app (Starlette): the page, its JSON API and the audio it plays.

Guards, in front of every route: the Host must be this server's own address (no DNS
rebinding); a request with an Origin from anywhere else (or that the browser marks as
sent from another site: Sec-Fetch-Site) is refused; and every request, page, API, script,
style or audio, carries the studio's token. The token is made fresh at each start and
printed in the studio's address (`/?token=...`); that address sets it as an HttpOnly,
SameSite=Strict cookie and sends the browser on to the bare address, so the token leaves
the address bar and the page never holds it. A program may send it as X-Studio-Token.
Every answer carries anti-framing, nosniff and no-referrer headers. Errors are one line of
text with a 4xx status, never a traceback page.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import secrets
from importlib import resources
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request, cookie_parser
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..config import StudioConfig
from ..errors import PaperLedgeError
from ..files import parse_json
from .edits import Conflict
from .state import Busy, Studio

TOKEN_HEADER = "x-studio-token"
TOKEN_QUERY = "token"
_STATIC = {"studio.js": "text/javascript", "studio.css": "text/css"}
LIMITS = StudioConfig()
SECURITY_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        b"media-src 'self' blob:; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


class TooLarge(PaperLedgeError):
    """A request body over the cap (413)."""


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _fail(status: int, line: str, headers: dict | None = None) -> PlainTextResponse:
    return PlainTextResponse(" ".join(str(line).split())[:500] + "\n", status_code=status, headers=headers)


def _same(given: str, token: str) -> bool:
    return secrets.compare_digest(given.encode("utf-8", "surrogatepass"), token.encode("utf-8"))


def _store_token(cookie: str, bare: str) -> Response:
    """Store the token as a cookie, then go on to the bare address so the token leaves the
    address bar. A page of our own that moves on (not a 303) makes the next request
    same-site, so the SameSite=Strict cookie goes with it wherever the address was opened from."""
    target = html.escape(bare, quote=True)
    # No icon of its own: a browser would ask for /favicon.ico while it moves on (a 404).
    text = (
        f'<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,">'
        f'<meta http-equiv="refresh" content="0;url={target}">'
        f'<title>PaperLedge studio</title><a href="{target}">Open the studio</a>\n'
    )
    return HTMLResponse(text, headers={"Set-Cookie": f"{cookie}; Path=/; HttpOnly; SameSite=Strict", "Cache-Control": "no-store"})


class Guard:
    """ASGI middleware: the host, origin and token checks, and the headers of every answer."""

    def __init__(self, app, state: dict):
        self.app, self.state = app, state

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        response = self.refuse(scope)
        await (response or self.app)(scope, receive, send_with_headers)

    def refuse(self, scope):
        """The answer instead of the app's: a refusal, or the redirect that stores the token; None to go on."""
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        own, token = self.state.get("hosts", set()), self.state["token"]
        if headers.get("host") not in own:
            return _fail(403, "this server answers only to its own address")
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        given = [v for k, v in query if k == TOKEN_QUERY]
        if given and scope["method"] == "GET":
            # Checked before the origin: the address may be opened from a file:// page (see
            # `cli.studio`), which the browser marks as another site. It only stores the token.
            if not _same(given[-1], token):
                return _fail(403, "that is not this studio's token; open the address the studio printed")
            rest = urlencode([(k, v) for k, v in query if k != TOKEN_QUERY])
            bare = "/" + scope["path"].lstrip("/")  # never "//host": that would leave this server
            return _store_token(f"{self.state['cookie']}={token}", bare + (f"?{rest}" if rest else ""))
        if (
            "origin" in headers
            and headers["origin"] not in {f"http://{h}" for h in own}
            or headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none")
        ):
            return _fail(403, "requests from another origin are refused")
        held = cookie_parser(headers.get("cookie", "")).get(self.state["cookie"], "")
        if not (_same(headers.get(TOKEN_HEADER, ""), token) or _same(held, token)):
            return _fail(403, "this studio needs its token: open the address it printed (http://127.0.0.1:PORT/?token=...)")
        return None


def create_app(studio: Studio, token: str | None = None) -> Guard:
    # The routes are closures over one studio and its token: together they read as the
    # table of the app's pages and actions.
    state = {"token": token or secrets.token_urlsafe(32), "hosts": set(), "cookie": "paperledge-studio"}

    async def body(request: Request) -> dict:
        declared = request.headers.get("content-length")
        if declared is not None and not re.fullmatch(r"[0-9]{1,18}", declared):
            raise PaperLedgeError("Content-Length must be a number")
        if declared is not None and int(declared) > LIMITS.max_body_bytes:
            raise TooLarge(f"the request body is over {LIMITS.max_body_bytes:,} bytes")
        raw = bytearray()

        async def collect() -> None:
            async for chunk in request.stream():
                raw.extend(chunk)
                if len(raw) > LIMITS.max_body_bytes:
                    raise TooLarge(f"the request body is over {LIMITS.max_body_bytes:,} bytes")

        try:
            await asyncio.wait_for(collect(), LIMITS.body_seconds)
        except asyncio.TimeoutError:
            raise HTTPException(408, "the request body came too slowly") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise PaperLedgeError("the request body must be UTF-8 JSON") from None
        try:
            data = parse_json(text or "{}", "the request body")
        except PaperLedgeError as e:  # its words are for our own files; a request is not one
            raise PaperLedgeError(str(e).split("; not a file")[0]) from None
        try:  # a lone surrogate ("\\ud800") parses, but is no text a file can hold
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise PaperLedgeError("the request body holds a lone surrogate (\\ud800-\\udfff); send real text") from None
        return data

    def field(data: dict, name: str, kind=str):
        value = data.get(name)
        if kind is int and isinstance(value, bool) or not isinstance(value, kind):
            raise PaperLedgeError(f"'{name}' must be {'a number' if kind is int else 'text'}")
        return value

    async def page(request: Request):
        return HTMLResponse(_asset("page.html"), headers={"Cache-Control": "no-store"})

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
        return JSONResponse(
            await run_in_threadpool(studio.preview_word, field(d, "ep"), field(d, "i", int), field(d, "word"), field(d, "spoken"))
        )

    async def save_sentence(request: Request):
        d = await body(request)
        await run_in_threadpool(studio.save_sentence, field(d, "ep"), field(d, "i", int), field(d, "text"), field(d, "sha"))
        return JSONResponse({"saved": True})

    async def save_word(request: Request):
        d = await body(request)
        changed = await run_in_threadpool(
            studio.save_word, field(d, "ep"), field(d, "word"), field(d, "spoken"), field(d, "where"), field(d, "sha")
        )
        return JSONResponse({"saved": True, "changed": changed})

    async def takes(request: Request):
        d = await body(request)
        rows = await run_in_threadpool(
            studio.takes, field(d, "ep"), field(d, "i", int), field(d, "count", int), bool(d.get("score"))
        )
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

    async def on_too_large(request: Request, exc: Exception):
        return _fail(413, str(exc), {"Connection": "close"})

    async def on_busy(request: Request, exc: Exception):
        return _fail(409, str(exc))

    async def on_http(request: Request, exc):
        return _fail(exc.status_code, exc.detail)

    async def on_crash(request: Request, exc: Exception):
        return _fail(500, f"internal error ({type(exc).__name__}); see the terminal")

    routes = [
        Route("/", page),
        Route("/static/{name}", static),
        Route("/api/episodes", episodes),
        Route("/favicon.ico", lambda request: Response(status_code=204)),  # no icon: asked for, never a 404
        Route("/api/episode", episode),
        Route("/api/plot", plot),
        Route("/audio/episode.mp3", mp3),
        Route("/audio/sentence.wav", sentence_audio),
        Route("/audio/entry/{key}.wav", entry_audio),
        Route("/api/preview", preview, methods=["POST"]),
        Route("/api/preview-word", preview_word, methods=["POST"]),
        Route("/api/save-sentence", save_sentence, methods=["POST"]),
        Route("/api/save-word", save_word, methods=["POST"]),
        Route("/api/takes", takes, methods=["POST"]),
        Route("/api/choose-take", choose, methods=["POST"]),
        Route("/api/render", render, methods=["POST"]),
        Route("/api/job", job),
        Route("/api/approve", approve, methods=["POST"]),
    ]
    handlers = {
        Conflict: on_conflict,
        TooLarge: on_too_large,
        PaperLedgeError: on_error,
        LookupError: on_missing,
        Busy: on_busy,
        HTTPException: on_http,
        Exception: on_crash,
    }
    app = Starlette(routes=routes, exception_handlers=handlers)
    app.state.guard = state
    return Guard(app, state)


def allow_hosts(app: Guard, port: int) -> None:
    """Tell the guard the address the server listens on."""
    app.state["hosts"] = {f"127.0.0.1:{port}", f"localhost:{port}"}
    app.state["cookie"] = f"paperledge-studio-{port}"  # cookies are not kept apart by port: the name is


def address(app, port: int) -> str:
    """The address to open: it carries the token, which the first answer stores as a cookie."""
    return f"http://127.0.0.1:{port}/?{TOKEN_QUERY}={app.state['token']}"
