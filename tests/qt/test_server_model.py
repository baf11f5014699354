"""ServerAdaptor + ServerConnectionModel: real clients over 127.0.0.1, rows as the panel shows them.

Every scenario runs on a qasync loop (tests.qt.harness) against the demo app
hosted by the adaptor in its own process, as the window hosts it; clients are
the project's ``DDPClient`` or bare ``websockets``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from PySide6.QtCore import Qt
from websockets.asyncio.client import ClientConnection, connect

from ddp_monitor.ddp.client.events import Event, HandshakeCompleted
from ddp_monitor.ddp.errors import MethodError
from ddp_monitor.ddp.server.forwarding import ForwardedRule
from ddp_monitor.qt.server_adaptor import ServerAdaptor
from ddp_monitor.qt.server_model import ConnectionRecord, ServerConnectionModel
from ddp_monitor.transport.client.ddp_client import DDPClient
from tests.qt.harness import demo_server, run, until
from tests.timeouts import TIMEOUT

CONNECT = json.dumps({"msg": "connect", "version": "1", "support": ["1"]})


@asynccontextmanager
async def _client(
    url: str, headers: Mapping[str, str] | None = None
) -> AsyncIterator[DDPClient]:
    client = DDPClient(url, headers=headers, retry=False)
    handshake = asyncio.get_running_loop().create_future()

    def on_event(event: Event) -> None:
        if isinstance(event, HandshakeCompleted) and not handshake.done():
            handshake.set_result(event.session)

    client.add_listener(on_event)
    await client.start()
    try:
        async with asyncio.timeout(TIMEOUT):
            await handshake
        yield client
    finally:
        await client.close()


async def _raw(url: str, headers: Mapping[str, str] | None = None) -> ClientConnection:
    """A bare websockets DDP client, connected (its ``connected`` read)."""
    ws = await connect(url, additional_headers=dict(headers or {}))
    await ws.send(CONNECT)
    async with asyncio.timeout(TIMEOUT):
        await ws.recv()
    return ws


@asynccontextmanager
async def _hosted() -> AsyncIterator[ServerAdaptor]:
    """The demo app hosted on a free port, in the hosted server's process."""
    adaptor = ServerAdaptor()
    assert await adaptor.start("127.0.0.1", 0, demo=True)
    try:
        yield adaptor
    finally:
        await adaptor.close()


def _bind(adaptor: ServerAdaptor) -> ServerConnectionModel:
    model = ServerConnectionModel()
    model.set_forwarding(adaptor.forwarded_count, adaptor.forwarded_rule)
    adaptor.connections_flushed.connect(model.apply)
    adaptor.forwarding_changed.connect(model.set_forwarding)
    return model


async def _rows(model: ServerConnectionModel, n: int) -> list[ConnectionRecord]:
    await until(model.counts_changed, lambda: model.rowCount() == n)
    return list(model.rows())


def _cell(model: ServerConnectionModel, row: int, header: str) -> Any:
    column = next(
        c
        for c in range(model.columnCount())
        if model.headerData(c, Qt.Orientation.Horizontal) == header
    )
    return model.index(row, column).data()


def test_rows_show_address_version_and_whitelisted_headers(
    qloop: asyncio.AbstractEventLoop, qtmodeltester: Any
) -> None:
    """A client's row has its id, address, DDP version and headers it set; its cookie never reaches the row."""

    async def scenario() -> tuple[list[str], dict[str, str], str, str]:
        async with _hosted() as adaptor:
            model = _bind(adaptor)
            headers = {
                "User-Agent": "ddp-monitor-test/1.0",
                "X-Forwarded-For": "203.0.113.7",
                "Cookie": "meteor_login_token=secret-token",
            }
            async with _client(adaptor.url, headers) as client:
                (record,) = await _rows(model, 1)
                qtmodeltester.check(model)
                cells = [
                    _cell(model, 0, h)
                    for h in ("id", "client address", "peer", "x-forwarded-for", "DDP")
                ]
                await adaptor.close()
                return (
                    cells,
                    record.connection.headers,
                    client.session or "",
                    record.transport,
                )

    cells, headers, session, transport = run(qloop, scenario())
    assert cells == [session, "127.0.0.1", "127.0.0.1", "203.0.113.7", "1"]
    assert transport == "websocket"
    assert headers["user-agent"] == "ddp-monitor-test/1.0"
    assert headers["x-forwarded-for"] == "203.0.113.7"
    assert "cookie" not in headers
    assert "secret-token" not in json.dumps(headers)


