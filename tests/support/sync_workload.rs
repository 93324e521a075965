//! The browser sync benchmark's workload (issue 18), deterministic and built with tend-core's real
//! typed operations. Shared by the native seeder that plays device A
//! (`crates/core/examples/sync_seed.rs`) and the no-network baseline in the browser
//! (`tests/bench_sync.rs`), so both move the same kind and number of changes.
//!
//! - A patient's history is core_bench's "year of activity" (`crates/core/tests/common/mod.rs`,
//!   ~200 changes: set-up, then a monthly rhythm of calls, notes, minutes, scores and plan
//!   progress), one Automerge change per typed op.
//! - The catch-up edits: `EDITS_PER_PATIENT` everyday changes per patient (a note spliced, a dose
//!   changed, a condition or action status, goal progress, minutes, phone), the last of which sets
//!   the metformin dose to `marker_dose(patient, round)`, so a chart shows that B has the last one.
#![allow(dead_code)]

#[path = "fake_patients.rs"]
mod fake;
#[path = "../../crates/core/tests/common/mod.rs"]
mod year;

pub use fake::Rng;

use tend_core::ops::{NarrativeTarget, Op};
use tend_core::record::*;
use tend_core::{PatientDoc, PatientId};

/// Patients of the catch-up and new-device workloads.
pub const PATIENTS: usize = 200;
/// Catch-up: changes per patient while device B is offline (200 × 25 = 5,000).
pub const EDITS_PER_PATIENT: usize = 25;
/// The workspace seed both the seeder and the baseline use unless told otherwise.
pub const SEED: u64 = 18;
/// Timestamps count from here (2026-01-01T00:00:00Z), never from a clock.
pub const T0: i64 = year::T0;

const GIVEN: &[&str] = &[
    "Rosa", "James", "Maria", "Robert", "Linda", "Michael", "Patricia", "William", "Elena",
    "David", "Farah", "Kofi", "Susan", "Joseph", "Priya", "Thomas", "Sarah", "Omar", "Karen",
    "Daniel",
];
const FAMILY: &[&str] = &[
    "Diaz", "Smith", "Okafor", "Williams", "Nguyen", "Jones", "Garcia", "Miller", "Kowalski",
    "Larsen", "Martinez", "Tanaka", "Lopez", "Petrov", "Wilson", "Anderson", "Rossi", "Taylor",
    "Moore", "Yilmaz",
];
const WORDS: &[&str] = &[
    "patient",
    "reports",
    "feeling",
    "better",
    "mild",
    "fatigue",
    "no",
    "chest",
    "pain",
    "appetite",
    "stable",
    "adherent",
    "dizziness",
    "reviewed",
    "home",
    "readings",
    "diet",
    "exercise",
    "labs",
    "follow-up",
];

