"""Document ids on the wire: Meteor's ``MongoID.idStringify`` / ``idParse``.

Owns the id mapping of ``packages/mongo-id/id.js``; imports ``ddp.ejson``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ddp_monitor.ddp.ejson import ObjectID, js_number

__all__ = ["id_parse", "id_stringify"]

_OBJECT_ID_HEX = re.compile(r"[0-9a-f]{24}")


def id_stringify(id_: Any) -> str:
    """A document id as ``added``/``changed``/``removed`` carry it."""
    if type(id_) is str:
        if id_ == "" or (id_[0] not in "-~{" and len(id_) != 24):
            return id_  # the common case, without the regex
        if id_[0] in "-~{" or _OBJECT_ID_HEX.fullmatch(id_):
            return "-" + id_  # escape strings that would parse as something else
        return id_
    if isinstance(id_, ObjectID):
        return id_.hex
    if isinstance(id_, float) and not isinstance(id_, bool):
        return "~" + js_number(id_)
    if id_ is None or isinstance(id_, bool | int):
        return "~" + json.dumps(id_)
    raise TypeError(f"Meteor does not support id type {type(id_).__name__}")


def id_parse(text: str) -> Any:
    """The reverse of ``id_stringify``."""
    if text == "":
        return text
    if text == "-":
        return None  # undefined in JavaScript
    if text[0] == "-":
        return text[1:]
    if text[0] == "~":
        return json.loads(text[1:])
    if _OBJECT_ID_HEX.fullmatch(text):
        return ObjectID(text)
    return text
