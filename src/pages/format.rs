//! Dates and times in the device's locale and time zone.

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
