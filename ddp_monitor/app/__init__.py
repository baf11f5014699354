"""The desktop app: the window's composition root (``desktop``) and its open connections (``workspace``).

Imports everything below it (``ui``, ``qt``, ``transport``, ``profiles``,
``demo``); only ``cli`` imports it, and only to open the window.
"""
