//! Transitional care management (TCM) deadlines after a discharge, and where each stands.
//!
//! Why here: the 2-business-day contact is the deadline care teams most often miss over weekends
//! and holidays, and a wrong due date silently loses the service; computing it in one tested place
//! means every device shows the same date.
//!
//! Rules (CMS TCM, CPT 99495/99496), counted from the discharge date (day 0):
//! - Interactive contact (phone, electronic or in person) within 2 business days after discharge:
//!   Monday–Friday excluding observed federal holidays ([`super::calendar`]). Two or more
//!   documented unsuccessful attempts made by that deadline also satisfy it (CMS FAQ).
//! - Face-to-face visit within 7 calendar days (high-complexity decision making, 99496) or
//!   14 calendar days (moderate, 99495).
//! - Medication reconciliation no later than the date of the face-to-face visit (the visit's
//!   actual date once it happened, otherwise its deadline).
//! - The TCM service period is the discharge date and the following 29 days.
//!
//! Dates of work done before the discharge date are rejected as errors: they cannot count.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::calendar::{add_business_days, add_days};
use super::RuleError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TcmComplexity {
    /// Moderate medical decision making: face-to-face within 14 days, 99495.
    Moderate,
    /// High medical decision making: face-to-face within 7 days, 99496.
    High,
}

impl TcmComplexity {
    pub fn code(self) -> &'static str {
        match self {
            TcmComplexity::Moderate => "99495",
            TcmComplexity::High => "99496",
        }
    }

    pub fn face_to_face_days(self) -> u64 {
        match self {
            TcmComplexity::Moderate => 14,
            TcmComplexity::High => 7,
        }
    }
}

pub const CONTACT_BUSINESS_DAYS: u32 = 2;
pub const SERVICE_PERIOD_DAYS: u64 = 29;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcmDeadlines {
    pub discharge: NaiveDate,
    pub complexity: TcmComplexity,
    pub interactive_contact_by: NaiveDate,
    pub face_to_face_by: NaiveDate,
    /// Due by the face-to-face deadline until the visit happens, then by the visit date.
    pub medication_reconciliation_by: NaiveDate,
    /// Last day of the 30-day TCM service period.
    pub service_period_end: NaiveDate,
}

/// The due dates for a discharge on `discharge`.
pub fn tcm_deadlines(
    discharge: NaiveDate,
    complexity: TcmComplexity,
) -> Result<TcmDeadlines, RuleError> {
    let face_to_face_by = add_days(discharge, complexity.face_to_face_days())?;
    Ok(TcmDeadlines {
        discharge,
        complexity,
        interactive_contact_by: add_business_days(discharge, CONTACT_BUSINESS_DAYS)?,
        face_to_face_by,
        medication_reconciliation_by: face_to_face_by,
        service_period_end: add_days(discharge, SERVICE_PERIOD_DAYS)?,
    })
}

/// What has been done so far (dates as recorded).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcmProgress {
    pub interactive_contact: Option<NaiveDate>,
    /// Dates of documented unsuccessful contact attempts.
    pub unsuccessful_contact_attempts: Vec<NaiveDate>,
    pub face_to_face: Option<NaiveDate>,
    pub medication_reconciliation: Option<NaiveDate>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaskStatus {
    /// Done on or before the due date.
    Met { on: NaiveDate },
    /// Not done; due today or later.
    Pending { due: NaiveDate, days_left: u32 },
    /// Not done and the due date has passed.
    Overdue { due: NaiveDate, days_overdue: u32 },
    /// Done, but after the due date: the requirement was missed.
    DoneLate { on: NaiveDate, due: NaiveDate },
}

