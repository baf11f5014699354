"""Saved calls and scenarios in the profiles file: round trip, older files, unreadable parts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from ddp_monitor.profiles import LoginKind, LoginSpec, Profile, ProfileStore
from ddp_monitor.steps import (
    CallStep,
    Expect,
    ExpectKind,
    LoginStep,
    SavedCall,
    Scenario,
    SubscribeStep,
    Unreadable,
    UnsubscribeStep,
    WaitStep,
)
from tests.keyrings import MemoryKeyring


def with_scenarios() -> Profile:
    return Profile(
        "demo",
        "ws://127.0.0.1:4000/websocket",
        login=LoginSpec(LoginKind.PASSWORD, "demo"),
        saved_calls=(
            SavedCall("add two", "add", (1, 2)),
            SavedCall(
                "since",
                "echo",
                (datetime(2024, 5, 1, tzinfo=UTC),),
                wait=True,
                no_retry=True,
            ),
        ),
        scenarios=(
            Scenario(
                "smoke",
                (
                    LoginStep(),
                    SubscribeStep("tasks"),
                    SubscribeStep("items", (3,), wait_ready=False),
                    CallStep(saved="add two", expect=Expect(ExpectKind.RESULT, 3)),
                    CallStep(
                        "fail",
                        expect=Expect(
                            ExpectKind.ERROR, "boom", "Boom: requested failure"
                        ),
                    ),
                    CallStep("echo", (b"\x00",), wait=True),
                    WaitStep(0.25),
                    UnsubscribeStep("tasks"),
                ),
            ),
            Scenario("empty"),
        ),
    )


def test_saved_calls_and_scenarios_round_trip(tmp_path: Path) -> None:
    """Every kind of step, EJSON params and expectations come back as saved."""
    store = ProfileStore(tmp_path / "profiles.json")
    profiles = [with_scenarios(), Profile("plain", "localhost:3000")]
    store.save(profiles)
    assert ProfileStore(store.path).load() == profiles
    text = store.path.read_text(encoding="utf-8")
    data = json.loads(text)
    steps = data["profiles"][0]["scenarios"][0]["steps"]
    assert steps[0] == {"step": "login"}
    assert steps[3] == {"step": "call", "saved": "add two", "expect": {"result": 3}}
    assert steps[5]["params"] == [{"$binary": "AA=="}]


def test_no_secret_reaches_the_file(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    """A login step names no password: it stays in the keyring, by the profile's id."""
    store = ProfileStore(tmp_path / "profiles.json")
    profile = with_scenarios()
    store.secrets.set(f"{profile.id}/password", "s3cret-pw")
    store.save([profile])
    assert "s3cret-pw" not in store.path.read_text(encoding="utf-8")
    assert memory_keyring.passwords


def test_a_file_from_before_scenarios_loads_unchanged(tmp_path: Path) -> None:
    """A profile written without the two lists has none, and nothing is reported."""
    store = ProfileStore(tmp_path / "profiles.json")
    store.save([with_scenarios()])
    data = json.loads(store.path.read_text(encoding="utf-8"))
    del data["profiles"][0]["saved_calls"], data["profiles"][0]["scenarios"]
    store.path.write_text(json.dumps(data), encoding="utf-8")
    again = ProfileStore(store.path)
    (loaded,) = again.load()
    assert loaded.saved_calls == ()
    assert loaded.scenarios == ()
    assert again.notices == []


def test_an_unreadable_step_is_named_kept_and_costs_nothing_else(
    tmp_path: Path,
) -> None:
    """A corrupt step: a notice names profile, scenario and step; all else loads; a save keeps it."""
    store = ProfileStore(tmp_path / "profiles.json")
    store.save([with_scenarios(), Profile("plain", "localhost:3000")])
    data = json.loads(store.path.read_text(encoding="utf-8"))
    bad_step = {"step": "wait", "secs": 2}
    data["profiles"][0]["scenarios"][0]["steps"][6] = bad_step
    bad_call = {"name": "nameless method", "params": []}
    data["profiles"][0]["saved_calls"].append(bad_call)
    data["profiles"][0]["scenarios"].append(["not", "a", "scenario"])
    store.path.write_text(json.dumps(data), encoding="utf-8")

    again = ProfileStore(store.path)
    demo, plain = again.load()
    assert plain.name == "plain"
    smoke = demo.scenarios[0]
    assert isinstance(smoke, Scenario)
    assert smoke.steps[:6] == with_scenarios().scenarios[0].steps[:6]  # type: ignore[union-attr]
    assert smoke.unreadable == [(6, Unreadable(bad_step, "'seconds' is missing"))]
    assert demo.saved_calls[:2] == with_scenarios().saved_calls
    assert isinstance(demo.saved_calls[2], Unreadable)
    assert isinstance(demo.scenarios[2], Unreadable)
    assert again.notices == [
        "profile 'demo', saved call 'nameless method': 'method' is missing",
        "profile 'demo', scenario 'smoke', step 7: 'seconds' is missing "
        "(kept as written; the scenario cannot run until it is fixed)",
        "profile 'demo', scenario number 3: ['not', 'a', 'scenario'] is not an object",
    ]
    # Nothing is lost: saving writes each unreadable part back as it was.
    again.save([demo, plain])
    assert json.loads(store.path.read_text(encoding="utf-8")) == data
    assert list(tmp_path.iterdir()) == [store.path]  # no file was moved aside


def test_each_wrong_step_field_is_named(tmp_path: Path) -> None:
    """Unknown kinds, wrong types and bad expectations say which field is wrong."""
    store = ProfileStore(tmp_path / "profiles.json")
    store.save([with_scenarios()])
    data = json.loads(store.path.read_text(encoding="utf-8"))
    data["profiles"][0]["scenarios"][1]["steps"] = [
        {"step": "teleport"},
        {"step": "subscribe", "name": "", "params": []},
        {"step": "call", "method": "add", "params": "1, 2"},
        {"step": "call", "method": "add", "expect": {"result": 1, "error": "x"}},
        {"step": "call", "saved": "add two", "method": "add"},
        {"step": "wait", "seconds": -1},
        {"step": "unsubscribe", "name": 7},
        "login",
    ]
    store.path.write_text(json.dumps(data), encoding="utf-8")
    again = ProfileStore(store.path)
    again.load()
    reasons = [n.split(": ", 1)[1].split(" (kept")[0] for n in again.notices]
    assert reasons == [
        "'step': 'teleport' is unknown (known: login, subscribe, call, wait, unsubscribe)",
        "'name' is empty",
        "'params': '1, 2' has the wrong type",
        "'expect' needs exactly one of 'result' or 'error'",
        "give 'method' or 'saved', not both",
        "'seconds': -1.0 is not between 0 and a day",
        "'name': 7 has the wrong type",
        "'login' is not an object",
    ]
    assert all("scenario 'empty', step " in n for n in again.notices)
