//! Every date and time the app shows: the one place that decides their form (device time zone).

use chrono::{DateTime, Local, TimeZone};

pub fn time_of_day(at_ms: i64) -> String {
    match Local.timestamp_millis_opt(at_ms).single() {
        Some(t) => t.format("%H:%M").to_string(),
        None => String::new(),
    }
}

pub fn date(at_ms: i64) -> String {
    let t: Option<DateTime<Local>> = Local.timestamp_millis_opt(at_ms).single();
    t.map(|t| t.format("%-d %b %Y").to_string())
        .unwrap_or_default()
}

/// A stored "YYYY-MM-DD" day as the chart shows it ("25 Nov 2026"); an odd stored value is shown
/// as it is rather than hidden.
pub fn day(iso: &str) -> String {
    tend_core::record::IsoDate(iso.to_string())
        .date()
        .map(|d| d.format("%-d %b %Y").to_string())
        .unwrap_or_else(|| iso.to_string())
}

/// A day with its weekday ("Fri 4 Dec 2026"), for deadlines counted in business days.
pub fn weekday(date: chrono::NaiveDate) -> String {
    date.format("%a %-d %b %Y").to_string()
}

/// "1 patient", "3 patients": a count with its noun in the right number.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
