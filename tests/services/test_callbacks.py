"""The button codec: what it makes it reads back, and it refuses everything else."""

from __future__ import annotations

import re

import pytest

from services import callbacks
from services.callbacks import Data, Stale, decode


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (callbacks.assignment("ack", 42), Data("a", "ack", (42,))),
        (callbacks.case("dsp", 7), Data("c", "dsp", (7,))),
        (callbacks.dispatch("t", 7, 3), Data("d", "t", (7, 3))),
        (callbacks.dispatch("due", 7, 1), Data("d", "due", (7, 1))),
        (callbacks.dispatch("go", 7), Data("d", "go", (7,))),
        (callbacks.confirm("u", 7), Data("f", "u", (7,))),
        (callbacks.reply(9), Data("q", "rep", (9,))),
        (callbacks.report("cat", "permit"), Data("r", "cat", ("permit",))),
        (callbacks.report("sub"), Data("r", "sub", ())),
        (callbacks.registry("k", 0), Data("e", "k", (0,))),
        (callbacks.registry("x"), Data("e", "x", ())),
        (callbacks.join("y", "A" * 32), Data("j", "y", ("A" * 32,))),
    ],
)
def test_what_is_encoded_decodes_to_the_same_values(data: str, expected: Data) -> None:
    assert data.startswith("v1:")
    assert decode(data) == expected
    assert decode(data, expected.kind) == expected


@pytest.mark.parametrize(
    ("legacy", "expected"),
    [
        ("a:ack:5", Data("a", "ack", (5,))),
        ("c:dec:5", Data("c", "dec", (5,))),
        ("f:5:s", Data("f", "s", (5,))),
        ("d:5:t:3", Data("d", "t", (5, 3))),
        ("d:5:due:0", Data("d", "due", (5, 0))),
        ("d:5:go:0", Data("d", "go", (5,))),
        ("q:rep:8", Data("q", "rep", (8,))),
        ("r:prj:0", Data("r", "prj", (0,))),
        ("e:f", Data("e", "f", ())),
        ("j:n:abcdefgh", Data("j", "n", ("abcdefgh",))),
    ],
)
def test_buttons_sent_before_the_version_prefix_keep_working(legacy: str, expected: Data) -> None:
    assert decode(legacy) == expected


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "a:ack:²",
        "a:ack:١",
        "v1:a:ack:²",
        "v1:a:ack:١٢",
        "v1:f:s:５",
        "a:ack:-1",
        "a:ack: 1",
        "a:ack:1 ",
        "a:ack:" + "1" * 13,
        "a:zap:1",
        "a:ack",
        "a:ack:1:2",
        "v1:a:ack:1:",
        "v2:a:ack:1",
        "v1:v1:a:ack:1",
        "z:ack:1",
        "d:1:go:abc",
        "d:1:t:",
        "v1:d:due:1:2",
        "r:cat:PERMIT",
        "j:y:short",
        "j:y:" + "a" * 61,
        "x" * 65,
    ],
)
def test_malformed_or_foreign_data_is_refused(data: str | None) -> None:
    with pytest.raises(Stale):
        decode(data)


def test_a_kind_is_only_read_as_that_kind() -> None:
    with pytest.raises(Stale):
        decode(callbacks.case("dsp", 1), callbacks.ASSIGNMENT)


def test_encoding_refuses_what_would_not_come_back() -> None:
    with pytest.raises(ValueError):
        callbacks.assignment("ack", 10**12)  # 13 digits
    with pytest.raises(ValueError):
        callbacks.assignment("zap", 1)
    with pytest.raises(ValueError):
        callbacks.join("y", "a" * 60)  # over 64 bytes with the prefix
    with pytest.raises(ValueError):
        callbacks.report("cat", "bad:word")


def test_every_pattern_matches_its_data_and_no_other_kind() -> None:

    samples = {
        "a": callbacks.assignment("ack", 1),
        "c": callbacks.case("dsp", 1),
        "d": callbacks.dispatch("x", 1),
        "f": callbacks.confirm("s", 1),
        "q": callbacks.reply(1),
        "r": callbacks.report("next"),
        "e": callbacks.registry("a"),
        "j": callbacks.join("n", "abcdefgh"),
    }
    for kind, data in samples.items():
        for other, pattern in ((k, callbacks.pattern(k)) for k in samples):
            assert bool(re.match(pattern, data)) == (other == kind), (kind, other)
        assert re.match(callbacks.pattern(kind), data.removeprefix("v1:"))