/// Patient `i` of a workspace seeded with `seed`: a UUID-shaped id and a name that is unique in
/// the workspace (the family name carries the number, so a search finds exactly one).
pub fn identity(seed: u64, i: usize) -> (PatientId, PersonName) {
    let mut rng = Rng::new(seed ^ (i as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
    let id = fake::patient_id(&mut rng);
    let name = PersonName {
        given: GIVEN[i % GIVEN.len()].to_string(),
        family: format!("{} {i:04}", FAMILY[(i / GIVEN.len()) % FAMILY.len()]),
    };
    (id, name)
}

/// How the caseload and the chart's heading show a patient: "Family, Given".
pub fn display_name(name: &PersonName) -> String {
    format!("{}, {}", name.family, name.given)
}

/// A patient with a year of history. Returns the document and its changes, one Automerge change
/// each, in causal order (what a device that synced after every edit would have pushed).
pub fn patient_with_history(id: &PatientId, name: PersonName) -> (PatientDoc, Vec<Vec<u8>>) {
    let mut doc = PatientDoc::create(id, name, &year::author(1), T0).expect("create");
    year::year_of_activity(&mut doc);
    let changes = changes_of(&doc.save()).expect("reload the saved patient");
    (doc, changes)
}

/// A saved document's changes, one Automerge change each, in causal order.
pub fn changes_of(saved: &[u8]) -> Result<Vec<Vec<u8>>, automerge::AutomergeError> {
    Ok(automerge::Automerge::load(saved)?
        .get_changes(&[])
        .into_iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect())
}

/// The metformin dose the last catch-up edit of `patient` sets in `round` (unique per patient and
/// round, so a chart that shows it proves the device has that patient's last change).
pub fn marker_dose(patient: usize, round: usize) -> String {
    format!("{} mg", 10_000 + round * 1_000 + patient)
}

/// The chart line of the marker medication (as the medication list shows it).
pub fn marker_text(patient: usize, round: usize) -> String {
    format!("metformin {}", marker_dose(patient, round))
}

/// The random stream of round `round`'s catch-up edits in a workspace seeded with `seed`.
pub fn edit_rng(seed: u64, round: usize) -> Rng {
    Rng::new(seed ^ (round as u64 + 1).wrapping_mul(0x9E37_79B9))
}

/// Catch-up edit `k` (0-based, `EDITS_PER_PATIENT` per patient) of `patient` in `round`.
pub fn edit_op(rng: &mut Rng, patient: usize, round: usize, k: usize) -> Op {
    if k + 1 == EDITS_PER_PATIENT {
        return fake::change_dose("m0".into(), marker_dose(patient, round));
    }
    let tag = format!("r{round}k{k}");
    match rng.below(20) {
        // A few words spliced into one of the twelve monthly call notes (Automerge text).
        0..=3 => Op::EditNarrative {
            target: NarrativeTarget::EncounterNote {
                id: format!("e{}", rng.below(12)),
            },
            edit: TextEdit {
                pos: rng.below(20),
                delete: rng.below(3),
                insert: format!(" {} {}", rng.pick(WORDS), rng.pick(WORDS)),
            },
        },
        4..=6 => fake::change_dose(format!("m{}", 1 + rng.below(7)), fake::random_dose(rng)),
        7..=8 => Op::SetConditionStatus {
            id: format!("c{}", rng.below(6)),
            status: rng
                .pick(&[
                    ConditionStatus::Active,
                    ConditionStatus::Controlled,
                    ConditionStatus::Inactive,
                ])
                .clone(),
        },
        9..=11 => Op::SetActionStatus {
            id: format!("a{}", rng.below(3)),
            status: rng
                .pick(&[
                    ActionStatus::Planned,
                    ActionStatus::InProgress,
                    ActionStatus::Done,
                ])
                .clone(),
        },
        12..=13 => Op::RecordProgress {
            goal_id: format!("g{}", rng.below(3)),
            entry: ProgressEntry {
                id: format!("pg-{tag}"),
                date: IsoDate::parse(&format!("2026-12-{:02}", 1 + rng.below(28))).expect("date"),
                value: format!("{}%", rng.below(101)),
                note: format!("{} {}", rng.pick(WORDS), rng.pick(WORDS)),
                ..Default::default()
            },
        },
        14..=16 => Op::LogMinutes {
            entry: TimeEntry {
                id: format!("t-{tag}"),
                date: IsoDate::parse(&format!("2026-12-{:02}", 1 + rng.below(28))).expect("date"),
                minutes: 5 + rng.below(30) as u64,
                program: ProgramKind::Ccm,
                staff: "Nurse 2".into(),
                activity: "call".into(),
                ..Default::default()
            },
        },
        _ => Op::ChangePhone {
            id: "ph1".into(),
            label: None,
            number: Some(format!("555-{:04}", rng.below(10_000))),
            primary: None,
        },
    }
}

/// Time of catch-up edit `k` in `round` (after the year of history).
pub fn edit_at(round: usize, k: usize) -> i64 {
    T0 + 400 * year::DAY_MS + (round * EDITS_PER_PATIENT + k) as i64 * 60_000
}

/// Who makes the catch-up edits (device A).
pub fn editor() -> tend_core::Author {
    year::author(2)
}
