"""``ddp-monitor proxy UPSTREAM``: the proxy headless, with its control endpoint.

Owns the sub-command's options and its run loop; imports ``proxy`` (and
through it the transport) only when it runs, so ``--help`` stays light and
Qt is never loaded. Prints one JSON line when listening (the proxy's URL, the
control endpoint's, the upstream), so scripts and tests can read where to go.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_arguments", "run"]


def add_arguments(subparsers: Any) -> None:
    """Register ``proxy`` on the ``ddp-monitor`` command line."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "proxy",
        help="proxy a Meteor app's DDP clients, with faults, controllable over DDP",
        description=(
            "Listen for a Meteor app's DDP clients and relay each to the app "
            "(UPSTREAM, e.g. http://localhost:3000) on its own connection; "
            "non-DDP HTTP requests are passed through to the app. Faults are "
            "set over DDP on the control port. Ctrl-C stops it."
        ),
    )
    parser.add_argument(
        "upstream",
        metavar="UPSTREAM",
        help="the app: http(s)://, ws(s):// or host:port",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: loopback)"
    )
    parser.add_argument(
        "--port", type=int, default=3100, help="port (default 3100; 0 picks one)"
    )
    parser.add_argument(
        "--control-port",
        type=int,
        default=None,
        metavar="N",
        help="serve the DDP control endpoint on port N (0 picks one; default: none)",
    )
    parser.add_argument(
        "--record",
        metavar="DIR",
        type=Path,
        help="write each client connection's recording into DIR as it happens "
        "(one .ddprec file per connection; open one with `ddp-monitor FILE`)",
    )


def run(args: argparse.Namespace) -> int:
    """Proxy until interrupted; 0 on Ctrl-C, 1 if a port cannot be used, 2 for a bad URL."""
    from ddp_monitor.transport.client.urls import InvalidURL, to_websocket_url

    try:
        to_websocket_url(args.upstream)
    except InvalidURL as exc:
        print(f"ddp-monitor proxy: {exc}", file=sys.stderr)
        return 2
    if args.record is not None:
        try:
            args.record.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            print(
                f"ddp-monitor proxy: --record {args.record}: {exc.strerror}",
                file=sys.stderr,
            )
            return 2
    try:
        asyncio.run(_proxy(args))
    except OSError as exc:
        print(
            f"ddp-monitor proxy: cannot listen: {exc.strerror or exc}", file=sys.stderr
        )
        return 1
    except KeyboardInterrupt:
        pass
    return 0


async def _proxy(args: argparse.Namespace) -> None:
    from ddp_monitor.cli.signals import stop_on_signals
    from ddp_monitor.proxy import DDPProxy
    from ddp_monitor.proxy.control import ControlEndpoint

    stop = stop_on_signals()
    proxy = DDPProxy(
        args.upstream, host=args.host, port=args.port, record_to=args.record
    )
    async with proxy:
        control = None
        if args.control_port is not None:
            control = ControlEndpoint(proxy, host=args.host, port=args.control_port)
            await control.start()
        try:
            line = {"proxy": proxy.url, "upstream": proxy.upstream_http}
            if control is not None:
                line["control"] = control.url
            print(json.dumps(line), flush=True)
            await stop.wait()
        finally:
            if control is not None:
                await control.stop()
