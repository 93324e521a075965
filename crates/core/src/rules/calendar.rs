//! US federal holidays and business days, computed by rule for any year.
//!
//! Why: TCM's "interactive contact within 2 business days" excludes weekends and federal holidays
//! (CMS), and a table of dates would silently expire. Holidays follow 5 U.S.C. 6103 and the OPM
//! observance rule: a holiday falling on Saturday is observed the Friday before, on Sunday the Monday
//! after. The observed date is the non-business day (the Saturday itself is a weekend anyway).
//! Martin Luther King Jr. Day counts from 1986 and Juneteenth from 2021, when they became federal
//! holidays; the other nine follow today's rules for every year (dates before 1978, when Veterans
//! Day returned to 11 November, can differ from what was observed then).

use chrono::{Datelike, Days, NaiveDate, Weekday};

use super::RuleError;

/// The eleven US federal holidays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FederalHoliday {
    NewYearsDay,
    MartinLutherKingJrDay,
    WashingtonsBirthday,
    MemorialDay,
    Juneteenth,
    IndependenceDay,
    LaborDay,
    ColumbusDay,
    VeteransDay,
    Thanksgiving,
    Christmas,
}

impl FederalHoliday {
    pub const ALL: [FederalHoliday; 11] = [
        FederalHoliday::NewYearsDay,
        FederalHoliday::MartinLutherKingJrDay,
        FederalHoliday::WashingtonsBirthday,
        FederalHoliday::MemorialDay,
        FederalHoliday::Juneteenth,
        FederalHoliday::IndependenceDay,
        FederalHoliday::LaborDay,
        FederalHoliday::ColumbusDay,
        FederalHoliday::VeteransDay,
        FederalHoliday::Thanksgiving,
        FederalHoliday::Christmas,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FederalHoliday::NewYearsDay => "New Year's Day",
            FederalHoliday::MartinLutherKingJrDay => "Birthday of Martin Luther King, Jr.",
            FederalHoliday::WashingtonsBirthday => "Washington's Birthday (Presidents Day)",
            FederalHoliday::MemorialDay => "Memorial Day",
            FederalHoliday::Juneteenth => "Juneteenth National Independence Day",
            FederalHoliday::IndependenceDay => "Independence Day",
            FederalHoliday::LaborDay => "Labor Day",
            FederalHoliday::ColumbusDay => "Columbus Day",
            FederalHoliday::VeteransDay => "Veterans Day",
            FederalHoliday::Thanksgiving => "Thanksgiving Day",
            FederalHoliday::Christmas => "Christmas Day",
        }
    }

    /// The legal date of the holiday in `year`, or `None` if it was not a federal holiday that year
    /// or the year is outside the calendar chrono supports.
    pub fn date(self, year: i32) -> Option<NaiveDate> {
        use Weekday::*;
        match self {
            FederalHoliday::NewYearsDay => NaiveDate::from_ymd_opt(year, 1, 1),
            FederalHoliday::MartinLutherKingJrDay if year >= 1986 => nth_weekday(year, 1, Mon, 3),
            FederalHoliday::MartinLutherKingJrDay => None,
            FederalHoliday::WashingtonsBirthday => nth_weekday(year, 2, Mon, 3),
            FederalHoliday::MemorialDay => last_weekday(year, 5, Mon),
            FederalHoliday::Juneteenth if year >= 2021 => NaiveDate::from_ymd_opt(year, 6, 19),
            FederalHoliday::Juneteenth => None,
            FederalHoliday::IndependenceDay => NaiveDate::from_ymd_opt(year, 7, 4),
            FederalHoliday::LaborDay => nth_weekday(year, 9, Mon, 1),
            FederalHoliday::ColumbusDay => nth_weekday(year, 10, Mon, 2),
            FederalHoliday::VeteransDay => NaiveDate::from_ymd_opt(year, 11, 11),
            FederalHoliday::Thanksgiving => nth_weekday(year, 11, Thu, 4),
            FederalHoliday::Christmas => NaiveDate::from_ymd_opt(year, 12, 25),
        }
    }

    /// The day the holiday is observed in `year` (Saturday -> Friday before, Sunday -> Monday
    /// after). New Year's Day of `year` may be observed on 31 December of `year - 1`.
    pub fn observed(self, year: i32) -> Option<NaiveDate> {
        let d = self.date(year)?;
        match d.weekday() {
            Weekday::Sat => d.pred_opt(),
            Weekday::Sun => d.succ_opt(),
            _ => Some(d),
        }
    }
}

fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u8) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, n)
}

fn last_weekday(year: i32, month: u32, weekday: Weekday) -> Option<NaiveDate> {
    // The fifth occurrence if it exists, else the fourth (every weekday occurs 4 or 5 times).
    nth_weekday(year, month, weekday, 5).or_else(|| nth_weekday(year, month, weekday, 4))
}

/// All observed federal holidays that fall on a date in `year`, sorted. Includes 31 December when
/// the next New Year's Day is a Saturday, and excludes 1 January's holiday when it is observed in the
/// previous year.
pub fn observed_holidays(year: i32) -> Vec<(NaiveDate, FederalHoliday)> {
    let mut out: Vec<(NaiveDate, FederalHoliday)> = FederalHoliday::ALL
        .iter()
        .filter_map(|h| h.observed(year).map(|d| (d, *h)))
        .filter(|(d, _)| d.year() == year)
        .collect();
    if let Some(next_new_year) = year
        .checked_add(1)
        .and_then(|y| FederalHoliday::NewYearsDay.observed(y))
    {
        if next_new_year.year() == year {
            out.push((next_new_year, FederalHoliday::NewYearsDay));
        }
    }
    out.sort();
    out
}

/// The federal holiday observed on `date`, if any.
pub fn observed_holiday(date: NaiveDate) -> Option<FederalHoliday> {
    let year = date.year();
    // A date can only be the observed day of a holiday of its own year, or of next year's New Year.
    FederalHoliday::ALL
        .iter()
        .copied()
        .find(|h| h.observed(year) == Some(date))
        .or_else(|| {
            let next = year.checked_add(1)?;
            (FederalHoliday::NewYearsDay.observed(next) == Some(date))
                .then_some(FederalHoliday::NewYearsDay)
        })
}

/// A business day is Monday to Friday and not an observed federal holiday.
pub fn is_business_day(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && observed_holiday(date).is_none()
}

/// The date `n` business days after `start` (the day after `start` is the first candidate;
/// `start` itself never counts). `n == 0` returns `start`.
pub fn add_business_days(start: NaiveDate, n: u32) -> Result<NaiveDate, RuleError> {
    let mut date = start;
    let mut remaining = n;
    while remaining > 0 {
        date = date.succ_opt().ok_or_else(|| out_of_range(start))?;
        if is_business_day(date) {
            remaining -= 1;
        }
    }
    Ok(date)
}

/// `start` plus `days` calendar days, as a typed error instead of a panic at the end of time.
pub fn add_days(start: NaiveDate, days: u64) -> Result<NaiveDate, RuleError> {
    start
        .checked_add_days(Days::new(days))
        .ok_or_else(|| out_of_range(start))
}

