"""What a method or publication handler receives, and how handlers are run.

Owns ``MethodInvocation`` (Meteor's ``this`` in a method) and ``Subscription``
(``this`` in a publish function), and the rules for running either as a plain
function or a coroutine; imports ``ddp`` and its siblings ``ports`` (the
driver it runs on, as a protocol), ``rerun`` and ``callbacks``. Exceptions
become Meteor.Error shapes as ``livedata_server.js`` ``wrapInternalException``
makes them: a ``MethodError`` passes through; so does any exception marked
client-safe, Meteor's ``isClientSafe`` (an attribute ``is_client_safe = True``
with ``error``, ``reason`` and ``details`` attributes), or one carrying such a
``sanitized_error``; anything else is 500 "Internal server error" and logged.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Protocol

from ddp_monitor.ddp import server as core
from ddp_monitor.ddp.ejson import clone
from ddp_monitor.ddp.errors import MethodError, meteor_error_dict
from ddp_monitor.ddp.server.subscription import ServerSubscription
from ddp_monitor.transport.server.callbacks import call_hook
from ddp_monitor.transport.server.handle import ConnectionHandle
from ddp_monitor.transport.server.ports import (
    MethodHandler,
    PublishHandler,
    SessionDriver,
)
from ddp_monitor.transport.server.rerun import set_user_id

__all__ = [
    "MethodHandler",
    "MethodInvocation",
    "PublishHandler",
    "Publishable",
    "Subscription",
    "error_to_wire",
    "run_method",
    "run_publication",
]

log = logging.getLogger(__name__)

_FLUSH_EVERY = 256


class Publishable(Protocol):
    """What a publish function may return: a live query (``collection.Cursor``), or a list of them."""

    @property
    def collection_name(self) -> str: ...

    def publish_to(self, sub: Subscription) -> None: ...


def error_to_wire(exc: BaseException, where: str) -> dict[str, Any]:
    """``wrapInternalException``: the error object the client gets."""
    safe = _client_safe(exc)
    if safe is not None:
        return safe
    log.error("Exception %s", where, exc_info=exc)
    sanitized = getattr(exc, "sanitized_error", None)
    if sanitized is not None:
        safe = _client_safe(sanitized)
        if safe is not None:
            return safe
        log.error(
            "Exception %s provides a sanitized_error that is not client-safe", where
        )
    return meteor_error_dict(500, "Internal server error")


def _client_safe(exc: object) -> dict[str, Any] | None:
    if isinstance(exc, MethodError):
        return exc.to_wire()
    if getattr(exc, "is_client_safe", False) is True:
        # new Meteor.Error(exception.error, exception.reason, exception.details)
        return meteor_error_dict(
            getattr(exc, "error", None),  # type: ignore[arg-type]  # as Meteor: whatever it holds
            getattr(exc, "reason", None),
            getattr(exc, "details", None),
        )
    return None


class _OnConnection:
    """What a method's and a publication's ``this`` both know: whose call it is."""

    def __init__(self, driver: SessionDriver) -> None:
        self._driver = driver

    @property
    def connection(self) -> ConnectionHandle:
        handle = self._driver.handle
        assert handle is not None
        return handle

    @property
    def user_id(self) -> str | None:
        return self._driver.session.user_id


class MethodInvocation(_OnConnection):
    """``this`` inside a method: the caller's connection, user and ``unblock()``."""

    def __init__(self, driver: SessionDriver, event: core.MethodInvoked) -> None:
        super().__init__(driver)
        self.id = event.id
        self.name = event.method
        self.random_seed = event.random_seed
        self.is_simulation = False
        self._called_unblock = False

    def set_user_id(self, user_id: str | None) -> asyncio.Future[None]:
        """Meteor's ``this.setUserId``: every subscription re-runs, the client gets the diff.

        Call it before ``unblock()``, as Meteor requires. With coroutine
        publications, ``await`` the returned future to have the diff sent
        before the method's result; otherwise it is done already.

        Raises:
            TypeError: ``user_id`` is neither a string nor None.
            RuntimeError: ``unblock()`` was called first (Meteor's error).
        """
        if self._called_unblock:
            # ddp-common MethodInvocation.setUserId
            raise RuntimeError("Can't call setUserId in a method after calling unblock")
        return set_user_id(self._driver, user_id)

    def unblock(self) -> None:
        """Let this connection's next message run before this method finishes."""
        self._called_unblock = True
        self._driver.session.unblock(self.id)
        self._driver.pump()


