//! Maps a patient record into the rules module's plain inputs (the rules know nothing of the
//! document schema): latest instrument results, risk inputs, and the resulting risk assessment.

use chrono::NaiveDate;

use crate::record::*;
use crate::rules::{
    self, AssessedRisk, Flag, Instrument, InstrumentResult, RiskAssessment, RiskInputs,
    SafetyAssessed,
};

/// The most recent active response of `instrument`, by date (ties: the later recorded).
pub fn latest_response(
    record: &PatientRecord,
    instrument: Instrument,
) -> Option<&InstrumentResponse> {
    record
        .assessments
        .responses
        .iter()
        .filter(|r| r.is_active() && r.instrument == instrument.id())
        .max_by(|a, b| (&a.date, a.recorded.at).cmp(&(&b.date, b.recorded.at)))
}

/// Rescores a stored response with the rules module, so flags (e.g. PHQ-9 item 9) come from one
/// place. `None` when the response does not fit the instrument's current item table.
pub fn rescore(response: &InstrumentResponse) -> Option<InstrumentResult> {
    let instrument = Instrument::from_id(&response.instrument)?;
    let pairs = response.answers.iter().map(|a| (a.item.as_str(), a.value));
    let answers = rules::answers_by_item_id(instrument, pairs).ok()?;
    rules::score(instrument, &answers).ok()
}

/// Builds the response to store from the answers given on screen: each answer keyed by its item
/// id, and the total scored here, by the rules — never by the page. Also returns the scored
/// result (total, band, flags) to show. Answers that do not fit the instrument are an error.
pub fn instrument_response(
    instrument: Instrument,
    answers: &[rules::Answer],
    id: String,
    date: IsoDate,
    administered_by: String,
) -> Result<(InstrumentResponse, InstrumentResult), rules::RuleError> {
    let result = rules::score(instrument, answers)?;
    let stored = rules::item_id_values(instrument, answers)
        .into_iter()
        .map(|(item, value)| Answer {
            item: item.to_string(),
            value,
        })
        .collect();
    let response = InstrumentResponse {
        id,
        instrument: instrument.id().to_string(),
        answers: stored,
        total: Some(i64::from(result.total)),
        date,
        administered_by,
        ..Default::default()
    };
    Ok((response, result))
}

/// Whether `response` raised the safety flag (PHQ-9 item 9 above "Not at all").
pub fn raises_safety_flag(response: &InstrumentResponse) -> bool {
    rescore(response).is_some_and(|r| r.flags.contains(&Flag::SafetyRisk))
}

/// The latest PHQ-9 when its item 9 is positive, whether or not its flag has been addressed (the
/// patient handout keeps printing the crisis line from it).
pub fn latest_safety_response(record: &PatientRecord) -> Option<&InstrumentResponse> {
    latest_response(record, Instrument::Phq9).filter(|r| raises_safety_flag(r))
}

/// The active safety assessments of the response `response_id`, oldest first.
pub fn safety_assessments_of<'a>(
    record: &'a PatientRecord,
    response_id: &str,
) -> Vec<&'a SafetyAssessment> {
    let mut list: Vec<&SafetyAssessment> = record
        .assessments
        .safety_assessments
        .iter()
        .filter(|a| a.is_active() && a.response_id == response_id)
        .collect();
    list.sort_by(|a, b| (&a.date, a.recorded.at, &a.id).cmp(&(&b.date, b.recorded.at, &b.id)));
    list
}

/// Where the safety flag of the latest PHQ-9 stands.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SafetyFlag<'a> {
    /// Item 9 positive and no safety assessment of this response yet: needs one the same day.
    Open {
        response: &'a InstrumentResponse,
        /// Who took it, and when (`Op::AcknowledgeSafetyFlag`).
        acknowledged: Option<&'a Stamp>,
    },
    /// Item 9 positive and assessed: `assessment` is the latest safety assessment of it (two
    /// devices may each have recorded one).
    Addressed {
        response: &'a InstrumentResponse,
        assessment: &'a SafetyAssessment,
    },
}

/// The safety flag of the latest PHQ-9; `None` when its item 9 is not positive (or there is none).
/// A new PHQ-9 with item 9 positive raises a new flag, open until it is assessed in turn.
pub fn safety_flag(record: &PatientRecord) -> Option<SafetyFlag<'_>> {
    let response = latest_safety_response(record)?;
    Some(match safety_assessments_of(record, &response.id).pop() {
        Some(assessment) => SafetyFlag::Addressed {
            response,
            assessment,
        },
        None => SafetyFlag::Open {
            response,
            acknowledged: response.safety_acknowledged.as_ref(),
        },
    })
}

/// The PHQ-9 whose safety flag is open (item 9 positive on the latest PHQ-9, and no safety
/// assessment recorded for it).
pub fn open_safety_flag(record: &PatientRecord) -> Option<&InstrumentResponse> {
    match safety_flag(record)? {
        SafetyFlag::Open { response, .. } => Some(response),
        SafetyFlag::Addressed { .. } => None,
    }
}

