"""Case numbers: consecutive per year, and never the same twice under concurrency."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from bot.db import Database
from services.numbers import case_number


def test_numbers_count_up_per_year(db: Database) -> None:
    assert db.call(case_number, 2026) == "2026-0001"
    assert db.call(case_number, 2026) == "2026-0002"
    assert db.call(case_number, 2027) == "2027-0001"


def test_simultaneous_first_cases_of_a_year_get_distinct_numbers(db: Database) -> None:
    # For each of many years, eight transactions race to create the year's counter row;
    # every one must get a number, and no number may repeat.
    years = range(2031, 2061)
    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(lambda i: db.call(case_number, years[i // 8]), range(8 * 30)))
    for year in years:
        assert sorted(n for n in numbers if n.startswith(f"{year}-")) == [
            f"{year}-{i:04d}" for i in range(1, 9)
        ]
