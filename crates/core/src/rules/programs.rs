//! Care-management programs: CCM eligibility and the billing codes a month's minutes reach.
//!
//! Why a table: CMS changes codes, thresholds and unit caps from year to year; each program is one
//! row of [`BillingRule`] so a change is a one-line edit with its threshold tests next to it.
//!
//! Rules (clinical staff time, per calendar month; every unit needs its full minutes — no rounding):
//! - CCM: 99490 at 20 min; +99439 per further full 20 min, at most 2 units (CMS limit).
//! - Complex CCM: 99487 at 60 min; +99489 per further full 30 min (no unit cap applied here).
//! - PCM: 99426 at 30 min; +99427 per further full 30 min (no unit cap applied here).
//! - CCM by the billing practitioner: 99491 at 30 min; +99437 per further full 30 min.
//! - PCM by the billing practitioner: 99424 at 30 min; +99425 per further full 30 min.
//! - BHI: 99484 at 20 min, once a month.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Serialized as "ccm", "complex_ccm", "pcm".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CareProgram {
    /// Chronic care management (non-complex), clinical staff time.
    Ccm,
    /// Complex chronic care management.
    ComplexCcm,
    /// Principal care management, clinical staff time.
    Pcm,
    /// Chronic care management time personally spent by the billing practitioner (physician, NP,
    /// PA).
    CcmPractitioner,
    /// Principal care management time personally spent by the billing practitioner.
    PcmPractitioner,
    /// General behavioural health integration (clinical staff or practitioner time).
    Bhi,
}

/// One program's time-based billing rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct BillingRule {
    pub base_code: &'static str,
    pub base_minutes: u32,
    pub add_on_code: &'static str,
    pub add_on_minutes: u32,
    /// Most add-on units per calendar month, if limited.
    pub add_on_max_units: Option<u32>,
}

impl CareProgram {
    pub fn billing_rule(self) -> BillingRule {
        match self {
            CareProgram::Ccm => BillingRule {
                base_code: "99490",
                base_minutes: 20,
                add_on_code: "99439",
                add_on_minutes: 20,
                add_on_max_units: Some(2),
            },
            CareProgram::ComplexCcm => BillingRule {
                base_code: "99487",
                base_minutes: 60,
                add_on_code: "99489",
                add_on_minutes: 30,
                add_on_max_units: None,
            },
            CareProgram::Pcm => BillingRule {
                base_code: "99426",
                base_minutes: 30,
                add_on_code: "99427",
                add_on_minutes: 30,
                add_on_max_units: None,
            },
            CareProgram::CcmPractitioner => BillingRule {
                base_code: "99491",
                base_minutes: 30,
                add_on_code: "99437",
                add_on_minutes: 30,
                add_on_max_units: None,
            },
            CareProgram::PcmPractitioner => BillingRule {
                base_code: "99424",
                base_minutes: 30,
                add_on_code: "99425",
                add_on_minutes: 30,
                add_on_max_units: None,
            },
            // One unit a month, no add-on.
            CareProgram::Bhi => BillingRule {
                base_code: "99484",
                base_minutes: 20,
                add_on_code: "",
                add_on_minutes: 20,
                add_on_max_units: Some(0),
            },
        }
    }
}

/// A billing code and how many units of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingUnit {
    pub code: &'static str,
    pub units: u32,
}

/// The codes reached by `minutes` of `program` time in one calendar month (empty below the base
/// threshold).
pub fn billing_codes(program: CareProgram, minutes: u32) -> Vec<BillingUnit> {
    let rule = program.billing_rule();
    if minutes < rule.base_minutes {
        return Vec::new();
    }
    let mut out = vec![BillingUnit {
        code: rule.base_code,
        units: 1,
    }];
    let extra = minutes - rule.base_minutes;
    let mut add_ons = extra.checked_div(rule.add_on_minutes).unwrap_or(0);
    if let Some(max) = rule.add_on_max_units {
        add_ons = add_ons.min(max);
    }
    if add_ons > 0 {
        out.push(BillingUnit {
            code: rule.add_on_code,
            units: add_ons,
        });
    }
    out
}

