"""The embedded demo application: methods and publications on ``DDPServer``.

Owns the demo's behaviour; imports ``transport.server``, ``ddp`` and its
siblings ``accounts`` and ``javascript``. ``names`` lists what it registers, for
the window's completion (a test keeps the two equal).
The first part copies ``tests/peers/meteor/app.js`` frame for frame
(checked against the real Meteor 1.9.3 server), JavaScript's coercions
included (``add('a', 2)`` is ``"a2"``, ``items('2')`` publishes 2 documents);
the second adds ``whoami``, a task list and a presence list.

| name                     | behaviour                                          |
|--------------------------|----------------------------------------------------|
| ``echo(x)``              | returns x                                          |
| ``describe(x)``          | ``{type, ejson}``: how the server decoded x        |
| ``add(a, b)``            | a + b, with JavaScript's ``+``                     |
| ``slow(ms)``             | answers after ms; blocks the connection's queue    |
| ``fail()``               | Meteor.Error('boom', 'Boom: requested failure', {scenario: 'fail'}) |
| ``whoami()``             | ``{id, clientAddress, httpHeaders}``               |
| ``tasks.add(title, private?)`` | new task id; a private task needs a login |
| ``tasks.toggle(id)``, ``tasks.remove(id)`` | on a task the caller can see |
| pub ``items(n)``         | n docs ``{_id: 'i<k>', k, text: 'item k'}``, ready |
| pub ``ticker(ms)``       | doc ``tick`` ``{n, at}`` changed every ms          |
| pub ``tasks``            | public tasks + the logged-in user's private ones   |
| pub ``presence``         | one document per open connection, live             |
| ``login``, ``logout``    | Meteor's accounts methods (``demo.accounts``)      |
| universal pub            | the logged-in user's document in ``users``         |

``tasks`` and the universal ``users`` publication depend on the user, so a
login or logout re-runs them and the client sees only the difference (the
private tasks and the user document come and go; public tasks stay put).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from ddp_monitor.ddp.ejson import UNDEFINED, stringify
from ddp_monitor.ddp.errors import MethodError
from ddp_monitor.ddp.javascript import to_number, truthy_or
from ddp_monitor.ddp.server.collection import Collection
from ddp_monitor.demo.accounts import install_accounts
from ddp_monitor.demo.javascript import js_add, js_typeof
from ddp_monitor.transport.server import (
    ConnectionHandle,
    DDPServer,
    MethodInvocation,
    Subscription,
)

__all__ = ["create_demo_server", "install_demo"]


def create_demo_server(**kwargs: Any) -> DDPServer:
    """A ``DDPServer`` (same keyword arguments) running the demo application."""
    server = DDPServer(**kwargs)
    install_demo(server)
    return server


def install_demo(server: DDPServer) -> None:
    """Register the demo's methods and publications on ``server``."""
    tasks = Collection("tasks")
    presence = Collection("presence")

    def on_connection(conn: ConnectionHandle) -> None:
        presence.insert(
            {
                "_id": conn.id,
                "clientAddress": conn.client_address,
                "connectedAt": datetime.fromtimestamp(conn.connected_at, UTC),
            }
        )
        conn.on_close(lambda: presence.remove(conn.id))

    server.on_connection(on_connection)
    methods: dict[str, Callable[..., Any]] = {
        "echo": lambda this, x=UNDEFINED, *_: x,
        "describe": _describe,
        "add": lambda this, a=UNDEFINED, b=UNDEFINED, *_: js_add(a, b),
        "slow": _slow,
        "fail": _fail,
        "whoami": _whoami,
        "tasks.add": lambda this, title=UNDEFINED, private=False, *_: _add_task(
            tasks, title, private, this.user_id
        ),
        "tasks.toggle": lambda this, id_=UNDEFINED, *_: _toggle_task(
            tasks, id_, this.user_id
        ),
        "tasks.remove": lambda this, id_=UNDEFINED, *_: _remove_task(
            tasks, id_, this.user_id
        ),
    }
    publications: dict[str, Callable[..., Any]] = {
        "items": _items,
        "ticker": _ticker,
        "tasks": lambda sub, *_: tasks.find(_visible_to(sub.user_id)),
        "presence": lambda sub, *_: presence.find(),
    }
    server.methods(methods)
    for name, publish in publications.items():
        server.publish(name, publish)
    install_accounts(server)


