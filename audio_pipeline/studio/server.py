"""The studio's HTTP server: uvicorn with limits against a slow or flooding client.

uvicorn closes an idle kept-alive connection, but a connection that sends half a request
head and stops would stay open for ever, each holding a file descriptor. Here every
connection must send a whole request head within `StudioConfig.head_seconds`, at most
`StudioConfig.max_connections` are open at once (more are closed as they arrive), and
when the process runs out of file descriptors anyway, accept() failing is said once a
minute, not once per retry (asyncio retries at once and would fill the terminal).
"""

from __future__ import annotations

import asyncio
import logging
import time

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from ..config import StudioConfig

LIMITS = StudioConfig()
log = logging.getLogger("paperledge.studio")


class _Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for the request head and a connection cap."""

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._head_timer: asyncio.TimerHandle | None = None
        if len(self.connections) > LIMITS.max_connections:
            transport.close()
            return
        self._arm()

    def _arm(self) -> None:
        self._head_timer = self.loop.call_later(LIMITS.head_seconds, self._head_late)

    def _head_late(self) -> None:
        if self.cycle is not None and not self.cycle.response_complete:
            return  # a request is being answered; it is re-armed when the answer is sent
        if not self.transport.is_closing():
            self.transport.close()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._head_timer is not None:
            self._head_timer.cancel()
        if not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc) -> None:
        if (timer := getattr(self, "_head_timer", None)) is not None:  # None before connection_made
            timer.cancel()
        super().connection_lost(exc)


_SAID_EVERY = 60.0  # seconds between two reports of the same exhaustion
_said = {"at": float("-inf")}


def _quiet_handler(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    if "out of system resource" in str(context.get("message", "")):
        if time.monotonic() - _said["at"] >= _SAID_EVERY:
            _said["at"] = time.monotonic()
            exc = context.get("exception")
            log.error(
                "studio: cannot accept connections (%s); new ones wait until others close. "
                "Raise the limit (ulimit -n) if this persists",
                getattr(exc, "strerror", None) or exc,
            )
        return
    loop.default_exception_handler(context)


class _Server(uvicorn.Server):
    async def serve(self, sockets=None) -> None:
        asyncio.get_running_loop().set_exception_handler(_quiet_handler)
        await super().serve(sockets)


def make_server(app, port: int) -> uvicorn.Server:
    """A uvicorn server for `app` on 127.0.0.1:`port`, with the studio's limits."""
    logging.basicConfig(format="%(message)s")
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        http=_Protocol,
        loop="asyncio",
        timeout_keep_alive=LIMITS.keep_alive_seconds,
        limit_concurrency=LIMITS.max_connections,
    )
    return _Server(config)