/// Minutes still needed to reach the next billable unit this month, or `None` if no further unit
/// can be billed (add-on cap reached). Lets the UI say "12 more minutes to 99490".
pub fn minutes_to_next_unit(program: CareProgram, minutes: u32) -> Option<(u32, &'static str)> {
    let rule = program.billing_rule();
    if minutes < rule.base_minutes {
        return Some((rule.base_minutes - minutes, rule.base_code));
    }
    let extra = minutes - rule.base_minutes;
    let done = extra.checked_div(rule.add_on_minutes)?;
    if rule.add_on_max_units.is_some_and(|max| done >= max) {
        return None;
    }
    let next = (done + 1).checked_mul(rule.add_on_minutes)?;
    Some((next - extra, rule.add_on_code))
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Eligibility {
    pub eligible: bool,
    /// What is missing, as sentences; empty when eligible.
    pub missing: Vec<String>,
}

/// Minimum chronic conditions for CCM.
pub const CCM_MIN_CONDITIONS: u32 = 2;

/// CCM eligibility: two or more chronic conditions (expected to last 12 months or more, which the
/// caller attests by counting them) and the patient's consent on file.
pub fn ccm_eligibility(chronic_conditions: u32, consent_on_file: bool) -> Eligibility {
    let mut missing = Vec::new();
    if chronic_conditions < CCM_MIN_CONDITIONS {
        missing.push(format!(
            "Needs 2 or more chronic conditions (has {chronic_conditions})"
        ));
    }
    if !consent_on_file {
        missing.push("No CCM consent on file".to_string());
    }
    Eligibility {
        eligible: missing.is_empty(),
        missing,
    }
}

/// A calendar month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct YearMonth {
    pub year: i32,
    /// 1–12.
    pub month: u32,
}

impl YearMonth {
    pub fn of(date: NaiveDate) -> Self {
        YearMonth {
            year: date.year(),
            month: date.month(),
        }
    }
}

/// Sums `(date, minutes)` time entries per calendar month (saturating, never overflowing).
pub fn minutes_by_month<I>(entries: I) -> BTreeMap<YearMonth, u32>
where
    I: IntoIterator<Item = (NaiveDate, u32)>,
{
    let mut out = BTreeMap::new();
    for (date, minutes) in entries {
        let slot = out.entry(YearMonth::of(date)).or_insert(0u32);
        *slot = slot.saturating_add(minutes);
    }
    out
}

