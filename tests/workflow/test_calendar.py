"""The city's calendar: fiscal years, era dates and the days the offices are open."""

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.calendar.japan import (
    add_business_days,
    business_days_between,
    closure_reason,
    english_date,
    english_fiscal_year,
    era_date,
    era_year,
    era_year_month,
    fiscal_year,
    fiscal_year_end,
    fiscal_year_start,
    is_business_day,
    next_business_day,
)
from workflow.calendar.clock import JST, MovableClock, japan_today, to_japan, to_utc

# --- Fiscal year


def test_fiscal_year_turns_on_first_of_april():
    assert fiscal_year(date(2021, 3, 31)) == 2020
    assert fiscal_year(date(2021, 4, 1)) == 2021
    assert fiscal_year(date(2021, 1, 1)) == 2020
    assert fiscal_year(date(2021, 12, 31)) == 2021


def test_fiscal_year_bounds():
    assert fiscal_year_start(2020) == date(2020, 4, 1)
    assert fiscal_year_end(2020) == date(2021, 3, 31)
    assert fiscal_year(fiscal_year_start(2020)) == fiscal_year(fiscal_year_end(2020)) == 2020


# --- Era dates


def test_era_date_reiwa_3_september_16():
    assert era_date(date(2021, 9, 16)) == "令和3年9月16日"


def test_first_year_is_gannen():
    assert era_date(date(2019, 5, 1)) == "令和元年5月1日"
    assert era_date(date(2019, 4, 30)) == "平成31年4月30日"
    assert era_year_month(date(2019, 12, 1)) == "令和元年12月"


def test_heisei_date():
    assert era_date(date(1989, 1, 8)) == "平成元年1月8日"
    assert era_date(date(1989, 1, 7)) == "昭和64年1月7日"
    assert era_date(date(1926, 12, 25)) == "昭和元年12月25日"


def test_no_era_before_showa():
    with pytest.raises(ValueError):
        era_date(date(1926, 12, 24))


def test_fiscal_year_2020_is_reiwa_2():
    assert era_year(2020) == "令和2年度"


def test_fiscal_year_takes_the_era_of_1_april():
    # Reiwa began on 1 May 2019, a month into the fiscal year: it stays 平成31年度.
    assert era_year(2019) == "平成31年度"
    assert era_year(1989) == "平成元年度"
    assert era_year(1988) == "昭和63年度"


def test_english_forms():
    assert english_date(date(2021, 9, 16)) == "16 September 2021"
    assert english_fiscal_year(2020) == "FY2020 (April 2020 – March 2021)"


# --- Business days


def test_weekends_are_closed():
    assert closure_reason(date(2026, 6, 6)) == "土曜日"
    assert closure_reason(date(2026, 6, 7)) == "日曜日"
    assert closure_reason(date(2026, 6, 8)) is None
    assert add_business_days(date(2026, 6, 5), 1) == date(2026, 6, 8)  # Friday → Monday


def test_golden_week_2026():
    assert closure_reason(date(2026, 4, 29)) == "昭和の日"
    assert add_business_days(date(2026, 4, 28), 1) == date(2026, 4, 30)
    assert is_business_day(date(2026, 5, 1))
    # 3 May (Constitution Day) falls on a Sunday, so the substitute holiday is Wednesday 6 May.
    assert closure_reason(date(2026, 5, 3)) == "憲法記念日"
    assert closure_reason(date(2026, 5, 4)) == "みどりの日"
    assert closure_reason(date(2026, 5, 5)) == "こどもの日"
    assert closure_reason(date(2026, 5, 6)) == "振替休日"
    assert next_business_day(date(2026, 5, 1)) == date(2026, 5, 7)
    assert business_days_between(date(2026, 4, 28), date(2026, 5, 7)) == 3


def test_year_end_closure():
    assert is_business_day(date(2026, 12, 28))  # Monday, last open day of the year
    for offset in range(6):  # 29 December 2026 – 3 January 2027
        assert not is_business_day(date(2026, 12, 29) + timedelta(days=offset))
    assert closure_reason(date(2026, 12, 30)) == "年末年始閉庁"
    assert closure_reason(date(2027, 1, 1)) == "元日"
    assert closure_reason(date(2027, 1, 4)) is None  # Monday, offices reopen
    assert add_business_days(date(2026, 12, 28), 1) == date(2027, 1, 4)


def test_zero_days_moves_a_closed_day_to_the_next_open_one():
    assert add_business_days(date(2026, 6, 8), 0) == date(2026, 6, 8)
    assert add_business_days(date(2026, 6, 6), 0) == date(2026, 6, 8)
    assert add_business_days(date(2026, 12, 29), 0) == date(2027, 1, 4)


def test_counting_backwards():
    assert add_business_days(date(2027, 1, 4), -1) == date(2026, 12, 28)
    assert add_business_days(date(2026, 5, 7), -2) == date(2026, 4, 30)
    assert business_days_between(date(2027, 1, 4), date(2026, 12, 28)) == -1
    assert business_days_between(date(2026, 6, 8), date(2026, 6, 8)) == 0


business_dates = st.dates(date(1990, 1, 1), date(2090, 12, 31))
counts = st.integers(min_value=0, max_value=60)


@given(business_dates, counts)
def test_adding_business_days_lands_on_a_business_day(d, n):
    assert is_business_day(add_business_days(d, n))


@given(business_dates.filter(is_business_day), counts)
def test_counting_inverts_adding(d, n):
    later = add_business_days(d, n)
    assert business_days_between(d, later) == n
    assert add_business_days(later, -n) == d
    assert business_days_between(later, d) == -n


# --- Clock


def test_movable_clock_moves_to_office_opening_in_japan():
    clock = MovableClock(datetime(2026, 4, 1, tzinfo=timezone.utc))
    clock.advance_to_date(date(2026, 5, 7))
    assert to_japan(clock.now()) == datetime(2026, 5, 7, 9, 0, tzinfo=JST)
    assert clock.now().tzinfo == timezone.utc
    assert japan_today(clock) == date(2026, 5, 7)
    clock.advance(days=1, hours=15)  # 00:00 JST on 9 May
    assert japan_today(clock) == date(2026, 5, 9)


def test_naive_datetimes_from_sqlite_are_utc():
    naive = datetime(2026, 5, 6, 15, 30)
    assert to_utc(naive) == datetime(2026, 5, 6, 15, 30, tzinfo=timezone.utc)
    assert to_japan(naive).date() == date(2026, 5, 7)


def test_a_date_based_duty_on_a_closed_day_is_due_on_the_next_open_day():
    from config import Settings
    from states import get_lifecycle
    from workflow.engine.deadlines import due_on

    lc = get_lifecycle("citizen_proposal")
    settings = Settings()
    # A contract ending on Sunday 31 March 2030: the completion is due on Monday 1 April.
    assert due_on(lc.deadline("implementation"), date(2029, 4, 1), {"period_end": date(2030, 3, 31)},
                  settings) == date(2030, 4, 1)
    # FY2026 ends 31 March 2027; 91 days later is Thursday 30 June 2027, a business day: unchanged.
    assert due_on(lc.deadline("annual_evaluation"), date(2027, 4, 2), {"fiscal_year": 2026},
                  settings) == date(2027, 6, 30)
    # FY2029 + 91 days is Sunday 30 June 2030: due on Monday 1 July.
    assert due_on(lc.deadline("annual_evaluation"), date(2030, 4, 2), {"fiscal_year": 2029},
                  settings) == date(2030, 7, 1)
