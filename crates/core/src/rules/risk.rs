//! Risk tier and worklist priority for a patient.
//!
//! Why explicit and additive: a care manager must be able to see *why* a patient is at the top of
//! the list, so the tier is a count of named factors, each with a human-readable reason, rather than
//! an opaque model.
//!
//! Factors (each counts once):
//! 1. Highly comorbid: 3 or more chronic conditions.
//! 2. ADL impairment without a caregiver.
//! 3. A behavioural health condition.
//! 4. Discharged from hospital in the last 30 days (0–30 days before today; a discharge date after
//!    today is treated as not yet happened).
//! 5. LACE readmission index of 10 or more.
//! 6. Safety concern: PHQ-9 item 9 answered above "Not at all" on the latest PHQ-9 — open until a
//!    safety assessment of that PHQ-9 is recorded, then "safety assessed" with its risk level.
//!
//! Tier rule: 0 factors Low, 1 Moderate, 2 High, 3 or more Very high — and an open safety concern
//! makes the tier Very high on its own, whatever else is true, as does one assessed as high or
//! imminent risk. Once assessed as low or moderate risk it still counts as a factor: the clinician's
//! structured assessment, not the screening item alone, then decides how urgent the patient is.
//!
//! Priority (higher = work first): `tier base (Low 0, Moderate 100, High 200, Very high 300)
//! + 10 × factors + 6 × min(overdue follow-ups, 5) + min(days the oldest is overdue, 19)`.
//! The within-tier part is at most 99, so the tier always dominates; within a tier, more factors
//! and then more (and older) overdue work rise. Ties are broken by a caller-supplied key in
//! [`sort_worklist`], so the order is fully deterministic.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Everything the rule needs, as plain values the caller maps its record into.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskInputs {
    /// Number of active chronic conditions.
    pub chronic_conditions: u32,
    /// Dependent in one or more ADLs (e.g. Katz ADL below 6).
    pub adl_impaired: bool,
    pub has_caregiver: bool,
    pub lives_alone: bool,
    pub behavioral_health_condition: bool,
    pub last_discharge: Option<NaiveDate>,
    /// LACE index of the most recent admission.
    pub lace_score: Option<u32>,
    /// Open follow-ups past their due date.
    pub overdue_follow_ups: u32,
    /// Days the oldest overdue follow-up is past due.
    pub most_overdue_days: u32,
    /// PHQ-9 item 9 above zero on the most recent PHQ-9.
    pub phq9_safety_flag: bool,
    /// The safety assessment recorded for that PHQ-9, if any (the flag is then addressed).
    #[serde(default)]
    pub phq9_safety_assessed: Option<SafetyAssessed>,
    pub today: NaiveDate,
}

/// Ordered: `Low < Moderate < High < VeryHigh`. Serialized as its [`RiskTier::id`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskTier {
    Low,
    Moderate,
    High,
    VeryHigh,
}

impl RiskTier {
    pub const ALL: [RiskTier; 4] = [
        RiskTier::Low,
        RiskTier::Moderate,
        RiskTier::High,
        RiskTier::VeryHigh,
    ];

    /// Stable machine-readable id (what a stored summary should keep): "low", "moderate", "high",
    /// "very_high".
    pub fn id(self) -> &'static str {
        match self {
            RiskTier::Low => "low",
            RiskTier::Moderate => "moderate",
            RiskTier::High => "high",
            RiskTier::VeryHigh => "very_high",
        }
    }

    pub fn from_id(id: &str) -> Option<RiskTier> {
        RiskTier::ALL.iter().copied().find(|t| t.id() == id)
    }

    pub fn label(self) -> &'static str {
        match self {
            RiskTier::Low => "Low",
            RiskTier::Moderate => "Moderate",
            RiskTier::High => "High",
            RiskTier::VeryHigh => "Very high",
        }
    }

    fn base(self) -> u32 {
        match self {
            RiskTier::Low => 0,
            RiskTier::Moderate => 100,
            RiskTier::High => 200,
            RiskTier::VeryHigh => 300,
        }
    }
}

