"""Recordings: everything a connection did, as a JSON Lines file (docs/recording-format.md).

The format (``format``), what is never written (``masking``) and the recorder
that keeps a live connection's items and writes them (``recorder``). Pure
Python over the core's values and the wiretap's frames: no Qt, no sockets.
"""

from __future__ import annotations
