"""Which handoff process holds a call's media, and asking that process to act on it.

A call's two peer connections and the relay between them live in one process (a "media
node"). Redis records which one (`call:<ref>:media` = node id), and every node listens on a
pub/sub channel of its own (`media:<node id>`): any process that receives signalling for a
call publishes the request there and waits for the answer on its own channel. So a plain
round-robin load balancer works. A node that has died is noticed at once (nobody receives
the PUBLISH: Redis drops a dead client's subscriptions) or, failing that, by a timeout; the
asking process then takes the call over with a compare-and-set, so two processes never both
think they hold it.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from typing import Any, cast

from redis.asyncio.client import PubSub

from .store import Redis, key, listening_client

log = logging.getLogger(__name__)
HOLDER_DAYS = 1  # the record of who holds a call outlives any call

# KEYS: holder key. ARGV: new node, the holder it replaces ('' = nobody), expiry seconds.
_CLAIM = """
local holder = redis.call('GET', KEYS[1]) or ''
if holder == ARGV[1] then return 1 end
if holder ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[3]))
return 1
"""
# KEYS: holder key. ARGV: node.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0
"""

Handler = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


def holder_key(reference: str) -> str:
    return key("call", reference, "media")


class MediaNodes:
    """This process as a media node (see the module's docstring)."""

    def __init__(self, redis: Redis, handler: Handler):
        self.node_id = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        self._redis = redis
        self._handler = handler
        self._claim = redis.register_script(_CLAIM)
        self._release = redis.register_script(_RELEASE)
        self._pending: dict[str, asyncio.Future] = {}
        self._listener: Redis | None = None
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task | None = None
        self._working: set[asyncio.Task] = set()
        self._stopping = asyncio.Event()

    @property
    def _channel(self) -> str:
        return key("media", self.node_id)

    async def start(self) -> None:
        self._listener = listening_client(self._redis)
        self._pubsub = pubsub = self._listener.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self._channel)
        self._reader = asyncio.create_task(self._read(pubsub))

    async def stop(self) -> None:
        """Ends the reader by a message of its own (cancelling redis-py's blocking read can
        leave it hanging for a minute and more)."""
        self._stopping.set()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await self._redis.publish(self._channel, json.dumps({"stop": True}))
            try:
                await asyncio.wait_for(asyncio.shield(self._reader), 5)
            except TimeoutError:
                self._reader.cancel()
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
            if self._listener is not None and self._listener is not self._redis:
                await self._listener.aclose()

    # -- who holds a call ---------------------------------------------------------------
    async def holder(self, reference: str) -> str | None:
        return cast(str | None, await self._redis.get(holder_key(reference)))  # decode_responses: str

    async def claim(self, reference: str, replacing: str | None) -> bool:
        """Hold the call here, if nobody holds it (or `replacing`, a node that is gone, does)."""
        done = await self._claim(keys=[holder_key(reference)],
                                 args=[self.node_id, replacing or "", HOLDER_DAYS * 86400])
        return bool(done)

    async def release(self, reference: str) -> None:
        await self._release(keys=[holder_key(reference)], args=[self.node_id])

    # -- asking another node ------------------------------------------------------------
    async def ask(self, node: str, op: str, payload: dict[str, Any], timeout: float) -> dict[str, Any] | None:
        """`op` done by `node`; None when that node is gone (nobody listens, or no answer)."""
        request_id = secrets.token_hex(8)
        answer = asyncio.get_running_loop().create_future()
        self._pending[request_id] = answer
        try:
            message = json.dumps({"id": request_id, "op": op, "payload": payload, "reply_to": self._channel})
            if not await self._redis.publish(key("media", node), message):
                return None
            return await asyncio.wait_for(answer, timeout)
        except TimeoutError:
            log.warning("media node %s did not answer %s in %.0f s", node, op, timeout)
            return None
        finally:
            self._pending.pop(request_id, None)

    async def _read(self, pubsub: PubSub) -> None:
        while not self._stopping.is_set():
            try:
                message = await pubsub.get_message(timeout=None)
            except Exception:
                if self._stopping.is_set():
                    return
                log.exception("media node %s: reading its channel failed; again in a second", self.node_id)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), 1)
                continue
            if not message:
                continue
            data = json.loads(message["data"])
            if data.get("stop"):
                return
            if "op" in data:
                task = asyncio.create_task(self._serve(data))
                self._working.add(task)
                task.add_done_callback(self._working.discard)
            elif (answer := self._pending.get(data.get("id"))) is not None and not answer.done():
                answer.set_result(data["result"])

    async def _serve(self, request: dict[str, Any]) -> None:
        try:
            result = await self._handler(request["op"], request["payload"])
        except Exception:
            log.exception("media node %s: %s failed", self.node_id, request["op"])
            result = {"error": "failed"}
        await self._redis.publish(request["reply_to"], json.dumps({"id": request["id"], "result": result}))
