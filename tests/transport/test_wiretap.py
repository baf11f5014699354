"""The message tap's listener list (the driver's use of it is in test_client_*)."""

from __future__ import annotations

from ddp_monitor.transport.wiretap import Direction, Frame, Listeners, Wiretap


def _raise(exc: BaseException) -> None:
    raise exc


def test_listeners_come_and_go_while_frames_flow() -> None:
    """A listener added later sees only later frames; a removed one sees no more."""
    tap = Wiretap(_raise)
    first: list[Frame] = []
    second: list[Frame] = []
    assert not tap.active
    remove_first = tap.add(first.append)
    tap.frame(Direction.OUT, 1.0, '{"msg":"connect"}')
    remove_second = tap.add(second.append)
    tap.frame(Direction.IN, 2.0, b"\x00binary")
    remove_first()
    remove_first()  # idempotent: does not remove anybody else
    tap.frame(Direction.IN, 3.0, '{"msg":"ping"}')
    assert [(f.direction, f.time, f.data) for f in first] == [
        (Direction.OUT, 1.0, '{"msg":"connect"}'),
        (Direction.IN, 2.0, b"\x00binary"),
    ]
    assert [f.time for f in second] == [2.0, 3.0]
    assert tap.active
    remove_second()
    assert not tap.active


def test_a_listener_may_remove_itself_during_dispatch() -> None:
    """Removing a listener from inside a callback neither skips nor repeats others."""
    seen: list[str] = []
    listeners: Listeners[int] = Listeners(_raise)

    def once(value: int) -> None:
        seen.append(f"once {value}")
        remove_once()

    remove_once = listeners.add(once)
    listeners.add(lambda value: seen.append(f"always {value}"))
    listeners.emit(1)
    listeners.emit(2)
    assert seen == ["once 1", "always 1", "always 2"]


def test_a_failing_listener_does_not_silence_the_others() -> None:
    """One listener's exception is reported, and the next listener still runs."""
    errors: list[BaseException] = []
    seen: list[int] = []
    listeners: Listeners[int] = Listeners(errors.append)

    def broken(value: int) -> None:
        raise RuntimeError(f"broken on {value}")

    listeners.add(broken)
    listeners.add(seen.append)
    listeners.emit(7)
    assert seen == [7]
    assert [str(e) for e in errors] == ["broken on 7"]