/// A stored risk level as the rules read it; a level this build does not know (or none) counts
/// as high, so an unreadable assessment never lowers the tier.
pub fn assessed_risk(level: &SafetyRiskLevel) -> AssessedRisk {
    match level {
        SafetyRiskLevel::Low => AssessedRisk::Low,
        SafetyRiskLevel::Moderate => AssessedRisk::Moderate,
        SafetyRiskLevel::Imminent => AssessedRisk::Imminent,
        SafetyRiskLevel::High | SafetyRiskLevel::NotRecorded | SafetyRiskLevel::Other(_) => {
            AssessedRisk::High
        }
    }
}

/// Flags raised by the latest response of every instrument. The safety flag (PHQ-9 item 9) is
/// reported only while it is open: once its safety assessment is recorded it leaves the summary
/// and the chart banner (the assessment stays in the record).
pub fn instrument_flags(record: &PatientRecord) -> Vec<Flag> {
    let addressed = matches!(safety_flag(record), Some(SafetyFlag::Addressed { .. }));
    let mut flags: Vec<Flag> = Instrument::ALL
        .iter()
        .filter_map(|i| latest_response(record, *i))
        .filter_map(rescore)
        .flat_map(|r| r.flags)
        .filter(|f| !(addressed && *f == Flag::SafetyRisk))
        .collect();
    flags.sort();
    flags.dedup();
    flags
}

fn total_of(record: &PatientRecord, instrument: Instrument) -> Option<i64> {
    let latest = latest_response(record, instrument)?;
    rescore(latest).map(|r| i64::from(r.total)).or(latest.total)
}

/// ICD-10-CM chapter V (F01-F99): mental, behavioural and neurodevelopmental disorders.
fn is_behavioral(condition: &Condition) -> bool {
    condition.code.trim().to_ascii_uppercase().starts_with('F')
}

pub fn risk_inputs(record: &PatientRecord, today: NaiveDate) -> RiskInputs {
    let active_conditions = record.medical.conditions.iter().filter(|c| {
        c.is_active()
            && matches!(
                c.status,
                ConditionStatus::Active | ConditionStatus::Controlled
            )
    });
    let overdue: Vec<i64> = record
        .follow_ups
        .iter()
        .filter(|f| f.is_active() && f.status == FollowUpStatus::Scheduled)
        .filter_map(|f| f.due.date())
        .filter(|d| *d < today)
        .map(|d| (today - d).num_days())
        .collect();
    let katz = total_of(record, Instrument::KatzAdl);
    RiskInputs {
        chronic_conditions: u32::try_from(active_conditions.clone().filter(|c| c.chronic).count())
            .unwrap_or(u32::MAX),
        adl_impaired: katz.is_some_and(|t| t < 6),
        has_caregiver: record.support.caregivers.iter().any(|c| c.is_active()),
        lives_alone: record.support.lives_alone == Some(true),
        behavioral_health_condition: active_conditions.clone().any(is_behavioral),
        last_discharge: crate::transitions::last_discharge(record, today),
        lace_score: crate::transitions::risk_lace(record, today),
        overdue_follow_ups: u32::try_from(overdue.len()).unwrap_or(u32::MAX),
        most_overdue_days: overdue
            .iter()
            .max()
            .and_then(|d| u32::try_from(*d).ok())
            .unwrap_or(0),
        phq9_safety_flag: latest_safety_response(record).is_some(),
        phq9_safety_assessed: match safety_flag(record) {
            Some(SafetyFlag::Addressed { assessment, .. }) => Some(SafetyAssessed {
                on: assessment.date.date(),
                risk: assessed_risk(&assessment.risk_level),
            }),
            _ => None,
        },
        today,
    }
}

pub fn assess(record: &PatientRecord, today: NaiveDate) -> RiskAssessment {
    rules::assess_risk(&risk_inputs(record, today))
}

/// A flag as the stable snake_case id a stored summary keeps.
pub fn flag_id(flag: Flag) -> String {
    let debug = format!("{flag:?}");
    let mut out = String::new();
    for (i, ch) in debug.chars().enumerate() {
        if ch.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn a_response_is_built_and_totalled_by_core_and_rescores_the_same() {
        // PHQ-9: items 1-8 "several days" (1), item 9 "more than half the days" (2).
        let mut answers: Vec<rules::Answer> = (0..8).map(|_| rules::Answer::Choice(1)).collect();
        answers.push(rules::Answer::Choice(2));
        let expected_total = 8 + 2;
        let (response, result) = instrument_response(
            Instrument::Phq9,
            &answers,
            "r1".into(),
            IsoDate("2026-11-29".into()),
            "Ana López".into(),
        )
        .expect("valid answers");
        assert_eq!(result.total, expected_total);
        assert_eq!(response.total, Some(i64::from(expected_total)));
        assert_eq!(response.instrument, "phq9");
        assert_eq!(response.answers.len(), 9);
        assert_eq!(response.administered_by, "Ana López");
        assert!(result.flags.contains(&Flag::SafetyRisk), "item 9 positive");
        assert_eq!(
            rescore(&response),
            Some(result),
            "stored answers score the same"
        );

        let too_few = &answers[..5];
        assert!(instrument_response(
            Instrument::Phq9,
            too_few,
            "r2".into(),
            IsoDate("2026-11-29".into()),
            String::new()
        )
        .is_err());
    }
}