def test_rows_follow_clients_and_their_counters(
    qloop: asyncio.AbstractEventLoop, qtmodeltester: Any
) -> None:
    """Rows appear and go as clients come and leave; subscriptions and message counts follow live."""

    async def scenario() -> tuple[int, int, int, list[str], list[str]]:
        async with _hosted() as adaptor:
            model = _bind(adaptor)
            async with AsyncExitStack() as stack:
                clients = [
                    await stack.enter_async_context(_client(adaptor.url))
                    for _ in range(3)
                ]
                await _rows(model, 3)
                sub = clients[1].subscribe("items", 2)
                async with asyncio.timeout(TIMEOUT):
                    await sub.wait_ready()
                busy = model.row(clients[1].session or "")
                assert busy is not None
                await until(model.dataChanged, lambda: busy.subscriptions == 1)
                qtmodeltester.check(model)
                ins, outs = busy.messages_in, busy.messages_out
                await clients[0].close()
                await _rows(model, 2)
                left = [r.connection_id for r in model.rows()]
                expected = [c.session or "" for c in clients[1:]]
                qtmodeltester.check(model)
            await _rows(model, 0)
            await adaptor.close()
            return busy.subscriptions, ins, outs, left, expected

    subs, ins, outs, left, expected = run(qloop, scenario())
    assert subs == 1
    assert ins >= 2  # connect, sub
    assert outs >= 2 + 2  # connected, 2 added, ready
    assert left == expected


def test_many_connections_arrive_in_few_batches(
    qloop: asyncio.AbstractEventLoop,
) -> None:
    """Fifty clients connecting at once reach the table in a handful of updates, not fifty."""

    async def scenario() -> tuple[int, int]:
        async with _hosted() as adaptor:
            model = _bind(adaptor)
            batches: list[int] = []
            adaptor.connections_flushed.connect(lambda o, c, x: batches.append(len(o)))
            sockets = await asyncio.gather(*(_raw(adaptor.url) for _ in range(50)))
            await _rows(model, 50)
            for ws in sockets:  # leaving on purpose: no grace period
                await ws.send('{"msg":"disconnect"}')
                await ws.close()
            await _rows(model, 0)
            await adaptor.close()
            return len([b for b in batches if b]), sum(batches)

    opening_batches, opened = run(qloop, scenario())
    assert opened == 50
    assert opening_batches <= 10


