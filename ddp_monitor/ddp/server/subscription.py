"""The server's side of one subscription: ``ServerSubscription``.

Owns Meteor's ``Subscription`` bookkeeping (``packages/ddp-server/livedata_server.js``):
which documents this sub published, ``ready`` once, ``stop``/``error`` ending
in ``nosub``, stop callbacks run once, ``_recreate`` for a ``setUserId`` rerun.
Universal (unnamed, ``Meteor.publish(null, ...)``) subs have no id, a
``'U' + Random.id()`` merge-box handle and never send ``ready``. Imports
``ddp.ejson`` (``UNDEFINED``), ``ddp.ids``, ``ddp.mongo_id`` and
``ddp.server.mergebox``; the session it belongs to is the small
``SubscriptionOwner`` protocol below, which ``ServerSession`` meets.

Every call after deactivation is ignored, as Meteor's ``_isDeactivated`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from ddp_monitor.ddp.ejson import UNDEFINED
from ddp_monitor.ddp.ids import random_id
from ddp_monitor.ddp.mongo_id import id_stringify
from ddp_monitor.ddp.server.mergebox import MergeBox

__all__ = ["ServerSubscription", "SubscriptionOwner"]


class SubscriptionOwner(Protocol):
    """What a subscription needs of its session (``ServerSession``)."""

    @property
    def closed(self) -> bool: ...

    @property
    def merge_box(self) -> MergeBox: ...

    def send_ready(self, sub_id: str) -> None: ...

    def stop_subscription(
        self, sub_id: Any, error: dict[str, Any] | None = None
    ) -> None: ...


class ServerSubscription:
    """A named or universal subscription on one session.

    Attributes:
        id: the client's sub id; None for a universal sub.
        name: the publication's name; None for a universal sub.
        params: the ``sub`` message's params.
        handler: what the driver runs (opaque here); None means "look the
            publication up by name".
        is_ready: whether ``ready`` was sent (or held back during a rerun).
    """

    def __init__(
        self,
        session: SubscriptionOwner,
        id_: str | None,
        name: str | None,
        params: list[Any],
        handler: object | None = None,
    ) -> None:
        self.id = id_
        self.name = name
        self.params = params
        self.handler = handler
        self.is_ready = False
        self.deactivated = False
        self._session = session
        # Meteor's subscriptionHandle: 'N' + id for named subs, 'U' + Random.id()
        # for universal ones (livedata_server.js Subscription ctor).
        self._handle = "U" + random_id() if id_ is None else "N" + id_
        # Meteor's Set keeps insertion order, which orders `removed` on stop.
        self._documents: dict[str, dict[str, None]] = {}
        self._stop_callbacks: list[Callable[[], None]] = []

    @property
    def active(self) -> bool:
        return not self.deactivated and not self._session.closed

    def added(self, collection: str, id_: Any, fields: Mapping[str, Any]) -> None:
        if not self.active:
            return
        doc_id = id_stringify(id_)
        ids = self._documents.get(collection)
        if ids is None:
            ids = self._documents[collection] = {}
        ids[doc_id] = None
        self._session.merge_box.added(self._handle, collection, doc_id, fields)

    def changed(
        self,
        collection: str,
        id_: Any,
        fields: Mapping[str, Any],
        cleared: Iterable[str] = (),
    ) -> None:
        """``cleared`` names fields to remove (JavaScript's ``undefined`` values)."""
        if not self.active:
            return
        self._session.merge_box.changed(
            self._handle, collection, id_stringify(id_), fields, cleared
        )

    def removed(self, collection: str, id_: Any) -> None:
        if self.active:
            self._removed(collection, id_stringify(id_))

    def _removed(self, collection: str, doc_id: str) -> None:
        self._documents.get(collection, {}).pop(doc_id, None)
        self._session.merge_box.removed(self._handle, collection, doc_id)

    @property
    def universal(self) -> bool:
        return self.id is None

    def ready(self) -> None:
        # Ignored for universal subs ("unnecessary but ignored", Subscription.ready).
        if not self.active or self.is_ready or self.id is None:
            return
        self.is_ready = True
        self._session.send_ready(self.id)

    def stop(self) -> None:
        """End the subscription; the client gets ``nosub`` without an error.

        On a universal sub Meteor's ``_stopSubscription(undefined)`` only sends
        a bare ``nosub``: the sub stays active and keeps its documents.
        """
        if self.active:
            self._session.stop_subscription(self._wire_id)

    def error(self, error: dict[str, Any]) -> None:
        """End the subscription with ``nosub`` carrying ``error`` (wire shape)."""
        if self.active:
            self._session.stop_subscription(self._wire_id, error)

    @property
    def _wire_id(self) -> Any:
        return UNDEFINED if self.id is None else self.id

    def recreate(self) -> ServerSubscription:
        """``_recreate``: same id, name, params and handler; fresh state (and U handle)."""
        return ServerSubscription(
            self._session, self.id, self.name, self.params, self.handler
        )

    def on_stop(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` when the sub stops; at once if it already has."""
        if not self.active:
            callback()
        else:
            self._stop_callbacks.append(callback)

    def remove_all_documents(self) -> None:
        for collection, ids in list(self._documents.items()):
            for doc_id in list(ids):
                self._removed(collection, doc_id)

    def deactivate(self) -> None:
        if self.deactivated:
            return
        self.deactivated = True
        callbacks, self._stop_callbacks = self._stop_callbacks, []
        for callback in callbacks:
            callback()

    def __repr__(self) -> str:
        return f"ServerSubscription({self.id!r}, {self.name!r})"
