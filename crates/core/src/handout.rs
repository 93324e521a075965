//! What the patient keeps and what to teach: the day's medication schedule (from each
//! medication's structured timing), teaching suggestions (from the problem list, the medication
//! list and teach-back results), and the printed handout with its headings in the patient's
//! language (English and Spanish; free text stays as written).

use chrono::NaiveDate;

use crate::record::*;

/// A time of day a medication is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Slot {
    Morning,
    Noon,
    Evening,
    Bedtime,
    /// Minutes after midnight.
    Clock(u32),
}

impl Slot {
    pub const NAMED: [Slot; 4] = [Slot::Morning, Slot::Noon, Slot::Evening, Slot::Bedtime];

    /// "morning", "noon", "evening", "bedtime" or "HH:MM" (24-hour).
    pub fn parse(s: &str) -> Option<Slot> {
        match s.trim().to_ascii_lowercase().as_str() {
            "morning" => Some(Slot::Morning),
            "noon" => Some(Slot::Noon),
            "evening" => Some(Slot::Evening),
            "bedtime" => Some(Slot::Bedtime),
            other => {
                let (h, m) = other.split_once(':')?;
                let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
                (h < 24 && m < 60 && other.len() == 5).then_some(Slot::Clock(h * 60 + m))
            }
        }
    }

    /// The stored form.
    pub fn id(self) -> String {
        match self {
            Slot::Morning => "morning".into(),
            Slot::Noon => "noon".into(),
            Slot::Evening => "evening".into(),
            Slot::Bedtime => "bedtime".into(),
            Slot::Clock(m) => format!("{:02}:{:02}", m / 60, m % 60),
        }
    }

    /// When in the day it falls, for ordering columns (named times at their usual hour).
    fn minutes(self) -> u32 {
        match self {
            Slot::Morning => 8 * 60,
            Slot::Noon => 12 * 60,
            Slot::Evening => 18 * 60,
            Slot::Bedtime => 21 * 60 + 30,
            Slot::Clock(m) => m,
        }
    }

    pub fn label(self, lang: Lang) -> String {
        let l = lang.labels();
        match self {
            Slot::Morning => l.morning.into(),
            Slot::Noon => l.noon.into(),
            Slot::Evening => l.evening.into(),
            Slot::Bedtime => l.bedtime.into(),
            Slot::Clock(_) => self.id(),
        }
    }
}

