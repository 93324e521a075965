//! Comparing what a file holds with a patient's record, item by item, and the ops that add what
//! is new. Nothing the care manager recorded is overwritten: a demographic detail is filled only
//! when the chart has none, and list items are only ever added.

use std::collections::HashMap;

use tend_core::ids::{new_item_id, PatientId};
use tend_core::ops::ProfileField;
use tend_core::record::*;
use tend_core::Op;

use super::{Content, Details, ImportPlan, IncomingPatient, ItemStatus, PlannedItem};

/// How an incoming item compares with another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Likeness {
    /// The same item, with the same details.
    Same,
    /// The same code or name, different details.
    Similar,
    Different,
}

/// A list item the import can add.
pub(super) trait Plannable: Clone + ListItem {
    /// The chart's section, as the preview names it.
    const SECTION: &'static str;
    fn set_id(&mut self, id: String);
    /// What it is, in words.
    fn label(&self) -> String;
    fn likeness(&self, other: &Self) -> Likeness;
    /// The ops that add it (the first one adds the item).
    fn into_ops(self) -> Vec<Op>;
    /// Ids of other items it links to (a goal's need, an action's goal).
    fn links(&mut self) -> Vec<&mut String> {
        Vec::new()
    }
}

/// Text compared as a person would: case and runs of spaces do not matter.
pub(super) fn norm(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn same_text(a: &str, b: &str) -> bool {
    norm(a) == norm(b)
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn likeness(similar: bool, same: bool) -> Likeness {
    match (similar, same) {
        (true, true) => Likeness::Same,
        (true, false) => Likeness::Similar,
        _ => Likeness::Different,
    }
}

fn words(s: &str) -> String {
    s.replace('_', " ")
}

fn date(d: &Option<IsoDate>) -> &str {
    d.as_ref().map(IsoDate::as_str).unwrap_or("")
}

/// `parts` that are not empty, joined.
fn join(parts: &[&str], sep: &str) -> String {
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(sep)
}

fn with_suffix(mut s: String, sep: &str, suffix: &str) -> String {
    if !suffix.trim().is_empty() {
        s.push_str(sep);
        s.push_str(suffix.trim());
    }
    s
}

impl Plannable for Identifier {
    const SECTION: &'static str = "Identifier";
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn label(&self) -> String {
        let kind = match self.system.as_str() {
            "mrn" => "MRN".to_string(),
            "medicare_mbi" => "Medicare MBI".to_string(),
            "medicaid" => "Medicaid ID".to_string(),
            "plan_member_id" => "Plan member ID".to_string(),
            "other" => "Identifier".to_string(),
            other => words(other),
        };
        let s = format!("{kind} {}", self.value);
        if self.issuer.is_empty() {
            s
        } else {
            format!("{s} ({})", self.issuer)
        }
    }
    /// "Added when the value is new": an identifier value the chart holds is already recorded.
    fn likeness(&self, other: &Self) -> Likeness {
        likeness(
            same_text(&self.value, &other.value),
            same_text(&self.value, &other.value),
        )
    }
    fn into_ops(self) -> Vec<Op> {
        vec![Op::AddIdentifier { identifier: self }]
    }
}

impl Plannable for Phone {
    const SECTION: &'static str = "Phone";
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn label(&self) -> String {
        let mut s = self.number.clone();
        if !self.label.is_empty() {
            s = format!("{s} ({})", self.label);
        }
        if self.primary {
            s.push_str(", primary");
        }
        s
    }
    fn likeness(&self, other: &Self) -> Likeness {
        let same = digits(&self.number) == digits(&other.number)
            && (!digits(&self.number).is_empty() || same_text(&self.number, &other.number));
        likeness(same, same)
    }
    fn into_ops(self) -> Vec<Op> {
        vec![Op::AddPhone { phone: self }]
    }
}

impl Plannable for Caregiver {
    const SECTION: &'static str = "Caregiver";
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn label(&self) -> String {
        let mut s = self.name.clone();
        if !self.relationship.is_empty() {
            s = format!("{s} ({})", self.relationship);
        }
        with_suffix(s, ", ", &self.phone)
    }
    fn likeness(&self, other: &Self) -> Likeness {
        likeness(
            same_text(&self.name, &other.name),
            same_text(&self.relationship, &other.relationship)
                && digits(&self.phone) == digits(&other.phone),
        )
    }
    fn into_ops(self) -> Vec<Op> {
        vec![Op::AddCaregiver { caregiver: self }]
    }
}

impl Plannable for Coverage {
    const SECTION: &'static str = "Insurance";
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn label(&self) -> String {
        let mut s = join(&[&self.payer, &self.plan], " — ");
        if !self.member_id.is_empty() {
            s = format!("{s}, member {}", self.member_id);
        }
        format!("{s} ({})", self.rank.as_str())
    }
    fn likeness(&self, other: &Self) -> Likeness {
        let same_member =
            !self.member_id.trim().is_empty() && same_text(&self.member_id, &other.member_id);
        likeness(
            same_text(&self.payer, &other.payer) || same_member,
            same_text(&self.payer, &other.payer)
                && same_text(&self.plan, &other.plan)
                && same_text(&self.member_id, &other.member_id)
                && same_text(&self.group, &other.group)
                && self.rank == other.rank,
        )
    }
    fn into_ops(self) -> Vec<Op> {
        vec![Op::AddCoverage { coverage: self }]
    }
}

fn program_name(kind: &ProgramKind) -> String {
    match kind {
        ProgramKind::Ccm => "Chronic care management (CCM)".into(),
        ProgramKind::Pcm => "Principal care management (PCM)".into(),
        ProgramKind::Tcm => "Transitional care management (TCM)".into(),
        ProgramKind::CaseManagement => "Case management episode".into(),
        ProgramKind::Bhi => "Behavioral health integration (BHI)".into(),
        ProgramKind::Other(s) => words(s),
    }
}

impl Plannable for ProgramEnrollment {
    const SECTION: &'static str = "Program";
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn label(&self) -> String {
        let mut s = program_name(&self.program);
        if let Some(d) = &self.start_date {
            s = format!("{s} from {}", d.as_str());
        }
        if self.status != ProgramStatus::Active {
            s = format!("{s} ({})", self.status.as_str());
        }
        if self.consent.is_some() {
            s.push_str(", consent recorded");
        }
        s
    }
    fn likeness(&self, other: &Self) -> Likeness {
        likeness(
            self.program == other.program,
            self.start_date == other.start_date && self.status == other.status,
        )
    }
    /// Enrols with the program's facts as read; a status history becomes one dated
    /// `SetProgramStatus` per change (so each is stamped by whoever imports), then the status the
    /// file gives is set again (with its end date and reason when it ended).
    fn into_ops(mut self) -> Vec<Op> {
        let history = std::mem::take(&mut self.status_changes);
        let id = self.id.clone();
        let status = self.status.clone();
        let ending = matches!(status, ProgramStatus::Ended | ProgramStatus::Declined);
        let (end_date, end_reason) = (self.end_date.clone(), self.end_reason.clone());
        let mut ops = vec![Op::EnrollProgram { enrollment: self }];
        if history.is_empty() {
            return ops;
        }
        for change in history {
            ops.push(Op::SetProgramStatus {
                program_id: id.clone(),
                status: change.status,
                date: Some(change.date),
                reason: change.reason,
                change_id: change.id,
            });
        }
        ops.push(Op::SetProgramStatus {
            program_id: id,
            status,
            date: if ending { end_date } else { None },
            reason: if ending { end_reason } else { String::new() },
            change_id: String::new(),
        });
        ops
    }
}

fn condition_status_words(s: &ConditionStatus) -> String {
    words(s.as_str())
}

impl Plannable for Condition {
    const SECTION: &'static str = "Condition";
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn label(&self) -> String {
        let mut s = self.text.clone();
        if !self.code.is_empty() {
            s = format!("{s} ({})", self.code);
        }
        if self.status != ConditionStatus::Active {
            s = format!("{s}, {}", condition_status_words(&self.status));
        }
        s
    }
    /// Similar: the same code when both are coded, else the same text; the same when the status
    /// and onset agree too.
    fn likeness(&self, other: &Self) -> Likeness {
        let both_coded = !self.code.trim().is_empty() && !other.code.trim().is_empty();
        let same_code = both_coded && same_text(&self.code, &other.code);
        let similar = same_code || same_text(&self.text, &other.text);
        likeness(
            similar,
            (!both_coded || same_code) && self.status == other.status && self.onset == other.onset,
        )
    }
    fn into_ops(self) -> Vec<Op> {
        vec![Op::AddCondition { condition: self }]
    }
}

impl Plannable for Allergy {
    const SECTION: &'static str = "Allergy";
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn label(&self) -> String {
        let mut s = with_suffix(self.substance.clone(), " — ", &self.reaction);
        if self.severity != AllergySeverity::Unknown {
            s = format!("{s}, {}", words(self.severity.as_str()));
        }
        if self.status != AllergyStatus::Active {
            s = format!("{s} ({})", self.status.as_str());
        }
        s
    }
    fn likeness(&self, other: &Self) -> Likeness {
        likeness(
            same_text(&self.substance, &other.substance),
            same_text(&self.reaction, &other.reaction) && self.severity == other.severity,
        )
    }
    fn into_ops(self) -> Vec<Op> {
        vec![Op::AddAllergy { allergy: self }]
    }
}

/// A medication's first word ("metformin" of "Metformin hydrochloride 500 mg tablet").
fn drug_word(name: &str) -> String {
    name.split(|c: char| !c.is_alphanumeric() && c != '-')
        .find(|w| !w.is_empty())
        .unwrap_or("")
        .to_lowercase()
}

/// A dose or frequency compared without case or spaces ("500 MG" is "500mg").
fn compact(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase()
}

impl Plannable for Medication {
    const SECTION: &'static str = "Medication";
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn label(&self) -> String {
        let mut s = self.name.clone();
        if !self.dose.is_empty() && !compact(&self.name).contains(&compact(&self.dose)) {
            s = format!("{s} {}", self.dose);
        }
        s = with_suffix(s, " — ", &self.frequency);
        if self.status != MedicationStatus::Active {
            s = format!("{s} ({})", words(self.status.as_str()));
        }
        s
    }
    /// Similar: the same drug (first word of the name); the same when the whole name, the dose
    /// and the frequency agree too.
    fn likeness(&self, other: &Self) -> Likeness {
        let drug = drug_word(&self.name);
        likeness(
            !drug.is_empty() && drug == drug_word(&other.name),
            same_text(&self.name, &other.name)
                && compact(&self.dose) == compact(&other.dose)
                && compact(&self.frequency) == compact(&other.frequency),
        )
    }
    fn into_ops(self) -> Vec<Op> {
        vec![Op::AddMedication { medication: self }]
    }
}

fn stay_dates(admitted: &Option<IsoDate>, discharged: &Option<IsoDate>) -> String {
    match (admitted, discharged) {
        (Some(a), Some(d)) => format!("{} to {}", a.as_str(), d.as_str()),
        (Some(a), None) => format!("from {}", a.as_str()),
        (None, Some(d)) => format!("to {}", d.as_str()),
        (None, None) => String::new(),
    }
}

/// Two stays: similar when admitted the same day (or, both undated, at the same facility).
fn stay_likeness(
    a: (&str, &Option<IsoDate>, &Option<IsoDate>),
    b: (&str, &Option<IsoDate>, &Option<IsoDate>),
) -> (bool, bool) {
    let similar = match (a.1, b.1) {
        (Some(x), Some(y)) => x == y,
        (None, None) => same_text(a.0, b.0),
        _ => false,
    };
    (similar, same_text(a.0, b.0) && a.2 == b.2)
}

impl Plannable for Hospitalization {
    const SECTION: &'static str = "Hospital stay";
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn label(&self) -> String {
        let what = if self.emergency_only {
            "Emergency visit"
        } else {
            "Hospital stay"
        };
        let place = join(
            &[
                &self.facility,
                &stay_dates(&self.admitted_on, &self.discharged_on),
            ],
            ", ",
        );
        let s = if place.is_empty() {
            what.to_string()
        } else {
            format!("{what}: {place}")
        };
        with_suffix(s, " — ", &self.reason)
    }
    fn likeness(&self, other: &Self) -> Likeness {
        let (similar, same) = stay_likeness(
            (&self.facility, &self.admitted_on, &self.discharged_on),
            (&other.facility, &other.admitted_on, &other.discharged_on),
        );
        likeness(similar, same && self.emergency_only == other.emergency_only)
    }
    fn into_ops(self) -> Vec<Op> {
        vec![Op::AddHospitalization {
            hospitalization: self,
        }]
    }
}

impl Plannable for Transition {
    const SECTION: &'static str = "Transition";
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn label(&self) -> String {
        let what = if self.setting == CareSetting::EdVisit {
            "ED visit"
        } else {
            "Transition of care"
        };
        let s = format!(
            "{what}: {}",
            join(
                &[
                    &self.facility,
                    &stay_dates(&self.admitted_on, &self.discharged_on)
                ],
                ", "
            )
        );
        with_suffix(s, " — ", &self.reason)
    }
    fn likeness(&self, other: &Self) -> Likeness {
        let (similar, same) = stay_likeness(
            (&self.facility, &self.admitted_on, &self.discharged_on),
            (&other.facility, &other.admitted_on, &other.discharged_on),
        );
        likeness(similar, same && self.status == other.status)
    }
    fn into_ops(self) -> Vec<Op> {
        vec![Op::RecordTransition { transition: self }]
    }
}

fn encounter_kind_words(k: &EncounterKind) -> String {
    match k {
        EncounterKind::Visit => "Visit".into(),
        EncounterKind::HomeVisit => "Home visit".into(),
        EncounterKind::Call => "Call".into(),
        EncounterKind::Video => "Video visit".into(),
        EncounterKind::Message => "Message".into(),
        EncounterKind::Other(s) => words(s),
    }
}

impl Plannable for Encounter {
    const SECTION: &'static str = "Visit";
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn label(&self) -> String {
        let s = format!(
            "{} {}",
            encounter_kind_words(&self.kind),
            self.date.as_str()
        );
        with_suffix(s, ": ", &self.subject)
    }
    fn likeness(&self, other: &Self) -> Likeness {
        likeness(
            self.date == other.date && self.kind == other.kind,
            same_text(&self.subject, &other.subject),
        )
    }
    fn into_ops(self) -> Vec<Op> {
        vec![Op::StartEncounter { encounter: self }]
    }
}

impl Plannable for FollowUp {
    const SECTION: &'static str = "Follow-up";
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn label(&self) -> String {
        let kind = match &self.kind {
            FollowUpKind::Call => "Call".to_string(),
            FollowUpKind::Visit => "Visit".to_string(),
            FollowUpKind::Video => "Video visit".to_string(),
            FollowUpKind::Message => "Message".to_string(),
            FollowUpKind::Other(s) => words(s),
        };
        let mut s = with_suffix(
            format!("{kind} due {}", self.due.as_str()),
            ": ",
            &self.reason,
        );
        if self.status != FollowUpStatus::Scheduled {
            s = format!("{s} ({})", self.status.as_str());
        }
        s
    }
    fn likeness(&self, other: &Self) -> Likeness {
        likeness(
            self.due == other.due && self.kind == other.kind,
            same_text(&self.reason, &other.reason) && self.status == other.status,
        )
    }
    fn into_ops(self) -> Vec<Op> {
        vec![Op::ScheduleFollowUp { follow_up: self }]
    }
}

/// An instrument's short name ("PHQ-9").
fn instrument_short(id: &str) -> String {
    match id {
        "phq2" => "PHQ-2".into(),
        "phq9" => "PHQ-9".into(),
        "gad7" => "GAD-7".into(),
        "katz_adl" => "Katz ADL".into(),
        "lawton_iadl" => "Lawton IADL".into(),
        "ahc_hrsn" => "AHC HRSN screening".into(),
        "lace" => "LACE index".into(),
        "charlson" => "Charlson index".into(),
        "steadi_stay_independent" => "STEADI Stay Independent".into(),
        other => words(other),
    }
}

fn sorted_answers(r: &InstrumentResponse) -> Vec<(&str, i64)> {
    let mut a: Vec<(&str, i64)> = r
        .answers
        .iter()
        .map(|a| (a.item.as_str(), a.value))
        .collect();
    a.sort_unstable();
    a
}

impl Plannable for InstrumentResponse {
    const SECTION: &'static str = "Assessment";
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn label(&self) -> String {
        let mut s = format!(
            "{}, {}",
            instrument_short(&self.instrument),
            self.date.as_str()
        );
        if let Some(t) = self.total {
            s = format!("{s}: total {t}");
        }
        s
    }
    fn likeness(&self, other: &Self) -> Likeness {
        likeness(
            self.instrument == other.instrument && self.date == other.date,
            self.total == other.total && sorted_answers(self) == sorted_answers(other),
        )
    }
    fn into_ops(self) -> Vec<Op> {
        vec![Op::RecordInstrument { response: self }]
    }
}

impl Plannable for SocialNeed {
    const SECTION: &'static str = "Social need";
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn label(&self) -> String {
        let mut domain = words(self.domain.as_str());
        if let Some(first) = domain.get(..1) {
            domain = format!("{}{}", first.to_uppercase(), domain.get(1..).unwrap_or(""));
        }
        let mut s = with_suffix(domain, ": ", &self.detail);
        if self.status != NeedStatus::Identified {
            s = format!("{s} ({})", words(self.status.as_str()));
        }
        s
    }
    fn likeness(&self, other: &Self) -> Likeness {
        likeness(
            self.domain == other.domain,
            same_text(&self.detail, &other.detail) && self.status == other.status,
        )
    }
    fn into_ops(self) -> Vec<Op> {
        vec![Op::AddSocialNeed { need: self }]
    }
}

impl Plannable for Need {
    const SECTION: &'static str = "Need";
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn label(&self) -> String {
        let mut s = self.description.clone();
        if self.status != NeedStatus::Identified {
            s = format!("{s} ({})", words(self.status.as_str()));
        }
        s
    }
    fn likeness(&self, other: &Self) -> Likeness {
        likeness(
            same_text(&self.description, &other.description),
            self.status == other.status && same_text(&self.domain, &other.domain),
        )
    }
    fn into_ops(self) -> Vec<Op> {
        vec![Op::AddNeed { need: self }]
    }
}

impl Plannable for Goal {
    const SECTION: &'static str = "Goal";
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn label(&self) -> String {
        let mut s = with_suffix(
            self.description.clone(),
            " — ",
            &join(&[&self.measure, &self.target], " "),
        );
        if let Some(d) = &self.due {
            s = format!("{s}, by {}", d.as_str());
        }
        if self.status != GoalStatus::Active {
            s = format!("{s} ({})", words(self.status.as_str()));
        }
        s
    }
    fn likeness(&self, other: &Self) -> Likeness {
        likeness(
            same_text(&self.description, &other.description),
            same_text(&self.measure, &other.measure)
                && same_text(&self.target, &other.target)
                && self.due == other.due
                && self.status == other.status,
        )
    }
    fn into_ops(self) -> Vec<Op> {
        vec![Op::AddGoal { goal: self }]
    }
    fn links(&mut self) -> Vec<&mut String> {
        vec![&mut self.need_id]
    }
}

impl Plannable for CareAction {
    const SECTION: &'static str = "Action";
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn label(&self) -> String {
        let mut s = self.description.clone();
        if let Some(d) = &self.due {
            s = format!("{s}, due {}", d.as_str());
        }
        if self.status != ActionStatus::Planned {
            s = format!("{s} ({})", words(self.status.as_str()));
        }
        s
    }
    fn likeness(&self, other: &Self) -> Likeness {
        likeness(
            same_text(&self.description, &other.description),
            self.status == other.status
                && self.due == other.due
                && self.responsible == other.responsible,
        )
    }
    fn into_ops(self) -> Vec<Op> {
        vec![Op::AddAction { action: self }]
    }
    fn links(&mut self) -> Vec<&mut String> {
        vec![&mut self.goal_id]
    }
}

impl Plannable for Referral {
    const SECTION: &'static str = "Referral";
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn label(&self) -> String {
        let s = with_suffix(format!("Referral to {}", self.to), ": ", &self.reason);
        format!("{s} ({})", words(self.status.as_str()))
    }
    fn likeness(&self, other: &Self) -> Likeness {
        likeness(
            self.kind == other.kind && same_text(&self.to, &other.to),
            self.status == other.status
                && same_text(&self.reason, &other.reason)
                && self.sent_on == other.sent_on,
        )
    }
    fn into_ops(self) -> Vec<Op> {
        vec![Op::AddReferral { referral: self }]
    }
    fn links(&mut self) -> Vec<&mut String> {
        vec![&mut self.need_id, &mut self.goal_id]
    }
}

/// The links an op's item makes to other items (rewritten when their target is not added).
pub(super) fn links_of_op(op: &mut Op) -> Vec<&mut String> {
    match op {
        Op::AddGoal { goal } => vec![&mut goal.need_id],
        Op::AddAction { action } => vec![&mut action.goal_id],
        Op::AddReferral { referral } => vec![&mut referral.need_id, &mut referral.goal_id],
        _ => Vec::new(),
    }
}

fn apply_alias(links: Vec<&mut String>, alias: &HashMap<String, String>) {
    for link in links {
        if let Some(to) = alias.get(link.as_str()) {
            *link = to.clone();
        }
    }
}

/// Within one file, an item that is the same as an earlier one (the same Tend id, or the same
/// details) counts once; links to the dropped one go to the one kept.
fn dedupe<T: Plannable>(items: &mut Vec<T>, alias: &mut HashMap<String, String>) {
    let mut kept: Vec<T> = Vec::with_capacity(items.len());
    for mut item in std::mem::take(items) {
        apply_alias(item.links(), alias);
        match kept
            .iter()
            .find(|k| k.id() == item.id() || item.likeness(k) == Likeness::Same)
        {
            Some(k) => {
                if k.id() != item.id() {
                    alias.insert(item.id().to_string(), k.id().to_string());
                }
            }
            None => kept.push(item),
        }
    }
    *items = kept;
}

/// Drops the repeats of one patient's items (see [`dedupe`]), in link order.
pub(super) fn dedupe_content(c: &mut Content) {
    let mut alias = HashMap::new();
    dedupe(&mut c.identifiers, &mut alias);
    dedupe(&mut c.phones, &mut alias);
    dedupe(&mut c.caregivers, &mut alias);
    dedupe(&mut c.coverages, &mut alias);
    dedupe(&mut c.programs, &mut alias);
    dedupe(&mut c.conditions, &mut alias);
    dedupe(&mut c.allergies, &mut alias);
    dedupe(&mut c.medications, &mut alias);
    dedupe(&mut c.hospitalizations, &mut alias);
    dedupe(&mut c.transitions, &mut alias);
    dedupe(&mut c.encounters, &mut alias);
    dedupe(&mut c.follow_ups, &mut alias);
    dedupe(&mut c.responses, &mut alias);
    dedupe(&mut c.social_needs, &mut alias);
    dedupe(&mut c.needs, &mut alias);
    dedupe(&mut c.goals, &mut alias);
    dedupe(&mut c.actions, &mut alias);
    dedupe(&mut c.referrals, &mut alias);
}

/// Plans one list: by Tend item id first, then by likeness with the record's active items.
/// `alias` maps incoming ids to the ids the chart will have (an item already recorded under
/// another id; an id the chart used for a removed item, which a new item cannot reuse).
fn plan_list<T: Plannable>(
    incoming: &[T],
    existing: &[T],
    alias: &mut HashMap<String, String>,
    items: &mut Vec<PlannedItem>,
) {
    for item in incoming {
        let mut item = item.clone();
        apply_alias(item.links(), alias);
        let planned =
            |item: T, status: ItemStatus, replaces: Option<(String, String)>| PlannedItem {
                section: T::SECTION.to_string(),
                label: item.label(),
                ops: if status == ItemStatus::AlreadyRecorded {
                    Vec::new()
                } else {
                    item.into_ops()
                },
                status,
                replaces,
            };
        if let Some(same_id) = existing.iter().find(|e| e.id() == item.id()) {
            if same_id.is_active() {
                items.push(planned(item, ItemStatus::AlreadyRecorded, None));
                continue;
            }
            // Removed from the chart: not "already recorded", and its id is taken.
            let fresh = new_item_id();
            alias.insert(item.id().to_string(), fresh.clone());
            item.set_id(fresh);
        }
        let active = || existing.iter().filter(|e| e.is_active());
        if let Some(e) = active().find(|e| item.likeness(e) == Likeness::Same) {
            alias.insert(item.id().to_string(), e.id().to_string());
            items.push(planned(item, ItemStatus::AlreadyRecorded, None));
        } else if let Some(e) = active().find(|e| item.likeness(e) == Likeness::Similar) {
            let replaces = Some((item.id().to_string(), e.id().to_string()));
            let of = e.label();
            items.push(planned(
                item,
                ItemStatus::PossibleDuplicate { of },
                replaces,
            ));
        } else {
            items.push(planned(item, ItemStatus::New, None));
        }
    }
}

fn code_status_words(s: &CodeStatus) -> String {
    match s {
        CodeStatus::FullCode => "Full code".into(),
        CodeStatus::Dnr => "DNR".into(),
        CodeStatus::DnrDni => "DNR/DNI".into(),
        CodeStatus::ComfortCare => "Comfort care".into(),
        other => words(other.as_str()),
    }
}

pub(super) fn address_line(a: &Address) -> String {
    let region = join(&[&a.region, &a.postal_code], " ");
    join(&[&a.line1, &a.line2, &a.city, &region, &a.country], ", ")
}

/// One demographic detail: filled when the chart has none, listed as recorded when the chart
/// agrees, noted as a difference (and left alone) when it does not.
struct DetailPlan<'a> {
    items: &'a mut Vec<PlannedItem>,
    differences: &'a mut Vec<String>,
}

impl DetailPlan<'_> {
    fn text(&mut self, what: &str, incoming: &str, chart: &str, op: impl FnOnce() -> Op) {
        self.detail(what, incoming, chart, same_text(incoming, chart), op);
    }

    fn detail(
        &mut self,
        what: &str,
        incoming: &str,
        chart: &str,
        same: bool,
        op: impl FnOnce() -> Op,
    ) {
        if incoming.trim().is_empty() {
            return;
        }
        let label = format!("{what}: {incoming}");
        let (status, ops) = if chart.trim().is_empty() {
            (ItemStatus::New, vec![op()])
        } else if same {
            (ItemStatus::AlreadyRecorded, Vec::new())
        } else {
            self.differences.push(format!(
                "{what}: the file says {incoming}; the chart keeps {chart}"
            ));
            return;
        };
        self.items.push(PlannedItem {
            section: "Details".into(),
            label,
            status,
            ops,
            replaces: None,
        });
    }
}