def test_forwarded_count_recomputes_every_client_address(
    qloop: asyncio.AbstractEventLoop, qtmodeltester: Any
) -> None:
    """With HTTP_FORWARDED_COUNT set, each row shows the address the server would report behind that many proxies."""

    async def scenario() -> dict[str, list[str | None]]:
        async with _hosted() as adaptor:
            model = _bind(adaptor)
            honest = await _raw(adaptor.url, {"X-Forwarded-For": "198.51.100.9"})
            spoof = await _raw(
                adaptor.url, {"X-Forwarded-For": "6.6.6.6, 198.51.100.9"}
            )
            await _rows(model, 2)

            def addresses() -> list[str | None]:
                return [r.client_address for r in model.rows()]

            seen = {"0": addresses()}
            adaptor.set_forwarding(1, ForwardedRule.CURRENT)
            seen["1 current"] = addresses()
            qtmodeltester.check(model)
            adaptor.set_forwarding(1, ForwardedRule.LEGACY)
            seen["1 legacy"] = addresses()
            adaptor.set_forwarding(2, ForwardedRule.CURRENT)
            seen["2 current"] = addresses()
            # New connections get the same rule from the server itself.
            late = await _raw(adaptor.url, {"X-Forwarded-For": "9.9.9.9, 10.0.0.1"})
            (record,) = [r for r in await _rows(model, 3)][2:]
            seen["server says"] = [
                record.connection.client_address,
                record.client_address,
            ]
            for ws in (honest, spoof, late):
                await ws.close()
            await adaptor.close()
            return seen

    seen = run(qloop, scenario())
    assert seen["0"] == ["127.0.0.1", "127.0.0.1"]
    assert seen["1 current"] == ["198.51.100.9", None]
    assert seen["1 legacy"] == ["198.51.100.9", "198.51.100.9"]
    assert seen["2 current"] == [None, "6.6.6.6"]
    assert seen["server says"] == ["9.9.9.9", "9.9.9.9"]


def test_taken_port_is_reported_in_words(qloop: asyncio.AbstractEventLoop) -> None:
    """Hosting on a port another server holds fails with a sentence that says the port is taken."""

    async def scenario() -> tuple[bool, list[str], str]:
        async with demo_server() as other:
            adaptor = ServerAdaptor()
            failures: list[str] = []
            adaptor.hosting_failed.connect(failures.append)
            started = await adaptor.start("127.0.0.1", other.port, demo=True)
            url = adaptor.url
            await adaptor.close()
            return started, failures, url

    started, failures, url = run(qloop, scenario())
    assert started is False
    assert url == ""
    (why,) = failures
    assert "taken" in why


def test_hosting_an_empty_server_and_stopping_it(
    qloop: asyncio.AbstractEventLoop,
) -> None:
    """An empty server accepts clients but knows no demo method; Stop closes its connections and frees the port."""

    async def scenario() -> tuple[str, str, list[str], int, str]:
        adaptor = ServerAdaptor()
        model = _bind(adaptor)
        urls: list[str] = []
        adaptor.hosting_changed.connect(urls.append)
        assert await adaptor.start("127.0.0.1", 0, demo=False)
        async with _client(adaptor.url) as client:
            await _rows(model, 1)
            try:
                await client.call("echo", 1)
                error = ""
            except MethodError as exc:
                error = str(exc.error)
            port = adaptor.port
            await adaptor.stop()
            rows = model.rowCount()
        # The port is free again: the same port can be hosted at once.
        again = await adaptor.start("127.0.0.1", port, demo=True)
        await adaptor.close()
        return error, urls[0], urls[1:], rows, str(again)

    error, first, later, rows, again = run(qloop, scenario())
    assert error == "404"
    assert first.startswith("ws://127.0.0.1:")
    assert later[0] == ""
    assert rows == 0
    assert again == "True"


def test_forwarded_count_is_read_from_the_environment(
    qloop: asyncio.AbstractEventLoop, monkeypatch: Any
) -> None:
    """HTTP_FORWARDED_COUNT from the environment is the starting count, and a server hosted from the panel uses it."""
    monkeypatch.setenv("HTTP_FORWARDED_COUNT", "2")

    async def scenario() -> tuple[int, str | None]:
        adaptor = ServerAdaptor()
        model = _bind(adaptor)
        assert await adaptor.start("127.0.0.1", 0, demo=True)
        ws = await _raw(adaptor.url, {"X-Forwarded-For": "192.0.2.1, 10.0.0.9"})
        (record,) = await _rows(model, 1)
        await ws.close()
        await adaptor.close()
        return adaptor.forwarded_count, record.connection.client_address

    count, address = run(qloop, scenario())
    assert count == 2
    assert address == "192.0.2.1"  # what the hosted server itself computed
