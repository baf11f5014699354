"""The DDP core over asyncio and websockets; knows nothing of Qt.

Two wings, as in ``ddp``: ``transport.client`` (``DDPClient``, Meteor's
``DDP.connect``; its login helpers) and ``transport.server`` (``DDPServer``,
Meteor's ``ddp-server``). They share the ``wiretap`` (frames as they crossed
the socket), ``listeners`` and the ``deadline`` timer, and never import each
other (an import-linter contract).
"""