fn plan_details(
    d: &Details,
    p: &Profile,
    items: &mut Vec<PlannedItem>,
    differences: &mut Vec<String>,
) {
    let mut plan = DetailPlan { items, differences };
    if let Some(dob) = &d.date_of_birth {
        let chart = date(&p.date_of_birth).to_string();
        plan.text("Date of birth", dob.as_str(), &chart, || {
            Op::SetDateOfBirth {
                date: Some(dob.clone()),
            }
        });
    }
    let texts = [
        ("Sex", ProfileField::Sex, &d.sex, &p.sex),
        (
            "Gender identity",
            ProfileField::GenderIdentity,
            &d.gender_identity,
            &p.gender_identity,
        ),
        ("Pronouns", ProfileField::Pronouns, &d.pronouns, &p.pronouns),
        (
            "Preferred language",
            ProfileField::PreferredLanguage,
            &d.preferred_language,
            &p.preferred_language,
        ),
        ("Email", ProfileField::Email, &d.email, &p.email),
    ];
    for (what, field, incoming, chart) in texts {
        plan.text(what, incoming, chart, || Op::SetProfileText {
            field,
            value: incoming.clone(),
        });
    }
    match d.interpreter_needed {
        Some(true) => plan.detail(
            "Interpreter needed",
            "yes",
            if p.interpreter_needed { "yes" } else { "" },
            true,
            || Op::SetInterpreterNeeded { needed: true },
        ),
        Some(false) if p.interpreter_needed => plan
            .differences
            .push("Interpreter needed: the file says no; the chart keeps yes".to_string()),
        _ => {}
    }
    let incoming_address = address_line(&d.address);
    let chart_address = address_line(&p.address);
    plan.text("Address", &incoming_address, &chart_address, || {
        Op::SetAddress {
            address: d.address.clone(),
        }
    });
    if !matches!(d.code_status, CodeStatus::Unknown | CodeStatus::Other(_)) {
        let chart = match p.code_status {
            CodeStatus::Unknown => String::new(),
            ref s => code_status_words(s),
        };
        let status = d.code_status.clone();
        plan.detail(
            "Code status",
            &code_status_words(&d.code_status),
            &chart,
            d.code_status == p.code_status,
            || Op::SetCodeStatus { status },
        );
    }
}