fn out_of_range(date: NaiveDate) -> RuleError {
    RuleError::OutOfRange {
        what: "date".into(),
        detail: format!("cannot count days past {date}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn holidays_2026_match_opm() {
        // OPM's published 2026 federal holiday list (observed dates).
        let expected = vec![
            d(2026, 1, 1),
            d(2026, 1, 19),
            d(2026, 2, 16),
            d(2026, 5, 25),
            d(2026, 6, 19),
            d(2026, 7, 3), // July 4 is a Saturday
            d(2026, 9, 7),
            d(2026, 10, 12),
            d(2026, 11, 11),
            d(2026, 11, 26),
            d(2026, 12, 25),
        ];
        let got: Vec<NaiveDate> = observed_holidays(2026)
            .into_iter()
            .map(|(d, _)| d)
            .collect();
        assert_eq!(got, expected);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn holidays_2027_observe_saturday_new_year_in_2027() {
        // 2027: Juneteenth Sat -> Fri 18 June, July 4 Sun -> Mon 5 July, Christmas Sat -> Fri 24 Dec,
        // and New Year's Day 2028 (Sat) is observed Fri 31 Dec 2027.
        let got: Vec<NaiveDate> = observed_holidays(2027)
            .into_iter()
            .map(|(d, _)| d)
            .collect();
        assert_eq!(
            got,
            vec![
                d(2027, 1, 1),
                d(2027, 1, 18),
                d(2027, 2, 15),
                d(2027, 5, 31),
                d(2027, 6, 18),
                d(2027, 7, 5),
                d(2027, 9, 6),
                d(2027, 10, 11),
                d(2027, 11, 11),
                d(2027, 11, 25),
                d(2027, 12, 24),
                d(2027, 12, 31),
            ]
        );
        // ...and 2028 therefore has no observed New Year's Day of its own.
        assert!(observed_holidays(2028)
            .iter()
            .all(|(_, h)| *h != FederalHoliday::NewYearsDay));
        assert_eq!(
            observed_holiday(d(2027, 12, 31)),
            Some(FederalHoliday::NewYearsDay)
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn sunday_holiday_moves_to_monday() {
        // New Year's Day 2023 was a Sunday, observed Monday 2 January.
        assert_eq!(
            observed_holiday(d(2023, 1, 2)),
            Some(FederalHoliday::NewYearsDay)
        );
        assert!(!is_business_day(d(2023, 1, 2)));
        assert!(is_business_day(d(2023, 1, 3)));
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn holidays_that_did_not_exist_yet() {
        assert_eq!(FederalHoliday::Juneteenth.date(2020), None);
        assert_eq!(FederalHoliday::Juneteenth.date(2021), Some(d(2021, 6, 19)));
        assert_eq!(FederalHoliday::MartinLutherKingJrDay.date(1985), None);
        assert_eq!(
            FederalHoliday::MartinLutherKingJrDay.date(1986),
            Some(d(1986, 1, 20))
        );
        assert!(is_business_day(d(2020, 6, 19))); // a Friday, not yet a holiday
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn memorial_day_is_last_monday_with_four_or_five_mondays() {
        assert_eq!(FederalHoliday::MemorialDay.date(2026), Some(d(2026, 5, 25)));
        assert_eq!(FederalHoliday::MemorialDay.date(2027), Some(d(2027, 5, 31)));
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn business_days_skip_weekends_and_holidays() {
        // Monday + 2 -> Wednesday.
        assert_eq!(
            add_business_days(d(2026, 11, 16), 2).unwrap(),
            d(2026, 11, 18)
        );
        // Friday + 2 -> Tuesday.
        assert_eq!(
            add_business_days(d(2026, 11, 20), 2).unwrap(),
            d(2026, 11, 24)
        );
        // Wednesday before Thanksgiving + 2 -> Monday (Thursday is a holiday, Friday counts).
        assert_eq!(
            add_business_days(d(2026, 11, 25), 2).unwrap(),
            d(2026, 11, 30)
        );
        // Thursday 2 July 2026 + 1 -> Monday 6 July (Friday 3 July observed Independence Day).
        assert_eq!(add_business_days(d(2026, 7, 2), 1).unwrap(), d(2026, 7, 6));
        assert_eq!(add_business_days(d(2026, 7, 2), 0).unwrap(), d(2026, 7, 2));
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn end_of_calendar_is_an_error_not_a_panic() {
        assert!(add_business_days(NaiveDate::MAX, 2).is_err());
        assert!(add_days(NaiveDate::MAX, 7).is_err());
        // Holiday lookups at the extremes do not panic either.
        let _ = observed_holidays(NaiveDate::MAX.year());
        let _ = observed_holidays(NaiveDate::MIN.year());
        let _ = is_business_day(NaiveDate::MAX);
        let _ = is_business_day(NaiveDate::MIN);
    }
}