impl TaskStatus {
    pub fn is_met(self) -> bool {
        matches!(self, TaskStatus::Met { .. })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcmStatus {
    pub interactive_contact: TaskStatus,
    /// The contact requirement was satisfied by two or more timely unsuccessful attempts.
    pub contact_met_by_attempts: bool,
    pub face_to_face: TaskStatus,
    pub medication_reconciliation: TaskStatus,
    /// The code the documented work supports, once every requirement is met: 99496 for a
    /// high-complexity patient seen within 7 days, otherwise 99495 if seen within 14 days.
    pub supported_code: Option<&'static str>,
}

fn days_between(from: NaiveDate, to: NaiveDate) -> u32 {
    u32::try_from(to.signed_duration_since(from).num_days().max(0)).unwrap_or(u32::MAX)
}

fn task(done: Option<NaiveDate>, due: NaiveDate, today: NaiveDate) -> TaskStatus {
    match done {
        Some(on) if on <= due => TaskStatus::Met { on },
        Some(on) => TaskStatus::DoneLate { on, due },
        None if today <= due => TaskStatus::Pending {
            due,
            days_left: days_between(today, due),
        },
        None => TaskStatus::Overdue {
            due,
            days_overdue: days_between(due, today),
        },
    }
}

fn not_before_discharge(
    what: &str,
    date: Option<NaiveDate>,
    discharge: NaiveDate,
) -> Result<(), RuleError> {
    match date {
        Some(d) if d < discharge => Err(RuleError::BeforeDischarge {
            what: what.to_string(),
            date: d,
            discharge,
        }),
        _ => Ok(()),
    }
}

/// Where each TCM requirement stands on `today`.
pub fn tcm_status(
    deadlines: &TcmDeadlines,
    progress: &TcmProgress,
    today: NaiveDate,
) -> Result<TcmStatus, RuleError> {
    let discharge = deadlines.discharge;
    not_before_discharge(
        "interactive contact",
        progress.interactive_contact,
        discharge,
    )?;
    not_before_discharge("face-to-face visit", progress.face_to_face, discharge)?;
    not_before_discharge(
        "medication reconciliation",
        progress.medication_reconciliation,
        discharge,
    )?;
    for attempt in &progress.unsuccessful_contact_attempts {
        not_before_discharge("contact attempt", Some(*attempt), discharge)?;
    }

    let mut interactive_contact = task(
        progress.interactive_contact,
        deadlines.interactive_contact_by,
        today,
    );
    let mut timely_attempts: Vec<NaiveDate> = progress
        .unsuccessful_contact_attempts
        .iter()
        .copied()
        .filter(|d| *d <= deadlines.interactive_contact_by)
        .collect();
    timely_attempts.sort();
    timely_attempts.dedup();
    let mut contact_met_by_attempts = false;
    if !interactive_contact.is_met() && timely_attempts.len() >= 2 {
        if let Some(second) = timely_attempts.get(1) {
            interactive_contact = TaskStatus::Met { on: *second };
            contact_met_by_attempts = true;
        }
    }

    let face_to_face = task(progress.face_to_face, deadlines.face_to_face_by, today);
    let med_rec_due = progress.face_to_face.unwrap_or(deadlines.face_to_face_by);
    let medication_reconciliation = task(progress.medication_reconciliation, med_rec_due, today);

    let supported_code = match progress.face_to_face {
        Some(visit) if interactive_contact.is_met() && medication_reconciliation.is_met() => {
            let days = days_between(discharge, visit);
            if deadlines.complexity == TcmComplexity::High && days <= 7 {
                Some(TcmComplexity::High.code())
            } else if days <= 14 {
                Some(TcmComplexity::Moderate.code())
            } else {
                None
            }
        }
        _ => None,
    };

    Ok(TcmStatus {
        interactive_contact,
        contact_met_by_attempts,
        face_to_face,
        medication_reconciliation,
        supported_code,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn deadlines_for_a_weekday_discharge() {
        // Monday 16 Nov 2026.
        let t = tcm_deadlines(d(2026, 11, 16), TcmComplexity::High).unwrap();
        assert_eq!(t.interactive_contact_by, d(2026, 11, 18));
        assert_eq!(t.face_to_face_by, d(2026, 11, 23));
        assert_eq!(t.medication_reconciliation_by, d(2026, 11, 23));
        assert_eq!(t.service_period_end, d(2026, 12, 15));
        let m = tcm_deadlines(d(2026, 11, 16), TcmComplexity::Moderate).unwrap();
        assert_eq!(m.face_to_face_by, d(2026, 11, 30));
        assert_eq!(m.interactive_contact_by, d(2026, 11, 18));
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn contact_deadline_skips_weekends_and_holidays() {
        let due = |y, m, day| {
            tcm_deadlines(d(y, m, day), TcmComplexity::Moderate)
                .unwrap()
                .interactive_contact_by
        };
        // Friday -> Tuesday.
        assert_eq!(due(2026, 11, 20), d(2026, 11, 24));
        // Saturday -> Tuesday.
        assert_eq!(due(2026, 11, 21), d(2026, 11, 24));
        // Wednesday before Thanksgiving -> Monday (Thu holiday, Fri counts).
        assert_eq!(due(2026, 11, 25), d(2026, 11, 30));
        // Thursday 24 Dec 2026 -> Tuesday 29 Dec (Fri 25 Christmas, weekend, Mon 28 is day 1).
        assert_eq!(due(2026, 12, 24), d(2026, 12, 29));
        // Wednesday 30 Dec 2026 -> Monday 4 Jan 2027 (Thu 31 day 1, Fri 1 Jan holiday).
        assert_eq!(due(2026, 12, 30), d(2027, 1, 4));
        // Thursday 30 Dec 2027 -> Tuesday 4 Jan 2028 (Fri 31 Dec observes New Year 2028).
        assert_eq!(due(2027, 12, 30), d(2028, 1, 4));
        // Friday 2 July 2027 -> Wednesday 7 July (Mon 5 observes July 4th).
        assert_eq!(due(2027, 7, 2), d(2027, 7, 7));
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn pending_met_overdue_and_late() {
        let t = tcm_deadlines(d(2026, 11, 20), TcmComplexity::High).unwrap(); // contact by Tue 24
        let none = TcmProgress::default();
        // Day before the deadline, on it, after it.
        let s = tcm_status(&t, &none, d(2026, 11, 23)).unwrap();
        assert_eq!(
            s.interactive_contact,
            TaskStatus::Pending {
                due: d(2026, 11, 24),
                days_left: 1
            }
        );
        let s = tcm_status(&t, &none, d(2026, 11, 24)).unwrap();
        assert_eq!(
            s.interactive_contact,
            TaskStatus::Pending {
                due: d(2026, 11, 24),
                days_left: 0
            }
        );
        let s = tcm_status(&t, &none, d(2026, 11, 25)).unwrap();
        assert_eq!(
            s.interactive_contact,
            TaskStatus::Overdue {
                due: d(2026, 11, 24),
                days_overdue: 1
            }
        );
        assert_eq!(s.supported_code, None);

        let on_time = TcmProgress {
            interactive_contact: Some(d(2026, 11, 24)),
            ..Default::default()
        };
        let s = tcm_status(&t, &on_time, d(2026, 12, 1)).unwrap();
        assert_eq!(
            s.interactive_contact,
            TaskStatus::Met {
                on: d(2026, 11, 24)
            }
        );
        // Face-to-face was due 27 Nov.
        assert_eq!(
            s.face_to_face,
            TaskStatus::Overdue {
                due: d(2026, 11, 27),
                days_overdue: 4
            }
        );

        let late = TcmProgress {
            interactive_contact: Some(d(2026, 11, 25)),
            ..Default::default()
        };
        let s = tcm_status(&t, &late, d(2026, 11, 25)).unwrap();
        assert_eq!(
            s.interactive_contact,
            TaskStatus::DoneLate {
                on: d(2026, 11, 25),
                due: d(2026, 11, 24)
            }
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn two_timely_attempts_satisfy_contact() {
        let t = tcm_deadlines(d(2026, 11, 20), TcmComplexity::Moderate).unwrap();
        let one = TcmProgress {
            unsuccessful_contact_attempts: vec![d(2026, 11, 23)],
            ..Default::default()
        };
        assert!(!tcm_status(&t, &one, d(2026, 11, 25))
            .unwrap()
            .interactive_contact
            .is_met());
        let two = TcmProgress {
            unsuccessful_contact_attempts: vec![d(2026, 11, 24), d(2026, 11, 23)],
            ..Default::default()
        };
        let s = tcm_status(&t, &two, d(2026, 11, 25)).unwrap();
        assert_eq!(
            s.interactive_contact,
            TaskStatus::Met {
                on: d(2026, 11, 24)
            }
        );
        assert!(s.contact_met_by_attempts);
        // A second attempt after the deadline does not count; the same day twice counts once.
        let late = TcmProgress {
            unsuccessful_contact_attempts: vec![d(2026, 11, 23), d(2026, 11, 25)],
            ..Default::default()
        };
        assert!(
            !tcm_status(&t, &late, d(2026, 11, 25))
                .unwrap()
                .contact_met_by_attempts
        );
        let same_day = TcmProgress {
            unsuccessful_contact_attempts: vec![d(2026, 11, 23), d(2026, 11, 23)],
            ..Default::default()
        };
        assert!(
            !tcm_status(&t, &same_day, d(2026, 11, 25))
                .unwrap()
                .contact_met_by_attempts
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn medication_reconciliation_due_by_visit_date() {
        let t = tcm_deadlines(d(2026, 11, 2), TcmComplexity::Moderate).unwrap(); // f2f by 16 Nov
        let p = TcmProgress {
            interactive_contact: Some(d(2026, 11, 3)),
            face_to_face: Some(d(2026, 11, 9)),
            medication_reconciliation: Some(d(2026, 11, 10)),
            ..Default::default()
        };
        let s = tcm_status(&t, &p, d(2026, 11, 25)).unwrap();
        assert_eq!(
            s.medication_reconciliation,
            TaskStatus::DoneLate {
                on: d(2026, 11, 10),
                due: d(2026, 11, 9)
            }
        );
        assert_eq!(s.supported_code, None);
        let p = TcmProgress {
            medication_reconciliation: Some(d(2026, 11, 9)),
            ..p
        };
        let s = tcm_status(&t, &p, d(2026, 11, 25)).unwrap();
        assert!(s.medication_reconciliation.is_met());
        assert_eq!(s.supported_code, Some("99495"));
        // Not yet visited: due by the face-to-face deadline.
        let p = TcmProgress {
            interactive_contact: Some(d(2026, 11, 3)),
            ..Default::default()
        };
        let s = tcm_status(&t, &p, d(2026, 11, 5)).unwrap();
        assert_eq!(
            s.medication_reconciliation,
            TaskStatus::Pending {
                due: d(2026, 11, 16),
                days_left: 11
            }
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn supported_code_by_visit_day() {
        let discharge = d(2026, 11, 2);
        let run = |complexity, visit_day: u32| {
            let t = tcm_deadlines(discharge, complexity).unwrap();
            let visit = d(2026, 11, 2 + visit_day);
            let p = TcmProgress {
                interactive_contact: Some(discharge),
                face_to_face: Some(visit),
                medication_reconciliation: Some(visit),
                ..Default::default()
            };
            let s = tcm_status(&t, &p, d(2026, 11, 28)).unwrap();
            (s.face_to_face.is_met(), s.supported_code)
        };
        assert_eq!(run(TcmComplexity::High, 6), (true, Some("99496")));
        assert_eq!(run(TcmComplexity::High, 7), (true, Some("99496")));
        // Day 8: misses the high-complexity window but still supports 99495.
        assert_eq!(run(TcmComplexity::High, 8), (false, Some("99495")));
        assert_eq!(run(TcmComplexity::Moderate, 13), (true, Some("99495")));
        assert_eq!(run(TcmComplexity::Moderate, 14), (true, Some("99495")));
        assert_eq!(run(TcmComplexity::Moderate, 15), (false, None));
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn work_before_discharge_is_an_error() {
        let t = tcm_deadlines(d(2026, 11, 16), TcmComplexity::High).unwrap();
        let p = TcmProgress {
            face_to_face: Some(d(2026, 11, 15)),
            ..Default::default()
        };
        assert!(matches!(
            tcm_status(&t, &p, d(2026, 11, 20)),
            Err(RuleError::BeforeDischarge { .. })
        ));
        let p = TcmProgress {
            unsuccessful_contact_attempts: vec![d(2026, 1, 1)],
            ..Default::default()
        };
        assert!(tcm_status(&t, &p, d(2026, 11, 20)).is_err());
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn end_of_calendar_is_an_error() {
        assert!(tcm_deadlines(NaiveDate::MAX, TcmComplexity::High).is_err());
        let t = tcm_deadlines(d(2026, 11, 16), TcmComplexity::High).unwrap();
        // Extreme "today" values do not panic.
        let _ = tcm_status(&t, &TcmProgress::default(), NaiveDate::MAX).unwrap();
        let _ = tcm_status(&t, &TcmProgress::default(), NaiveDate::MIN).unwrap();
    }
}