# -- the scenario of peers/meteor/app.js ------------------------------------------


def _describe(this: MethodInvocation, x: Any = UNDEFINED, *_: Any) -> dict[str, Any]:
    if x is UNDEFINED:
        return {"type": "undefined"}  # EJSON.stringify(undefined) is undefined
    return {"type": js_typeof(x), "ejson": stringify(x, canonical=True)}


async def _slow(this: MethodInvocation, ms: Any = UNDEFINED, *_: Any) -> Any:
    await asyncio.sleep(_node_delay(to_number(ms)))  # Meteor._sleepForMs
    return ms


def _node_delay(ms: float) -> float:
    """Seconds Node waits for a timer of ``ms``: outside 1..2**31-1 ms, 1 ms."""
    return ms / 1000 if 1 <= ms <= 2**31 - 1 else 0.001


def _fail(this: MethodInvocation, *_: Any) -> None:
    raise MethodError("boom", "Boom: requested failure", {"scenario": "fail"})


def _items(sub: Subscription, n: Any = UNDEFINED, *_: Any) -> None:
    count = truthy_or(to_number(n), 0)  # Number(n) || 0
    k = 0
    while k < count:  # `k < n` also runs for a fractional n
        sub.added("items", f"i{k}", {"k": k, "text": f"item {k}"})
        k += 1
    sub.ready()


def _ticker(sub: Subscription, interval_ms: Any = UNDEFINED, *_: Any) -> None:
    interval = _node_delay(truthy_or(to_number(interval_ms), 1000))
    n = 0
    sub.added("ticker", "tick", {"n": n, "at": _now()})
    sub.ready()
    loop = asyncio.get_running_loop()
    timer: list[asyncio.TimerHandle] = []

    def tick() -> None:
        nonlocal n
        n += 1
        sub.changed("ticker", "tick", {"n": n, "at": _now()})
        timer[0] = loop.call_later(interval, tick)

    timer.append(loop.call_later(interval, tick))
    sub.on_stop(lambda: timer[0].cancel())


def _now() -> datetime:
    """The time as a JavaScript Date holds it: whole milliseconds."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


# -- the additions ------------------------------------------------------------------


def _whoami(this: MethodInvocation, *_: Any) -> dict[str, Any]:
    conn = this.connection
    return {
        "id": conn.id,
        "clientAddress": conn.client_address,
        "httpHeaders": conn.http_headers,
    }


def _visible_to(user_id: str | None) -> Callable[[Mapping[str, Any]], bool]:
    """Public tasks, and the private ones of ``user_id``."""
    return lambda doc: not doc.get("private") or doc.get("owner") == user_id


def _add_task(tasks: Collection, title: Any, private: Any, user_id: str | None) -> str:
    if not isinstance(title, str) or not title.strip():
        raise MethodError(400, "Task title must be a non-empty string")
    doc: dict[str, Any] = {"title": title, "done": False, "createdAt": _now()}
    if private:
        if user_id is None:
            raise MethodError("not-authorized", "Log in to add a private task")
        doc.update(private=True, owner=user_id)
    return tasks.insert(doc)


def _task(tasks: Collection, id_: Any, user_id: str | None) -> dict[str, Any]:
    doc = tasks.find_one(id_) if isinstance(id_, str) else None
    if doc is None or not _visible_to(user_id)(doc):
        raise MethodError(404, f"Task '{id_}' not found")
    return doc


def _toggle_task(tasks: Collection, id_: Any, user_id: str | None) -> bool:
    done = not _task(tasks, id_, user_id)["done"]
    tasks.update(id_, {"done": done})
    return done


def _remove_task(tasks: Collection, id_: Any, user_id: str | None) -> Any:
    _task(tasks, id_, user_id)
    tasks.remove(id_)
    return UNDEFINED  # the result is left off the wire
