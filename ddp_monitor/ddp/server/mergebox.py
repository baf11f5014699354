"""The per-session merge box: what each client sees when several subs publish.

Owns Meteor's ``SERVER_MERGE`` strategy (``packages/ddp-server/livedata_server.js``
``SessionCollectionView`` / ``SessionDocumentView``); imports ``ddp.ejson``.

Each document keeps, per field, a precedence list of ``[sub, value]``; the
client sees the first entry's value. Rules copied from Meteor:

- the first sub to add a document sends ``added`` with every field; a later sub
  adding it sends ``changed`` with only the fields new to the view (its values
  for fields the view already has join the list and are not sent);
- a ``changed`` from a sub reaches the client only where that sub comes first
  and the value differs (``EJSON.equals``); clearing moves to the next sub's
  value, or to ``cleared`` when nobody holds the field;
- ``removed`` goes out only when the last sub drops the document; before that
  the leaving sub's fields are cleared or replaced;
- empty changes are never sent; ``_id`` inside fields is ignored;
- a collection whose last document goes is dropped from the view (its place
  in the order matters to ``send_diff_from``, as in ``Session.removed``);
- ``send_diff_from(previous)`` is ``Session._diffCollectionViews``: after a
  ``setUserId`` rerun the client gets only what differs between two views.

Hot path: most documents are held by one sub, so a document starts in a
compact form (``precedence`` None, ``fields`` is the view) and only grows the
per-field lists when a second sub touches it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ddp_monitor.ddp.ejson import clone, equals, to_json_value

__all__ = ["MergeBox"]

# Values that are their own clone and their own JSON form (floats must also be
# finite: EJSON writes NaN and infinities as $InfNaN).
_SCALARS = frozenset({str, int, bool, type(None)})

_Precedence = dict[str, list[list[Any]]]  # field -> [[sub, value], ...]

# Fan-out memo: a live query hands one ``fields`` object to every subscriber,
# so the same document reaches many sessions' merge boxes in a row. The last
# first ``added`` is kept (input object, collection, id, private copy, frame)
# and reused while the input is the same object with the same content.
_AddedMemo = tuple[Mapping[str, Any], str, str, dict[str, Any], str]
_last_added: _AddedMemo | None = None


class _Document:
    __slots__ = ("fields", "precedence", "subs")

    def __init__(self, sub: str, fields: dict[str, Any]) -> None:
        self.subs = [sub]  # Meteor's existsIn, in arrival order
        self.fields = fields  # the client's view of the document
        self.precedence: _Precedence | None = None

    def expand(self) -> _Precedence:
        """Leave the one-sub form: every field so far belongs to ``subs[0]``."""
        if self.precedence is None:
            owner = self.subs[0]
            self.precedence = {k: [[owner, v]] for k, v in self.fields.items()}
        return self.precedence


class MergeBox:
    """One session's view of every published document.

    Args:
        send: called with each frame (JSON text) to send, in order.
        dumps: JSON text of a JSON-compatible value (compact, non-ASCII kept).
    """

    def __init__(self, send: Callable[[str], None], dumps: Callable[[Any], str]):
        self._send = send
        self._dumps = dumps
        self._views: dict[str, dict[str, _Document]] = {}

    def documents(self, collection: str) -> dict[str, dict[str, Any]]:
        """The client's current view of one collection (id -> fields); a copy."""
        view = self._views.get(collection, {})
        return {id_: dict(doc.fields) for id_, doc in view.items()}

    def added(
        self, sub: str, collection: str, id_: str, fields: Mapping[str, Any]
    ) -> None:
        view = self._views.get(collection)
        if view is None:
            view = self._views[collection] = {}
        doc = view.get(id_)
        if doc is None:
            self._first_added(sub, view, collection, id_, fields)
            return
        if sub not in doc.subs:  # existsIn is a Set
            doc.subs.append(sub)
        precedence = doc.expand()
        collected: dict[str, Any] = {}
        for key, value in fields.items():
            if key == "_id":
                continue
            value = clone(value)
            entries = precedence.get(key)
            if entries is None:
                precedence[key] = [[sub, value]]
                doc.fields[key] = value
                collected[key] = value
            else:  # isAdd: the sub joins the list without a lookup (Meteor)
                entries.append([sub, value])
        self._send_changed(collection, id_, collected, [])

    def changed(
        self,
        sub: str,
        collection: str,
        id_: str,
        fields: Mapping[str, Any],
        cleared: Iterable[str] = (),
    ) -> None:
        """Raises KeyError for a document the session does not have (as Meteor throws)."""
        doc = self._views.get(collection, {}).get(id_)
        if doc is None:
            raise KeyError(f"Could not find element with id {id_} to change")
        changed: dict[str, Any] = {}
        gone: list[str] = []
        if doc.precedence is None and doc.subs == [sub]:
            self._change_single(doc, fields, cleared, changed, gone)
        else:
            precedence = doc.expand()
            for key, value in fields.items():
                if key != "_id":
                    self._change_field(doc, precedence, sub, key, value, changed)
            for key in cleared:
                self._clear_field(doc, precedence, sub, key, changed, gone)
        self._send_changed(collection, id_, changed, gone)

    def removed(self, sub: str, collection: str, id_: str) -> None:
        """Raises KeyError for a document the session does not have."""
        view = self._views.get(collection, {})
        doc = view.get(id_)
        if doc is None:
            raise KeyError(f"Removed nonexistent document {id_}")
        if sub in doc.subs:
            doc.subs.remove(sub)
        if not doc.subs:
            del view[id_]
            if not view:
                del self._views[collection]
            self._send_removed(collection, id_)
            return
        precedence = doc.expand()
        changed: dict[str, Any] = {}
        gone: list[str] = []
        for key in list(precedence):
            self._clear_field(doc, precedence, sub, key, changed, gone)
        self._send_changed(collection, id_, changed, gone)

    def clear(self) -> None:
        """Forget everything without telling the client (session close, §7.6)."""
        self._views.clear()

    def send_diff_from(self, previous: MergeBox) -> None:
        """Send what turns ``previous``'s view into this one (``_diffCollectionViews``).

        Order as Meteor's ``DiffSequence.diffMaps``: the old collections in
        their order (per document: ``removed`` or ``changed``, then the new
        documents' ``added``), then collections only this view has.
        """
        for collection, before in previous._views.items():
            after = self._views.get(collection)
            if after is None:
                for id_ in before:
                    self._send_removed(collection, id_)
                continue
            for id_, old in before.items():
                new = after.get(id_)
                if new is None:
                    self._send_removed(collection, id_)
                else:
                    self._send_document_diff(collection, id_, old.fields, new.fields)
            for id_, new in after.items():
                if id_ not in before:
                    self._send(self._added_text(collection, id_, new.fields))
        for collection, after in self._views.items():
            if collection not in previous._views:
                for id_, new in after.items():
                    self._send(self._added_text(collection, id_, new.fields))

    def _send_removed(self, collection: str, id_: str) -> None:
        self._send(self._dumps({"msg": "removed", "collection": collection, "id": id_}))

    def _send_document_diff(
        self, collection: str, id_: str, old: dict[str, Any], new: dict[str, Any]
    ) -> None:
        # SessionCollectionView.diffDocument (DiffSequence.diffObjects).
        changed: dict[str, Any] = {}
        gone: list[str] = []
        for key, value in old.items():
            if key not in new:
                gone.append(key)
            elif not equals(value, new[key]):
                changed[key] = new[key]
        for key, value in new.items():
            if key not in old:
                changed[key] = value
        self._send_changed(collection, id_, changed, gone)

    @staticmethod
    def _change_single(
        doc: _Document,
        fields: Mapping[str, Any],
        cleared: Iterable[str],
        changed: dict[str, Any],
        gone: list[str],
    ) -> None:
        view = doc.fields
        for key, value in fields.items():
            if key != "_id" and (key not in view or not equals(view[key], value)):
                view[key] = changed[key] = clone(value)
        for key in cleared:
            if key != "_id" and key in view:
                del view[key]
                gone.append(key)

    @staticmethod
    def _change_field(
        doc: _Document,
        precedence: _Precedence,
        sub: str,
        key: str,
        value: Any,
        changed: dict[str, Any],
    ) -> None:
        # SessionDocumentView.changeField with isAdd false.
        value = clone(value)
        entries = precedence.get(key)
        if entries is None:
            precedence[key] = [[sub, value]]
            doc.fields[key] = changed[key] = value
            return
        for entry in entries:
            if entry[0] == sub:
                if entry is entries[0] and not equals(value, entry[1]):
                    doc.fields[key] = changed[key] = value
                entry[1] = value
                return
        entries.append([sub, value])

    @staticmethod
    def _clear_field(
        doc: _Document,
        precedence: _Precedence,
        sub: str,
        key: str,
        changed: dict[str, Any],
        gone: list[str],
    ) -> None:
        # SessionDocumentView.clearField: clearing an unknown field is fine.
        entries = precedence.get(key)
        if entries is None:
            return
        was_first = False
        for i, entry in enumerate(entries):
            if entry[0] == sub:
                was_first = i == 0
                removed_value = entry[1]
                del entries[i]
                break
        if not entries:
            del precedence[key]
            del doc.fields[key]
            gone.append(key)
        elif was_first and not equals(removed_value, entries[0][1]):
            doc.fields[key] = changed[key] = entries[0][1]

    def _first_added(
        self,
        sub: str,
        view: dict[str, _Document],
        collection: str,
        id_: str,
        fields: Mapping[str, Any],
    ) -> None:
        """SessionCollectionView.added for a document new to the view."""
        global _last_added
        memo = _last_added
        if (
            memo is not None
            and memo[0] is fields
            and memo[1] == collection
            and memo[2] == id_
            and memo[3] == fields
        ):
            view[id_] = _Document(sub, dict(memo[3]))
            self._send(memo[4])
            return
        # One dict copy, and no EJSON walk when every value is a plain scalar.
        own: dict[str, Any] = {}
        plain = True
        for key, value in fields.items():
            kind = type(value)
            if kind in _SCALARS or (kind is float and value - value == 0):
                own[key] = value
            else:
                own[key] = clone(value)
                plain = False
        own.pop("_id", None)
        view[id_] = _Document(sub, own)
        text = self._added_text(collection, id_, own, plain)
        # Values are replaced, never changed in place, so a shallow copy is
        # private enough to compare with and to hand out again.
        _last_added = (fields, collection, id_, dict(own), text)
        self._send(text)

    def _added_text(
        self, collection: str, id_: str, fields: dict[str, Any], plain: bool = False
    ) -> str:
        wire: dict[str, Any] = {"msg": "added", "collection": collection, "id": id_}
        if fields:  # stringifyDDP drops an empty `fields`
            wire["fields"] = fields if plain else to_json_value(fields)
        return self._dumps(wire)

    def _send_changed(
        self, collection: str, id_: str, fields: dict[str, Any], cleared: list[str]
    ) -> None:
        if not fields and not cleared:
            return  # Session.sendChanged suppresses empty changes
        wire: dict[str, Any] = {"msg": "changed", "collection": collection, "id": id_}
        if fields:
            wire["fields"] = to_json_value(fields)
        if cleared:
            wire["cleared"] = cleared
        self._send(self._dumps(wire))
