"""ddp-monitor: watch and steer live DDP connections between Meteor clients and servers."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
