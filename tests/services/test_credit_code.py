"""Unified social credit codes (统一社会信用代码): accepted when real, refused with a reason."""

from __future__ import annotations

import pytest

from services.credit_code import normalize_credit_code
from services.errors import InvalidInput

# GB 32100-2015: 31 characters (no I, O, S, V, Z), weights 3^i mod 31, check = -sum mod 31.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [pow(3, i, 31) for i in range(17)]


def check_character(first17: str) -> str:
    """The 18th character computed from the standard, independently of python-stdnum."""
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[-total % 31]


# A code built here: enterprise (9) in Jianghua county (431129), with its own check character.
OURS = "9143112905KNH8X1A"
OURS += check_character(OURS)


def refusal(text: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        normalize_credit_code(text)
    return caught.value


def test_the_weights_are_the_standard_ones() -> None:
    assert WEIGHTS == [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


@pytest.mark.parametrize("code", ["91431129MA4L0KH01R", OURS])
def test_valid_codes_are_accepted(code: str) -> None:
    assert normalize_credit_code(code) == code


def test_the_computed_check_character_matches_a_real_code() -> None:
    assert check_character("91431129MA4L0KH01") == "R"


@pytest.mark.parametrize(
    "typed",
    [" 91431129ma4l0kh01r ", "9143 1129 MA4L 0KH0 1R", "91431129-MA4L0KH01R"],
)
def test_spaces_dashes_and_lower_case_are_forgiven(typed: str) -> None:
    assert normalize_credit_code(typed) == "91431129MA4L0KH01R"


def test_a_wrong_check_character_is_refused() -> None:
    wrong = "91431129MA4L0KH01" + ("X" if OURS[-1] != "X" else "Y")
    error = refusal(wrong)
    assert "check character" in str(error)
    assert wrong in str(error)


def test_swapped_characters_are_caught_by_the_checksum() -> None:
    swapped = "91431129MA4L0KH10R"
    assert "check character" in str(refusal(swapped))


@pytest.mark.parametrize("text", ["91431129MA4L0KH01", "91431129MA4L0KH01RR", ""])
def test_a_wrong_length_is_refused(text: str) -> None:
    assert "has 18 characters" in str(refusal(text))


@pytest.mark.parametrize(
    "text",
    [
        "91431129MA4L0KHO1R",  # the letter O for a zero
        "91431129MA4L0KHI1R",  # I is not used
        "9143112SMA4L0KH01R",  # the first eight are digits
        "91431129MA4L0K#01R",
    ],
)
def test_characters_outside_the_alphabet_are_refused(text: str) -> None:
    assert "is not a unified social credit code" in str(refusal(text))


def test_each_mistake_has_its_own_message() -> None:
    messages = {
        refusal(text).msgid
        for text in ("91431129MA4L0KH01X", "91431129MA4L0KH01", "91431129MA4L0KHO1R")
    }
    assert len(messages) == 3