/// What importing `incoming` would do: into `existing` (the matched record), or as a new patient
/// when `None`. Every op planned applies to that record (or to a new patient's empty document).
pub fn plan_import(incoming: &IncomingPatient, existing: Option<&PatientRecord>) -> ImportPlan {
    let empty = PatientRecord::default();
    let record = existing.unwrap_or(&empty);
    let c = &incoming.content;
    let mut items = Vec::new();
    let mut differences = Vec::new();
    let mut alias = HashMap::new();

    plan_details(&c.details, &record.profile, &mut items, &mut differences);
    if existing.is_some() {
        let (file, chart) = (incoming.name.display(), record.name.display());
        if !file.is_empty() && !same_text(&file, &chart) {
            differences.push(format!(
                "Name: the file says {file}; the chart keeps {chart}"
            ));
        }
    }
    let a = &mut alias;
    let i = &mut items;
    plan_list(&c.identifiers, &record.profile.identifiers, a, i);
    plan_list(&c.phones, &record.profile.phones, a, i);
    plan_list(&c.caregivers, &record.support.caregivers, a, i);
    plan_list(&c.coverages, &record.profile.coverages, a, i);
    plan_list(&c.programs, &record.programs, a, i);
    plan_list(&c.conditions, &record.medical.conditions, a, i);
    plan_list(&c.allergies, &record.medical.allergies, a, i);
    plan_list(&c.medications, &record.medical.medications, a, i);
    plan_list(&c.hospitalizations, &record.medical.hospitalizations, a, i);
    plan_list(&c.transitions, &record.transitions, a, i);
    plan_list(&c.encounters, &record.encounters, a, i);
    plan_list(&c.follow_ups, &record.follow_ups, a, i);
    plan_list(&c.responses, &record.assessments.responses, a, i);
    plan_list(&c.social_needs, &record.social_needs, a, i);
    plan_list(&c.needs, &record.care_plan.needs, a, i);
    plan_list(&c.goals, &record.care_plan.goals, a, i);
    plan_list(&c.actions, &record.care_plan.actions, a, i);
    plan_list(&c.referrals, &record.coordination.referrals, a, i);

    let new_patient_id = existing
        .and_then(|r| PatientId::parse(&r.id))
        .or_else(|| incoming.tend_id.clone())
        .unwrap_or_else(PatientId::random);
    ImportPlan {
        name: incoming.name.clone(),
        existing: existing.is_some(),
        new_patient_id,
        items,
        differences,
    }
}