/// Minutes logged in one calendar month.
pub fn minutes_in_month<I>(entries: I, month: YearMonth) -> u32
where
    I: IntoIterator<Item = (NaiveDate, u32)>,
{
    entries
        .into_iter()
        .filter(|(d, _)| YearMonth::of(*d) == month)
        .fold(0u32, |acc, (_, m)| acc.saturating_add(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(program: CareProgram, minutes: u32) -> Vec<(&'static str, u32)> {
        billing_codes(program, minutes)
            .into_iter()
            .map(|u| (u.code, u.units))
            .collect()
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn ccm_thresholds() {
        let cases: &[(u32, &[(&str, u32)])] = &[
            (0, &[]),
            (19, &[]),
            (20, &[("99490", 1)]),
            (21, &[("99490", 1)]),
            (39, &[("99490", 1)]),
            (40, &[("99490", 1), ("99439", 1)]),
            (41, &[("99490", 1), ("99439", 1)]),
            (59, &[("99490", 1), ("99439", 1)]),
            (60, &[("99490", 1), ("99439", 2)]),
            (61, &[("99490", 1), ("99439", 2)]),
            (79, &[("99490", 1), ("99439", 2)]),
            (80, &[("99490", 1), ("99439", 2)]), // capped at 2 add-on units
            (u32::MAX, &[("99490", 1), ("99439", 2)]),
        ];
        for (minutes, expected) in cases {
            assert_eq!(
                codes(CareProgram::Ccm, *minutes),
                expected.to_vec(),
                "{minutes} min"
            );
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn complex_ccm_thresholds() {
        let cases: &[(u32, &[(&str, u32)])] = &[
            (59, &[]),
            (60, &[("99487", 1)]),
            (61, &[("99487", 1)]),
            (89, &[("99487", 1)]),
            (90, &[("99487", 1), ("99489", 1)]),
            (91, &[("99487", 1), ("99489", 1)]),
            (119, &[("99487", 1), ("99489", 1)]),
            (120, &[("99487", 1), ("99489", 2)]),
            (150, &[("99487", 1), ("99489", 3)]),
        ];
        for (minutes, expected) in cases {
            assert_eq!(
                codes(CareProgram::ComplexCcm, *minutes),
                expected.to_vec(),
                "{minutes} min"
            );
        }
        assert_eq!(
            codes(CareProgram::ComplexCcm, u32::MAX)[1].1,
            (u32::MAX - 60) / 30
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn pcm_thresholds() {
        let cases: &[(u32, &[(&str, u32)])] = &[
            (29, &[]),
            (30, &[("99426", 1)]),
            (31, &[("99426", 1)]),
            (59, &[("99426", 1)]),
            (60, &[("99426", 1), ("99427", 1)]),
            (61, &[("99426", 1), ("99427", 1)]),
            (89, &[("99426", 1), ("99427", 1)]),
            (90, &[("99426", 1), ("99427", 2)]),
        ];
        for (minutes, expected) in cases {
            assert_eq!(
                codes(CareProgram::Pcm, *minutes),
                expected.to_vec(),
                "{minutes} min"
            );
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn practitioner_and_bhi_thresholds() {
        type Case = (CareProgram, u32, &'static [(&'static str, u32)]);
        let cases: &[Case] = &[
            (CareProgram::CcmPractitioner, 29, &[]),
            (CareProgram::CcmPractitioner, 30, &[("99491", 1)]),
            (CareProgram::CcmPractitioner, 59, &[("99491", 1)]),
            (
                CareProgram::CcmPractitioner,
                60,
                &[("99491", 1), ("99437", 1)],
            ),
            (CareProgram::PcmPractitioner, 29, &[]),
            (CareProgram::PcmPractitioner, 30, &[("99424", 1)]),
            (
                CareProgram::PcmPractitioner,
                90,
                &[("99424", 1), ("99425", 2)],
            ),
            (CareProgram::Bhi, 19, &[]),
            (CareProgram::Bhi, 20, &[("99484", 1)]),
            (CareProgram::Bhi, 200, &[("99484", 1)]),
        ];
        for (program, minutes, expected) in cases {
            assert_eq!(
                codes(*program, *minutes),
                expected.to_vec(),
                "{program:?} {minutes} min"
            );
        }
        assert_eq!(
            minutes_to_next_unit(CareProgram::Bhi, 12),
            Some((8, "99484"))
        );
        assert_eq!(minutes_to_next_unit(CareProgram::Bhi, 20), None);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn minutes_to_next() {
        assert_eq!(
            minutes_to_next_unit(CareProgram::Ccm, 8),
            Some((12, "99490"))
        );
        assert_eq!(
            minutes_to_next_unit(CareProgram::Ccm, 19),
            Some((1, "99490"))
        );
        assert_eq!(
            minutes_to_next_unit(CareProgram::Ccm, 20),
            Some((20, "99439"))
        );
        assert_eq!(
            minutes_to_next_unit(CareProgram::Ccm, 59),
            Some((1, "99439"))
        );
        assert_eq!(minutes_to_next_unit(CareProgram::Ccm, 60), None);
        assert_eq!(
            minutes_to_next_unit(CareProgram::ComplexCcm, 89),
            Some((1, "99489"))
        );
        assert_eq!(
            minutes_to_next_unit(CareProgram::Pcm, 0),
            Some((30, "99426"))
        );
        let _ = minutes_to_next_unit(CareProgram::Pcm, u32::MAX);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn ccm_eligibility_needs_two_conditions_and_consent() {
        assert!(!ccm_eligibility(1, true).eligible);
        assert!(ccm_eligibility(2, true).eligible);
        assert!(ccm_eligibility(3, true).eligible);
        let e = ccm_eligibility(2, false);
        assert!(!e.eligible);
        assert_eq!(e.missing, vec!["No CCM consent on file"]);
        assert_eq!(ccm_eligibility(0, false).missing.len(), 2);
        assert!(ccm_eligibility(2, true).missing.is_empty());
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn time_sums_by_calendar_month() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let entries = vec![
            (d(2026, 10, 31), 15),
            (d(2026, 11, 1), 10),
            (d(2026, 11, 30), 12),
            (d(2025, 11, 15), 99), // same month, other year
            (d(2026, 12, 1), 5),
        ];
        let by_month = minutes_by_month(entries.clone());
        assert_eq!(
            by_month.into_iter().collect::<Vec<_>>(),
            vec![
                (
                    YearMonth {
                        year: 2025,
                        month: 11
                    },
                    99
                ),
                (
                    YearMonth {
                        year: 2026,
                        month: 10
                    },
                    15
                ),
                (
                    YearMonth {
                        year: 2026,
                        month: 11
                    },
                    22
                ),
                (
                    YearMonth {
                        year: 2026,
                        month: 12
                    },
                    5
                ),
            ]
        );
        let nov = YearMonth::of(d(2026, 11, 25));
        assert_eq!(minutes_in_month(entries, nov), 22);
        // 22 minutes of CCM in November reaches 99490.
        assert_eq!(codes(CareProgram::Ccm, 22), vec![("99490", 1)]);
        let huge = vec![(d(2026, 11, 1), u32::MAX), (d(2026, 11, 2), 5)];
        assert_eq!(minutes_in_month(huge.clone(), nov), u32::MAX);
        assert_eq!(minutes_by_month(huge)[&nov], u32::MAX);
    }
}
