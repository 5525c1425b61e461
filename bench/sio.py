"""A minimal Socket.IO client for the load generator: Engine.IO 4 over one websocket, the
default namespace, events with acknowledgements.

python-socketio's own client costs a thread or an aiohttp session per connection; thousands
of simulated phones need one asyncio task each. This speaks only what docs/PROTOCOL.md
uses: ``42[event, data]`` from the server, ``42<id>[event, data]`` to it and ``43<id>[reply]``
back, ``2``/``3`` pings. Binary attachments and other namespaces are not needed.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import websockets

Handler = Callable[[str, Any, float], Awaitable[None] | None]


class SocketError(RuntimeError):
    pass


class Client:
    """One connection. ``on_event(name, data, received_at)`` is called for every server
    event, with the monotonic time the frame was read."""

    def __init__(self, on_event: Handler | None = None) -> None:
        self.on_event = on_event
        self.socket: Any = None
        self.acks: dict[int, asyncio.Future[Any]] = {}
        self.ids = itertools.count()
        self.reader: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()
        self.closed = False

    async def connect(self, base_url: str, timeout: float = 30) -> None:
        url = base_url.replace("http://", "ws://").replace("https://", "wss://").rstrip("/")
        self.socket = await asyncio.wait_for(
            websockets.connect(
                f"{url}/socket.io/?EIO=4&transport=websocket",
                max_size=2**22,
                ping_interval=None,  # Engine.IO pings in its own frames
                compression=None,
                open_timeout=timeout,
                # gevent's server never answers the closing handshake: without this, every run
                # on gevent waited websockets' default 10 s for it, twice (phones, then host).
                close_timeout=1,
            ),
            timeout,
        )
        opening = await asyncio.wait_for(self.socket.recv(), timeout)
        if not opening.startswith("0"):
            raise SocketError(f"unexpected Engine.IO opening: {opening[:40]}")
        await self.socket.send("40")
        self.reader = asyncio.create_task(self._read())
        await asyncio.wait_for(self.connected.wait(), timeout)

    async def _read(self) -> None:
        try:
            async for frame in self.socket:
                received = time.monotonic()
                if frame == "2":
                    await self.socket.send("3")
                elif frame.startswith("40"):
                    self.connected.set()
                elif frame.startswith("42"):
                    event, *args = json.loads(frame[2:])
                    if self.on_event is not None:
                        outcome = self.on_event(event, args[0] if args else None, received)
                        if outcome is not None:
                            await outcome
                elif frame.startswith("43"):
                    bracket = frame.index("[")
                    future = self.acks.pop(int(frame[2:bracket]), None)
                    if future is not None and not future.done():
                        reply = json.loads(frame[bracket:])
                        future.set_result(reply[0] if reply else None)
                elif frame.startswith("44"):
                    raise SocketError(f"connection refused: {frame[2:200]}")
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed = True
            for future in self.acks.values():
                if not future.done():
                    future.set_exception(SocketError("connection closed"))

    async def call(self, event: str, data: Any, timeout: float = 30) -> Any:
        """Emit with an acknowledgement and wait for the reply."""
        ack = next(self.ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.acks[ack] = future
        await self.socket.send(
            f"42{ack}" + json.dumps([event, data], ensure_ascii=False, separators=(",", ":"))
        )
        return await asyncio.wait_for(future, timeout)

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()
        if self.reader is not None:
            await asyncio.gather(self.reader, return_exceptions=True)
