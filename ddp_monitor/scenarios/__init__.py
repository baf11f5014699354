"""Scenarios: a profile's steps run in order over one client connection (issue 16).

The sequence and its outcomes (``sequence``, pure), what a call's answer must
be (``expectations``, pure) and the asyncio runner over a ``DDPClient``
(``runner``). No Qt: the window's adaptor (``qt.scenario_runs``) and the
``run-scenario`` command both drive ``runner``.
"""

from __future__ import annotations