/// Structured times as a sentence ("Morning, bedtime · with food").
pub fn schedule_text(s: &MedicationSchedule, lang: Lang) -> String {
    let l = lang.labels();
    let mut slots: Vec<Slot> = s.times.iter().filter_map(|t| Slot::parse(t)).collect();
    slots.sort_by_key(|s| (s.minutes(), *s));
    slots.dedup();
    let mut parts = Vec::new();
    if !slots.is_empty() {
        parts.push(
            slots
                .iter()
                .map(|s| s.label(lang))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    if s.as_needed {
        let mut p = l.as_needed.to_string();
        if !s.as_needed_reason.trim().is_empty() {
            p.push_str(&format!(" ({})", s.as_needed_reason.trim()));
        }
        if let Some(max) = s.max_per_day {
            p.push_str(&format!(", {} {max}", l.max_per_day));
        }
        parts.push(p);
    }
    match s.food {
        FoodInstruction::WithFood => parts.push(l.with_food.into()),
        FoodInstruction::WithoutFood => parts.push(l.without_food.into()),
        _ => {}
    }
    parts.join(" · ")
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleRow {
    pub medication_id: String,
    pub name: String,
    pub dose: String,
    /// What it is for, as recorded ("for blood pressure").
    pub purpose: String,
    /// One per column of [`DaySchedule::columns`].
    pub taken: Vec<bool>,
    /// With or without food.
    pub note: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsNeeded {
    pub name: String,
    pub dose: String,
    pub reason: String,
    pub max_per_day: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DaySchedule {
    /// The times of day any medication is taken, in order.
    pub columns: Vec<Slot>,
    pub rows: Vec<ScheduleRow>,
    pub as_needed: Vec<AsNeeded>,
    /// Active medications without structured times: (name and dose, the free-text frequency).
    pub unstructured: Vec<(String, String)>,
}

fn taken_on(m: &Medication, today: NaiveDate) -> bool {
    let date = |d: &Option<IsoDate>| d.as_ref().and_then(IsoDate::date);
    m.is_active()
        && m.status == MedicationStatus::Active
        && date(&m.schedule.start_on).is_none_or(|d| d <= today)
        && date(&m.schedule.stop_on).is_none_or(|d| d >= today)
}

fn food_note(food: &FoodInstruction, lang: Lang) -> String {
    match food {
        FoodInstruction::WithFood => lang.labels().with_food.into(),
        FoodInstruction::WithoutFood => lang.labels().without_food.into(),
        _ => String::new(),
    }
}

/// The day's grid from the medications taken on `today`: rows = medications, columns = the times
/// of day any of them is taken.
pub fn day_schedule(record: &PatientRecord, today: NaiveDate, lang: Lang) -> DaySchedule {
    let meds: Vec<&Medication> = record
        .medical
        .medications
        .iter()
        .filter(|m| taken_on(m, today))
        .collect();
    let slots_of = |m: &Medication| -> Vec<Slot> {
        m.schedule
            .times
            .iter()
            .filter_map(|t| Slot::parse(t))
            .collect()
    };
    let mut columns: Vec<Slot> = meds.iter().flat_map(|m| slots_of(m)).collect();
    columns.sort_by_key(|s| (s.minutes(), *s));
    columns.dedup();
    let mut out = DaySchedule {
        columns: columns.clone(),
        ..Default::default()
    };
    for m in meds {
        let slots = slots_of(m);
        if !slots.is_empty() {
            out.rows.push(ScheduleRow {
                medication_id: m.id.clone(),
                name: m.name.trim().to_string(),
                dose: m.dose.trim().to_string(),
                purpose: m.indication.trim().to_string(),
                taken: columns.iter().map(|c| slots.contains(c)).collect(),
                note: food_note(&m.schedule.food, lang),
            });
        }
        if m.schedule.as_needed {
            out.as_needed.push(AsNeeded {
                name: m.name.trim().to_string(),
                dose: m.dose.trim().to_string(),
                reason: m.schedule.as_needed_reason.trim().to_string(),
                max_per_day: m.schedule.max_per_day,
            });
        }
        if m.schedule.is_empty() {
            let name = [m.name.trim(), m.dose.trim()]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" ");
            out.unstructured
                .push((name, m.frequency.trim().to_string()));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Teaching

/// A topic worth teaching, and why it is suggested.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicSuggestion {
    pub topic: &'static str,
    pub kind: EducationKind,
    pub because: String,
}

/// What a common chronic condition is recognised by, and the teaching it needs.
type ConditionTopics = (
    &'static [&'static str],
    &'static [&'static str],
    &'static [(&'static str, EducationKind)],
);

/// (ICD-10 prefixes, words in the condition's text, topics) — the self-management teaching each
/// common chronic condition needs.
const CONDITION_TOPICS: &[ConditionTopics] = &[
    (
        &["I50", "I110", "I130", "I132"],
        &["heart failure", "chf"],
        &[
            ("Daily weights", EducationKind::SelfManagement),
            ("Low-salt diet", EducationKind::SelfManagement),
            ("Heart failure: when to call", EducationKind::WarningSigns),
        ],
    ),
    (
        &["E08", "E09", "E10", "E11", "E13"],
        &["diabetes"],
        &[
            ("Checking blood sugar", EducationKind::SelfManagement),
            (
                "Low blood sugar: signs and what to do",
                EducationKind::WarningSigns,
            ),
            ("Foot care", EducationKind::SelfManagement),
        ],
    ),
    (
        &["J44", "J45"],
        &["copd", "asthma", "emphysema"],
        &[
            ("Inhaler technique", EducationKind::SelfManagement),
            (
                "Breathing action plan: when to call",
                EducationKind::WarningSigns,
            ),
        ],
    ),
    (
        &["I10", "I11", "I12", "I13"],
        &["hypertension", "high blood pressure"],
        &[
            (
                "Checking blood pressure at home",
                EducationKind::SelfManagement,
            ),
            ("Low-salt diet", EducationKind::SelfManagement),
        ],
    ),
    (
        &["N18"],
        &["kidney disease", "ckd"],
        &[(
            "Kidney disease: medicines and foods to avoid",
            EducationKind::Condition,
        )],
    ),
    (
        &["F32", "F33", "F41"],
        &["depression", "anxiety"],
        &[(
            "Mood: warning signs and who to call",
            EducationKind::WarningSigns,
        )],
    ),
];

/// (words in the medication's name, topic).
const MEDICATION_TOPICS: &[(&[&str], &str)] = &[
    (
        &[
            "warfarin",
            "apixaban",
            "rivaroxaban",
            "dabigatran",
            "edoxaban",
        ],
        "Blood thinner: bleeding signs and safety",
    ),
    (&["insulin"], "Insulin: doses, storage and low blood sugar"),
    (
        &["furosemide", "torsemide", "bumetanide"],
        "Water pill: daily weights and dizziness",
    ),
    (
        &["oxycodone", "hydrocodone", "morphine", "tramadol"],
        "Opioid safety: constipation, drowsiness, storage",
    ),
];

fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Topics suggested by the problem list and the medications, except those already taught and
/// understood.
pub fn suggested_topics(record: &PatientRecord) -> Vec<TopicSuggestion> {
    let understood: Vec<String> = record
        .coordination
        .education
        .iter()
        .filter(|e| e.is_active() && e.teach_back == TeachBack::Understood)
        .map(|e| norm(&e.topic))
        .collect();
    let mut out: Vec<TopicSuggestion> = Vec::new();
    let mut push = |topic: &'static str, kind: EducationKind, because: String| {
        if !understood.contains(&norm(topic)) && !out.iter().any(|s| s.topic == topic) {
            out.push(TopicSuggestion {
                topic,
                kind,
                because,
            });
        }
    };
    for c in record.medical.conditions.iter().filter(|c| {
        c.is_active()
            && matches!(
                c.status,
                ConditionStatus::Active | ConditionStatus::Controlled
            )
    }) {
        let code: String = c
            .code
            .chars()
            .filter(|ch| ch.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_uppercase();
        let text = norm(&c.text);
        for (prefixes, words, topics) in CONDITION_TOPICS {
            let by_code = !code.is_empty() && prefixes.iter().any(|p| code.starts_with(p));
            let by_text = words.iter().any(|w| text.contains(w));
            if by_code || by_text {
                for (topic, kind) in *topics {
                    push(topic, kind.clone(), format!("For {}", c.text.trim()));
                }
            }
        }
    }
    for m in record
        .medical
        .medications
        .iter()
        .filter(|m| m.is_active() && m.status == MedicationStatus::Active)
    {
        let name = norm(&m.name);
        for (words, topic) in MEDICATION_TOPICS {
            if words.iter().any(|w| name.contains(w)) {
                push(
                    topic,
                    EducationKind::Medication,
                    format!("Takes {}", m.name.trim()),
                );
            }
        }
    }
    out
}

/// Teaching to do again: the latest teaching of each topic when its teach-back needs review (or it
/// was marked to revisit), unless a follow-up for it is already scheduled.
pub fn topics_to_review(record: &PatientRecord) -> Vec<&Education> {
    let mut latest: Vec<&Education> = Vec::new();
    let mut taught: Vec<&Education> = record
        .coordination
        .education
        .iter()
        .filter(|e| e.is_active())
        .collect();
    taught.sort_by(|a, b| (&b.date, b.recorded.at).cmp(&(&a.date, a.recorded.at)));
    for e in taught {
        if !latest.iter().any(|l| norm(&l.topic) == norm(&e.topic)) {
            latest.push(e);
        }
    }
    latest
        .into_iter()
        .filter(|e| {
            e.revisit
                || matches!(
                    e.teach_back,
                    TeachBack::NeedsReview | TeachBack::NotUnderstood
                )
        })
        .filter(|e| {
            let topic = norm(&e.topic);
            !record.follow_ups.iter().any(|f| {
                f.is_active()
                    && f.status == FollowUpStatus::Scheduled
                    && norm(&f.reason).contains(&topic)
            })
        })
        .collect()
}

/// The reason of a follow-up that reviews `topic` ([`topics_to_review`] looks for it).
pub fn review_reason(topic: &str) -> String {
    format!("Review teaching: {}", topic.trim())
}

// ---------------------------------------------------------------------------------------------
// The handout

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Es,
}

/// Every heading and fixed phrase of the handout, in one language.
#[derive(Debug)]
pub struct Labels {
    pub title: &'static str,
    pub printed: &'static str,
    pub goals: &'static str,
    pub no_goals: &'static str,
    pub i_will: &'static str,
    pub family_will: &'static str,
    pub care_manager_will: &'static str,
    pub provider_will: &'static str,
    pub other_will: &'static str,
    pub medicines: &'static str,
    pub medicine: &'static str,
    pub purpose: &'static str,
    pub take: &'static str,
    pub as_needed: &'static str,
    pub max_per_day: &'static str,
    pub how_often: &'static str,
    pub with_food: &'static str,
    pub without_food: &'static str,
    pub morning: &'static str,
    pub noon: &'static str,
    pub evening: &'static str,
    pub bedtime: &'static str,
    pub appointments: &'static str,
    pub no_appointments: &'static str,
    pub call: &'static str,
    pub visit: &'static str,
    pub video: &'static str,
    pub message: &'static str,
    pub who_to_call: &'static str,
    pub care_manager: &'static str,
    pub caregiver: &'static str,
    pub crisis: &'static str,
    pub allergies: &'static str,
    pub no_allergies: &'static str,
}

const EN: Labels = Labels {
    title: "My care plan",
    printed: "Printed",
    goals: "My goals",
    no_goals: "No goals written down yet.",
    i_will: "I will",
    family_will: "My family will",
    care_manager_will: "My care manager will",
    provider_will: "My doctor will",
    other_will: "Someone else will",
    medicines: "My medicines",
    medicine: "Medicine",
    purpose: "For",
    take: "Take",
    as_needed: "Only when needed",
    max_per_day: "no more than this many a day:",
    how_often: "How often",
    with_food: "with food",
    without_food: "on an empty stomach",
    morning: "Morning",
    noon: "Noon",
    evening: "Evening",
    bedtime: "Bedtime",
    appointments: "My appointments and calls",
    no_appointments: "None planned yet.",
    call: "Phone call",
    visit: "Visit",
    video: "Video call",
    message: "Message",
    who_to_call: "Who to call",
    care_manager: "My care manager",
    caregiver: "Caregiver",
    crisis: "If you have thoughts of harming yourself, call or text 988 (Suicide & Crisis Lifeline), any time, day or night.",
    allergies: "My allergies",
    no_allergies: "No allergies known.",
};

const ES: Labels = Labels {
    title: "Mi plan de cuidado",
    printed: "Impreso",
    goals: "Mis metas",
    no_goals: "Todavía no hay metas escritas.",
    i_will: "Yo voy a",
    family_will: "Mi familia va a",
    care_manager_will: "Mi coordinador(a) de cuidado va a",
    provider_will: "Mi médico va a",
    other_will: "Otra persona va a",
    medicines: "Mis medicamentos",
    medicine: "Medicamento",
    purpose: "Para",
    take: "Tomar",
    as_needed: "Solo cuando lo necesite",
    max_per_day: "no más de esta cantidad al día:",
    how_often: "Con qué frecuencia",
    with_food: "con comida",
    without_food: "en ayunas",
    morning: "Mañana",
    noon: "Mediodía",
    evening: "Tarde",
    bedtime: "Al acostarse",
    appointments: "Mis citas y llamadas",
    no_appointments: "Todavía no hay nada planeado.",
    call: "Llamada",
    visit: "Visita",
    video: "Videollamada",
    message: "Mensaje",
    who_to_call: "A quién llamar",
    care_manager: "Mi coordinador(a) de cuidado",
    caregiver: "Cuidador(a)",
    crisis: "Si tiene pensamientos de hacerse daño, llame o envíe un mensaje de texto al 988 (Línea de Prevención del Suicidio y Crisis), a cualquier hora del día o de la noche.",
    allergies: "Mis alergias",
    no_allergies: "No se conocen alergias.",
};

impl Lang {
    /// The handout's language for a recorded preferred language ("Spanish", "español", "es");
    /// English for any language without a translation.
    pub fn for_preference(preferred: &str) -> Lang {
        let p = norm(preferred);
        if p == "es"
            || p.starts_with("es-")
            || p.starts_with("spanish")
            || p.starts_with("español")
            || p.starts_with("espanol")
        {
            Lang::Es
        } else {
            Lang::En
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }

    /// A date as the handout prints it: "Wed 9 Dec 2026" / "mié 9 dic 2026".
    pub fn date(self, d: NaiveDate) -> String {
        use chrono::Datelike;
        const EN_DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        const ES_DAYS: [&str; 7] = ["lun", "mar", "mié", "jue", "vie", "sáb", "dom"];
        const EN_MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        const ES_MONTHS: [&str; 12] = [
            "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic",
        ];
        let (days, months) = match self {
            Lang::En => (EN_DAYS, EN_MONTHS),
            Lang::Es => (ES_DAYS, ES_MONTHS),
        };
        let wd = days[d.weekday().num_days_from_monday() as usize];
        let month = months[d.month0() as usize];
        format!("{wd} {} {month} {}", d.day(), d.year())
    }

    pub fn labels(self) -> &'static Labels {
        match self {
            Lang::En => &EN,
            Lang::Es => &ES,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandoutGoal {
    pub text: String,
    /// (who, what), e.g. ("I will", "Weigh myself every morning").
    pub steps: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contact {
    /// "My care manager", "Cardiology", "Caregiver (daughter)".
    pub role: String,
    pub name: String,
    pub phone: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handout {
    pub lang: Lang,
    pub patient: String,
    pub goals: Vec<HandoutGoal>,
    pub schedule: DaySchedule,
    /// (date, what): scheduled follow-ups from today on, earliest first.
    pub appointments: Vec<(NaiveDate, String)>,
    pub contacts: Vec<Contact>,
    /// A PHQ-9 safety flag is present: the crisis line is printed.
    pub crisis_line: bool,
    pub allergies: Vec<String>,
}

/// The handout for `record` on `today`; `care_manager` is the person printing it.
pub fn handout(record: &PatientRecord, today: NaiveDate, care_manager: &str) -> Handout {
    let lang = Lang::for_preference(&record.profile.preferred_language);
    let l = lang.labels();
    let plan = &record.care_plan;
    let goals = plan
        .goals
        .iter()
        .filter(|g| g.is_active() && matches!(g.status, GoalStatus::Active | GoalStatus::Proposed))
        .map(|g| HandoutGoal {
            text: g.description.trim().to_string(),
            steps: plan
                .actions
                .iter()
                .filter(|a| {
                    a.is_active()
                        && a.goal_id == g.id
                        && matches!(a.status, ActionStatus::Planned | ActionStatus::InProgress)
                })
                .map(|a| {
                    let who = match a.responsible {
                        Responsible::Patient => l.i_will,
                        Responsible::Family => l.family_will,
                        Responsible::CareManager => l.care_manager_will,
                        Responsible::Provider => l.provider_will,
                        _ => l.other_will,
                    };
                    (who.to_string(), a.description.trim().to_string())
                })
                .collect(),
        })
        .collect();
    let mut appointments: Vec<(NaiveDate, String)> = record
        .follow_ups
        .iter()
        .filter(|f| f.is_active() && f.status == FollowUpStatus::Scheduled)
        .filter_map(|f| {
            let due = f.due.date().filter(|d| *d >= today)?;
            let kind = match f.kind {
                FollowUpKind::Visit => l.visit,
                FollowUpKind::Video => l.video,
                FollowUpKind::Message => l.message,
                _ => l.call,
            };
            let what = if f.reason.trim().is_empty() {
                kind.to_string()
            } else {
                format!("{kind}: {}", f.reason.trim())
            };
            Some((due, what))
        })
        .collect();
    appointments.sort();
    let mut contacts = vec![Contact {
        role: l.care_manager.to_string(),
        name: care_manager.trim().to_string(),
        phone: String::new(),
    }];
    contacts.extend(
        record
            .medical
            .providers
            .iter()
            .filter(|p| p.is_active())
            .map(|p| Contact {
                role: [p.role.trim(), p.organization.trim()]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", "),
                name: p.name.trim().to_string(),
                phone: p.phone.trim().to_string(),
            }),
    );
    contacts.extend(
        record
            .support
            .caregivers
            .iter()
            .filter(|c| c.is_active())
            .map(|c| Contact {
                role: if c.relationship.trim().is_empty() {
                    l.caregiver.to_string()
                } else {
                    format!("{} ({})", l.caregiver, c.relationship.trim())
                },
                name: c.name.trim().to_string(),
                phone: c.phone.trim().to_string(),
            }),
    );
    Handout {
        lang,
        patient: {
            let n = &record.name;
            [n.given.trim(), n.family.trim()]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" ")
        },
        goals,
        schedule: day_schedule(record, today, lang),
        appointments,
        contacts,
        // Printed while the latest PHQ-9 is item-9 positive, also once its safety flag has been
        // assessed (the patient keeps the crisis line).
        crisis_line: crate::assess::latest_safety_response(record).is_some(),
        allergies: record
            .medical
            .allergies
            .iter()
            .filter(|a| a.is_active() && a.status == AllergyStatus::Active)
            .map(|a| {
                if a.reaction.trim().is_empty() {
                    a.substance.trim().to_string()
                } else {
                    format!("{} ({})", a.substance.trim(), a.reaction.trim())
                }
            })
            .collect(),
    }
}

#[cfg(test)]
#[path = "handout_tests.rs"]
mod tests;