/// Risk level found by a clinician's safety assessment. Ordered: `Low < … < Imminent`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssessedRisk {
    Low,
    Moderate,
    High,
    Imminent,
}

impl AssessedRisk {
    pub fn label(self) -> &'static str {
        match self {
            AssessedRisk::Low => "low",
            AssessedRisk::Moderate => "moderate",
            AssessedRisk::High => "high",
            AssessedRisk::Imminent => "imminent",
        }
    }
}

/// A safety assessment of the flagged PHQ-9: when (if the stored day reads) and the risk found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SafetyAssessed {
    pub on: Option<NaiveDate>,
    pub risk: AssessedRisk,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RiskFactor {
    HighlyComorbid { conditions: u32 },
    AdlImpairmentWithoutCaregiver { lives_alone: bool },
    BehavioralHealth,
    RecentDischarge { days_ago: u32 },
    HighReadmissionRisk { lace: u32 },
    // PHQ-9 item 9 positive: not yet assessed (same-day), or its safety assessment recorded.
    SafetyConcern,
    SafetyAssessed(SafetyAssessed),
}

impl RiskFactor {
    /// One sentence a care manager can read in the worklist.
    pub fn reason(&self) -> String {
        match self {
            RiskFactor::HighlyComorbid { conditions } => {
                format!("{conditions} chronic conditions (3 or more is highly comorbid)")
            }
            RiskFactor::AdlImpairmentWithoutCaregiver { lives_alone: true } => {
                "Needs help with daily activities, lives alone and has no caregiver".into()
            }
            RiskFactor::AdlImpairmentWithoutCaregiver { lives_alone: false } => {
                "Needs help with daily activities and has no caregiver".into()
            }
            RiskFactor::BehavioralHealth => "Behavioral health condition".into(),
            RiskFactor::RecentDischarge { days_ago: 0 } => "Discharged from hospital today".into(),
            RiskFactor::RecentDischarge { days_ago: 1 } => {
                "Discharged from hospital 1 day ago".into()
            }
            RiskFactor::RecentDischarge { days_ago } => {
                format!("Discharged from hospital {days_ago} days ago (within 30 days)")
            }
            RiskFactor::HighReadmissionRisk { lace } => {
                format!("LACE readmission score {lace} (10 or more is high risk)")
            }
            RiskFactor::SafetyConcern => SAFETY_FLAG_REASON.into(),
            RiskFactor::SafetyAssessed(SafetyAssessed { on, risk }) => match on {
                Some(day) => format!(
                    "PHQ-9 item 9 positive; safety assessed {} (risk: {})",
                    day.format("%Y-%m-%d"),
                    risk.label()
                ),
                None => format!(
                    "PHQ-9 item 9 positive; safety assessed (risk: {})",
                    risk.label()
                ),
            },
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskAssessment {
    pub tier: RiskTier,
    /// In the fixed order of the module documentation.
    pub factors: Vec<RiskFactor>,
    /// `factors` as sentences, same order.
    pub reasons: Vec<String>,
    /// Worklist priority; higher first.
    pub priority: u32,
}

/// The reason an open safety flag gives (Today's worklist shows it once per patient).
pub const SAFETY_FLAG_REASON: &str =
    "Safety flag: PHQ-9 item 9 positive (thoughts of death or self-harm) — needs same-day safety assessment";

pub const HIGHLY_COMORBID_CONDITIONS: u32 = 3;
pub const RECENT_DISCHARGE_DAYS: i64 = 30;
pub const LACE_HIGH_RISK: u32 = super::instruments::LACE_HIGH_RISK;

/// Applies the rule in the module documentation.
pub fn assess_risk(inputs: &RiskInputs) -> RiskAssessment {
    let mut factors = Vec::new();
    if inputs.chronic_conditions >= HIGHLY_COMORBID_CONDITIONS {
        factors.push(RiskFactor::HighlyComorbid {
            conditions: inputs.chronic_conditions,
        });
    }
    if inputs.adl_impaired && !inputs.has_caregiver {
        factors.push(RiskFactor::AdlImpairmentWithoutCaregiver {
            lives_alone: inputs.lives_alone,
        });
    }
    if inputs.behavioral_health_condition {
        factors.push(RiskFactor::BehavioralHealth);
    }
    if let Some(discharge) = inputs.last_discharge {
        let days = inputs.today.signed_duration_since(discharge).num_days();
        if (0..=RECENT_DISCHARGE_DAYS).contains(&days) {
            factors.push(RiskFactor::RecentDischarge {
                days_ago: days as u32,
            });
        }
    }
    if let Some(lace) = inputs.lace_score {
        if lace >= LACE_HIGH_RISK {
            factors.push(RiskFactor::HighReadmissionRisk { lace });
        }
    }
    let mut safety_urgent = false;
    if inputs.phq9_safety_flag {
        match inputs.phq9_safety_assessed {
            None => {
                factors.push(RiskFactor::SafetyConcern);
                safety_urgent = true;
            }
            Some(assessed) => {
                factors.push(RiskFactor::SafetyAssessed(assessed));
                safety_urgent = assessed.risk >= AssessedRisk::High;
            }
        }
    }

    let tier = if safety_urgent {
        RiskTier::VeryHigh
    } else {
        match factors.len() {
            0 => RiskTier::Low,
            1 => RiskTier::Moderate,
            2 => RiskTier::High,
            _ => RiskTier::VeryHigh,
        }
    };
    let factor_points = 10 * factors.len().min(5) as u32;
    let overdue_points = 6 * inputs.overdue_follow_ups.min(5) + inputs.most_overdue_days.min(19);
    let priority = tier.base() + factor_points + overdue_points;

    RiskAssessment {
        tier,
        reasons: factors.iter().map(RiskFactor::reason).collect(),
        factors,
        priority,
    }
}

/// Overdue follow-ups among `due_dates` (open follow-ups only): how many are past due, and by how
/// many days the oldest is. A follow-up due today is not overdue.
pub fn overdue_follow_ups(due_dates: &[NaiveDate], today: NaiveDate) -> (u32, u32) {
    let mut count = 0u32;
    let mut most = 0u32;
    for due in due_dates {
        let days = today.signed_duration_since(*due).num_days();
        if days > 0 {
            count = count.saturating_add(1);
            most = most.max(u32::try_from(days).unwrap_or(u32::MAX));
        }
    }
    (count, most)
}

/// Sorts a worklist: higher priority first, then by the caller's tie-break key ascending (e.g. the
/// patient id), so two devices always show the same order.
pub fn sort_worklist<T>(items: &mut [T], key: impl Fn(&T) -> (u32, &str)) {
    items.sort_by(|a, b| {
        let (pa, ka) = key(a);
        let (pb, kb) = key(b);
        pb.cmp(&pa).then_with(|| ka.cmp(kb))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn today() -> NaiveDate {
        d(2026, 11, 25)
    }

    fn base() -> RiskInputs {
        RiskInputs {
            chronic_conditions: 0,
            adl_impaired: false,
            has_caregiver: false,
            lives_alone: false,
            behavioral_health_condition: false,
            last_discharge: None,
            lace_score: None,
            overdue_follow_ups: 0,
            most_overdue_days: 0,
            phq9_safety_flag: false,
            phq9_safety_assessed: None,
            today: today(),
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn tier_ids_round_trip_and_match_serde() {
        for t in RiskTier::ALL {
            assert_eq!(RiskTier::from_id(t.id()), Some(t));
            assert_eq!(
                serde_json::to_string(&t).unwrap(),
                format!("\"{}\"", t.id())
            );
        }
        assert_eq!(RiskTier::from_id("Very high"), None);
        assert!(RiskTier::Low < RiskTier::Moderate && RiskTier::High < RiskTier::VeryHigh);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn no_factors_is_low() {
        let a = assess_risk(&base());
        assert_eq!(a.tier, RiskTier::Low);
        assert!(a.factors.is_empty() && a.reasons.is_empty());
        assert_eq!(a.priority, 0);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn comorbidity_threshold_at_3() {
        for (n, tier) in [
            (2, RiskTier::Low),
            (3, RiskTier::Moderate),
            (4, RiskTier::Moderate),
        ] {
            let a = assess_risk(&RiskInputs {
                chronic_conditions: n,
                ..base()
            });
            assert_eq!(a.tier, tier, "{n} conditions");
        }
        let a = assess_risk(&RiskInputs {
            chronic_conditions: 3,
            ..base()
        });
        assert_eq!(
            a.reasons,
            vec!["3 chronic conditions (3 or more is highly comorbid)"]
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn adl_counts_only_without_caregiver() {
        let impaired = RiskInputs {
            adl_impaired: true,
            ..base()
        };
        assert_eq!(assess_risk(&impaired).tier, RiskTier::Moderate);
        let with_caregiver = RiskInputs {
            has_caregiver: true,
            ..impaired.clone()
        };
        assert_eq!(assess_risk(&with_caregiver).tier, RiskTier::Low);
        let alone = RiskInputs {
            lives_alone: true,
            ..impaired
        };
        assert!(assess_risk(&alone).reasons[0].contains("lives alone"));
        assert_eq!(
            assess_risk(&RiskInputs {
                lives_alone: true,
                ..base()
            })
            .tier,
            RiskTier::Low
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn discharge_window_is_0_to_30_days() {
        let cases = [
            (d(2026, 10, 25), false), // 31 days ago
            (d(2026, 10, 26), true),  // 30 days ago
            (d(2026, 10, 27), true),  // 29
            (d(2026, 11, 25), true),  // today
            (d(2026, 11, 26), false), // tomorrow: not yet happened
        ];
        for (date, recent) in cases {
            let a = assess_risk(&RiskInputs {
                last_discharge: Some(date),
                ..base()
            });
            assert_eq!(
                a.factors
                    .iter()
                    .any(|f| matches!(f, RiskFactor::RecentDischarge { .. })),
                recent,
                "{date}"
            );
        }
        let a = assess_risk(&RiskInputs {
            last_discharge: Some(d(2026, 10, 26)),
            ..base()
        });
        assert_eq!(
            a.factors,
            vec![RiskFactor::RecentDischarge { days_ago: 30 }]
        );
        // Extreme dates do not panic.
        for date in [NaiveDate::MIN, NaiveDate::MAX] {
            let _ = assess_risk(&RiskInputs {
                last_discharge: Some(date),
                ..base()
            });
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn lace_threshold_at_10() {
        for (lace, factor) in [(9, false), (10, true), (11, true)] {
            let a = assess_risk(&RiskInputs {
                lace_score: Some(lace),
                ..base()
            });
            assert_eq!(!a.factors.is_empty(), factor, "LACE {lace}");
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn tier_counts_factors() {
        let one = RiskInputs {
            behavioral_health_condition: true,
            ..base()
        };
        let two = RiskInputs {
            lace_score: Some(12),
            ..one.clone()
        };
        let three = RiskInputs {
            chronic_conditions: 5,
            ..two.clone()
        };
        assert_eq!(assess_risk(&one).tier, RiskTier::Moderate);
        assert_eq!(assess_risk(&two).tier, RiskTier::High);
        let a = assess_risk(&three);
        assert_eq!(a.tier, RiskTier::VeryHigh);
        // Factors come in the documented order.
        assert_eq!(
            a.factors,
            vec![
                RiskFactor::HighlyComorbid { conditions: 5 },
                RiskFactor::BehavioralHealth,
                RiskFactor::HighReadmissionRisk { lace: 12 },
            ]
        );
        assert_eq!(a.reasons.len(), 3);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn safety_flag_alone_is_very_high() {
        let a = assess_risk(&RiskInputs {
            phq9_safety_flag: true,
            ..base()
        });
        assert_eq!(a.tier, RiskTier::VeryHigh);
        assert_eq!(a.factors, vec![RiskFactor::SafetyConcern]);
        assert!(a.reasons[0].contains("self-harm"));
        assert!(a.reasons[0].contains("same-day"));
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn an_assessed_safety_flag_counts_by_its_risk_level() {
        let assessed = |risk| {
            assess_risk(&RiskInputs {
                phq9_safety_flag: true,
                phq9_safety_assessed: Some(SafetyAssessed {
                    on: Some(d(2026, 12, 7)),
                    risk,
                }),
                ..base()
            })
        };
        let low = assessed(AssessedRisk::Low);
        assert_eq!(low.tier, RiskTier::Moderate, "one factor, no longer forced");
        assert_eq!(
            low.reasons,
            vec!["PHQ-9 item 9 positive; safety assessed 2026-12-07 (risk: low)"]
        );
        assert!(!low.reasons[0].contains("same-day"));
        assert_eq!(assessed(AssessedRisk::Moderate).tier, RiskTier::Moderate);
        assert_eq!(assessed(AssessedRisk::High).tier, RiskTier::VeryHigh);
        assert_eq!(assessed(AssessedRisk::Imminent).tier, RiskTier::VeryHigh);
        // Without a positive item 9 an assessment adds nothing.
        let none = assess_risk(&RiskInputs {
            phq9_safety_assessed: Some(SafetyAssessed {
                on: None,
                risk: AssessedRisk::Imminent,
            }),
            ..base()
        });
        assert_eq!(none.tier, RiskTier::Low);
        assert!(none.reasons.is_empty());
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn priority_orders_tiers_first_then_factors_then_overdue() {
        let low_swamped = assess_risk(&RiskInputs {
            overdue_follow_ups: 1000,
            most_overdue_days: 1000,
            ..base()
        });
        let moderate = assess_risk(&RiskInputs {
            behavioral_health_condition: true,
            ..base()
        });
        assert_eq!(low_swamped.priority, 6 * 5 + 19);
        assert_eq!(moderate.priority, 110);
        assert!(moderate.priority > low_swamped.priority);

        let very_high_max = assess_risk(&RiskInputs {
            chronic_conditions: 9,
            adl_impaired: true,
            behavioral_health_condition: true,
            last_discharge: Some(today()),
            lace_score: Some(19),
            phq9_safety_flag: true,
            overdue_follow_ups: u32::MAX,
            most_overdue_days: u32::MAX,
            ..base()
        });
        assert_eq!(very_high_max.priority, 300 + 50 + 30 + 19);

        // Within a tier, overdue work raises priority.
        let moderate_overdue = assess_risk(&RiskInputs {
            overdue_follow_ups: 2,
            most_overdue_days: 9,
            ..moderate_inputs()
        });
        assert_eq!(moderate_overdue.priority, 100 + 10 + 12 + 9);
    }

    fn moderate_inputs() -> RiskInputs {
        RiskInputs {
            behavioral_health_condition: true,
            ..base()
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn overdue_counts_strictly_past_due() {
        let t = today();
        assert_eq!(overdue_follow_ups(&[], t), (0, 0));
        assert_eq!(overdue_follow_ups(&[t], t), (0, 0));
        assert_eq!(overdue_follow_ups(&[d(2026, 11, 24)], t), (1, 1));
        assert_eq!(
            overdue_follow_ups(&[d(2026, 11, 24), d(2026, 11, 1), d(2026, 12, 1)], t),
            (2, 24)
        );
        assert_eq!(overdue_follow_ups(&[NaiveDate::MIN], NaiveDate::MAX).0, 1);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn worklist_order_is_deterministic() {
        let mut list = vec![(110, "b"), (300, "z"), (110, "a"), (0, "c")];
        sort_worklist(&mut list, |e| (e.0, e.1));
        assert_eq!(list, vec![(300, "z"), (110, "a"), (110, "b"), (0, "c")]);
        let mut reversed = vec![(0, "c"), (110, "a"), (300, "z"), (110, "b")];
        sort_worklist(&mut reversed, |e| (e.0, e.1));
        assert_eq!(reversed, list);
    }
}
