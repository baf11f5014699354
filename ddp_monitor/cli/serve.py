"""``ddp-monitor serve``: run a DDP server headless (the demo app with ``--demo``).

Owns the sub-command's options and its run loop; imports ``demo``,
``hosting.agent`` and ``transport.server`` only when it runs, so ``ddp-monitor --help`` stays light
(and Qt is never loaded here).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

__all__ = ["add_arguments", "run"]


def add_arguments(subparsers: Any) -> None:
    """Register ``serve`` on the ``ddp-monitor`` command line."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="run a DDP server without the window",
        description="Run a Meteor-compatible DDP server. Ctrl-C stops it.",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="serve the demo application (methods echo, add, slow, fail, ...)",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: loopback)"
    )
    parser.add_argument(
        "--port", type=int, default=3000, help="port (default 3000; 0 picks one)"
    )
    parser.add_argument(
        "--forwarded-count",
        type=int,
        default=None,
        metavar="N",
        help="proxies in front (default: $HTTP_FORWARDED_COUNT, as Meteor)",
    )
    parser.add_argument(
        "--compression",
        action="store_true",
        help="offer permessage-deflate (off by default)",
    )
    parser.add_argument(
        "--grace-period",
        type=float,
        default=15.0,
        metavar="SECONDS",
        help="how long a dropped session waits to be resumed (Meteor's "
        "disconnectGracePeriod, 15 s; 0 turns session resumption off)",
    )
    parser.add_argument(
        "--agent-secret",
        default=None,
        metavar="SECRET",
        help="serve ddp-monitor's agent protocol (the window's 'Attach to an "
        "app') to whoever gives SECRET (default: $DDP_MONITOR_AGENT_SECRET; "
        "neither: no agent)",
    )


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; 0 on Ctrl-C, 1 if the port cannot be used."""
    if not args.demo:
        print(
            "ddp-monitor serve: nothing to serve; pass --demo for the demo app",
            file=sys.stderr,
        )
        return 2
    try:
        asyncio.run(_serve(args))
    except OSError as exc:
        print(
            f"ddp-monitor serve: cannot listen: {exc.strerror or exc}", file=sys.stderr
        )
        return 1
    except KeyboardInterrupt:
        pass
    return 0


async def _serve(args: argparse.Namespace) -> None:
    from ddp_monitor.demo.server import create_demo_server

    server = create_demo_server(
        host=args.host,
        port=args.port,
        forwarded_count=args.forwarded_count,
        compression=args.compression,
        disconnect_grace_period=args.grace_period,
    )
    from ddp_monitor.cli.signals import stop_on_signals
    from ddp_monitor.hosting.agent import install_agent, secret_from_environment

    secret = args.agent_secret or secret_from_environment()
    if secret:
        install_agent(server, secret)
    stop = stop_on_signals()
    async with server:
        print(f"DDP demo server listening on {server.url}", flush=True)
        if secret:
            print("ddp-monitor agent: on (the secret given)", flush=True)
        await stop.wait()