class Subscription(_OnConnection):
    """``this`` inside a publish function (Meteor's server ``Subscription``).

    ``changed(collection, id, fields, cleared=[...])``: Python has no
    ``undefined``, so fields to remove are named in ``cleared``.
    """

    def __init__(self, driver: SessionDriver, sub: ServerSubscription) -> None:
        super().__init__(driver)
        self._sub = sub
        self.id = sub.id
        self.name = sub.name
        self.params = sub.params

    @property
    def active(self) -> bool:
        return self._sub.active

    def added(self, collection: str, id_: Any, fields: Mapping[str, Any]) -> None:
        self._sub.added(collection, id_, fields)
        driver = self._driver
        # A publication adding thousands of documents in one go: hand them to
        # the socket as we go, so the client reads while we still produce
        # (Meteor writes every frame as it is sent).
        if driver.session.pending_output >= _FLUSH_EVERY:
            driver.pump()
        else:
            driver.request_pump()

    def changed(
        self,
        collection: str,
        id_: Any,
        fields: Mapping[str, Any],
        cleared: Iterable[str] = (),
    ) -> None:
        self._sub.changed(collection, id_, fields, cleared)
        self._driver.request_pump()

    def removed(self, collection: str, id_: Any) -> None:
        self._sub.removed(collection, id_)
        self._driver.request_pump()

    def ready(self) -> None:
        self._sub.ready()
        self._driver.request_pump()

    def error(self, error: BaseException) -> None:
        if self._sub.active:
            self._sub.error(error_to_wire(error, f"from sub {self.name} id {self.id}"))
            self._driver.request_pump()

    def stop(self) -> None:
        self._sub.stop()
        self._driver.request_pump()

    def on_stop(self, fn: Callable[[], Any]) -> None:
        self._sub.on_stop(lambda: call_hook(fn, name="onStop"))

    def unblock(self) -> None:
        """Let the connection's next message run while this handler still works."""
        self._driver.session.handler_finished(self._sub)
        self._driver.request_pump()


def run_method(
    fn: MethodHandler, invocation: MethodInvocation, params: list[Any]
) -> Awaitable[None] | None:
    """Call a method handler; returns an awaitable when it is a coroutine."""
    session, driver = invocation._driver.session, invocation._driver
    where = f"while invoking method '{invocation.name}'"
    try:
        result = fn(invocation, *clone(params))
    except Exception as exc:
        session.method_finished(invocation.id, error=error_to_wire(exc, where))
        driver.pump()
        return None
    if not inspect.isawaitable(result):
        session.method_finished(invocation.id, result)
        driver.pump()
        return None

    async def finish(pending: Awaitable[Any]) -> None:
        try:
            value = await pending
        except Exception as exc:
            session.method_finished(invocation.id, error=error_to_wire(exc, where))
        else:
            session.method_finished(invocation.id, value)
        driver.pump()

    return finish(result)


def run_publication(fn: PublishHandler, sub: Subscription) -> Awaitable[None] | None:
    """Call a publish function; returns an awaitable when it is a coroutine."""
    session, driver = sub._driver.session, sub._driver
    try:
        result = fn(sub, *clone(sub.params))
    except Exception as exc:
        sub.error(exc)
        session.handler_finished(sub._sub)
        driver.pump()
        return None
    if not inspect.isawaitable(result):
        _publish_result(sub, result)
        session.handler_finished(sub._sub)
        driver.pump()
        return None

    async def finish(pending: Awaitable[Any]) -> None:
        try:
            _publish_result(sub, await pending)
        except Exception as exc:
            sub.error(exc)
        session.handler_finished(sub._sub)
        driver.pump()

    return finish(result)


def _publish_result(sub: Subscription, result: Any) -> None:
    # livedata_server.js _publishHandlerResult: a cursor, or a list of cursors
    # on distinct collections, is published and made ready; any other truthy
    # value is a mistake reported as an error.
    if not sub.active:
        return
    if _is_cursor(result):
        result.publish_to(sub)
        sub.ready()
    elif isinstance(result, list | tuple):
        if not all(map(_is_cursor, result)):
            sub.error(TypeError("Publish function returned an array of non-Cursors"))
            return
        names = [cursor.collection_name for cursor in result]
        for name in names:
            if names.count(name) > 1:
                sub.error(
                    ValueError(
                        "Publish function returned multiple cursors for collection "
                        + name
                    )
                )
                return
        for cursor in result:
            cursor.publish_to(sub)
        sub.ready()
    elif result:
        sub.error(
            TypeError(
                "Publish function can only return a Cursor or an array of Cursors"
            )
        )


def _is_cursor(value: Any) -> bool:
    return hasattr(value, "publish_to")
