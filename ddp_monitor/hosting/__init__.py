"""The hosted server, in a process of its own: the window binds the port, the child serves it.

``views`` are the values crossing the pipe, ``launch`` starts and ends the
child from the window's side, ``process`` is the child (a ``DDPServer`` on
its own asyncio loop). Imports ``transport`` and ``demo``; never Qt, so the
child stays light and ``qt.server_adaptor`` turns the reports into signals.
Importing this package loads nothing: the window imports ``views`` and
``launch`` only.
"""
