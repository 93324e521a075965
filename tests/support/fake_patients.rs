//! Deterministic fake patients for the benchmarks (no real data): names from fixed lists, a seeded
//! PRNG, and a realistic opening history built with tend-core's typed operations (profile, program,
//! conditions, medications, a follow-up, an instrument, then everyday edits).
//! Shared by `tests/bench_storage.rs` (wasm32) and `crates/relay/examples/sync_bench.rs` (native).
#![allow(dead_code)]

use tend_core::ops::Op;
use tend_core::record::*;
use tend_core::{Author, PatientDoc, PatientId};

/// 2026-01-01T00:00:00Z: every generated timestamp counts from here, never from a clock.
pub const T0: i64 = 1_767_225_600_000;

/// SplitMix64: tiny, seeded, identical on every platform.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const GIVEN: &[&str] = &[
    "Rosa",
    "James",
    "Maria",
    "Robert",
    "Linda",
    "Michael",
    "Patricia",
    "William",
    "Elizabeth",
    "David",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Daniel",
    "Nancy",
    "Matthew",
    "Lisa",
    "Anthony",
    "Betty",
    "Mark",
    "Dorothy",
    "Donald",
    "Sandra",
    "Paul",
    "Ashley",
    "Steven",
    "Kimberly",
    "Andrew",
    "Emily",
    "Kenneth",
    "Donna",
];
const FAMILY: &[&str] = &[
    "Diaz",
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
];
const CONDITIONS: &[(&str, &str)] = &[
    ("E11.9", "Type 2 diabetes"),
    ("I10", "Hypertension"),
    ("I50.9", "Heart failure"),
    ("J44.9", "COPD"),
    ("N18.3", "Chronic kidney disease, stage 3"),
    ("F32.9", "Major depressive disorder"),
    ("E78.5", "Hyperlipidemia"),
    ("M17.9", "Osteoarthritis of knee"),
];
const MEDS: &[(&str, &str)] = &[
    ("Metformin", "500 mg"),
    ("Lisinopril", "10 mg"),
    ("Atorvastatin", "20 mg"),
    ("Furosemide", "40 mg"),
    ("Sertraline", "50 mg"),
    ("Amlodipine", "5 mg"),
    ("Tiotropium", "18 mcg"),
    ("Insulin glargine", "20 units"),
];

pub fn author() -> Author {
    Author {
        user_id: "u-bench".into(),
        user_name: "Bench Nurse".into(),
        device_id: "d-bench".into(),
    }
}

/// A UUID-shaped id from the PRNG (deterministic, unlike `PatientId::random`).
pub fn patient_id(rng: &mut Rng) -> PatientId {
    let (a, b) = (rng.next_u64(), rng.next_u64());
    let s = format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        b >> 52,
        b & 0xffff_ffff_ffff
    );
    PatientId::parse(&s).expect("generated UUID")
}

pub fn name(rng: &mut Rng) -> PersonName {
    PersonName {
        given: rng.pick(GIVEN).to_string(),
        family: rng.pick(FAMILY).to_string(),
    }
}

fn date(day_of_year: usize) -> IsoDate {
    // 12 months of 28 days: every generated date is valid.
    let d = day_of_year % 336;
    IsoDate::parse(&format!("2026-{:02}-{:02}", d / 28 + 1, d % 28 + 1)).expect("date")
}

/// The `k`-th edit of a patient's history: first the set-up (profile, program, three conditions,
/// three medications, a follow-up, a PHQ-9), then an everyday rhythm of dose changes, reschedules,
/// new scores and new problems.
pub fn op(rng: &mut Rng, k: usize) -> Op {
    match k {
        0 => Op::SetDateOfBirth {
            date: IsoDate::parse(&format!(
                "19{}-{:02}-{:02}",
                30 + rng.below(50),
                1 + rng.below(12),
                1 + rng.below(28)
            )),
        },
        1 => Op::AddPhone {
            phone: Phone {
                id: "ph1".into(),
                label: "mobile".into(),
                number: format!("555-{:04}", rng.below(10_000)),
                primary: true,
                ..Default::default()
            },
        },
        2 => Op::EnrollProgram {
            enrollment: ProgramEnrollment {
                id: "ccm".into(),
                program: ProgramKind::Ccm,
                start_date: Some(date(rng.below(30))),
                ..Default::default()
            },
        },
        3..=5 => {
            let (code, text) = *rng.pick(CONDITIONS);
            Op::AddCondition {
                condition: Condition {
                    id: format!("c{k}"),
                    code: code.into(),
                    code_system: "icd10cm".into(),
                    text: text.into(),
                    chronic: true,
                    ..Default::default()
                },
            }
        }
        6..=8 => {
            let (name, dose) = *rng.pick(MEDS);
            Op::AddMedication {
                medication: Medication {
                    id: format!("m{}", k - 6),
                    name: name.into(),
                    dose: dose.into(),
                    route: "oral".into(),
                    frequency: "daily".into(),
                    ..Default::default()
                },
            }
        }
        9 => Op::ScheduleFollowUp {
            follow_up: FollowUp {
                id: "fu0".into(),
                kind: FollowUpKind::Call,
                due: date(300 + rng.below(30)),
                reason: "monthly check-in".into(),
                ..Default::default()
            },
        },
        10 => phq9(rng, k),
        _ => match k % 4 {
            0 => change_dose(format!("m{}", rng.below(3)), random_dose(rng)),
            1 => Op::RescheduleFollowUp {
                id: "fu0".into(),
                due: date(rng.below(336)),
            },
            2 => phq9(rng, k),
            _ => {
                let (code, text) = *rng.pick(CONDITIONS);
                Op::AddCondition {
                    condition: Condition {
                        id: format!("c{k}"),
                        code: code.into(),
                        code_system: "icd10cm".into(),
                        text: text.into(),
                        ..Default::default()
                    },
                }
            }
        },
    }
}

/// A medication's dose changed, nothing else.
pub fn change_dose(id: String, dose: String) -> Op {
    Op::ChangeMedication {
        id,
        name: None,
        indication: None,
        dose: Some(dose),
        route: None,
        frequency: None,
        prescriber: None,
    }
}

/// "5 mg" … "500 mg".
pub fn random_dose(rng: &mut Rng) -> String {
    format!("{} mg", 5 * (1 + rng.below(100)))
}

fn phq9(rng: &mut Rng, k: usize) -> Op {
    let answers: Vec<Answer> = (1..=9)
        .map(|i| Answer {
            item: format!("q{i}"),
            value: rng.below(4) as i64,
        })
        .collect();
    let total = answers.iter().map(|a| a.value).sum();
    Op::RecordInstrument {
        response: InstrumentResponse {
            id: format!("phq{k}"),
            instrument: "phq9".into(),
            answers,
            total: Some(total),
            date: date(rng.below(300)),
            administered_by: "Bench Nurse".into(),
            ..Default::default()
        },
    }
}

/// Timestamp of a patient's `k`-th edit.
pub fn at(k: usize) -> i64 {
    T0 + 60_000 * (k as i64 + 1)
}

/// A patient with the set-up history (`k` = 0..11): what the storage benchmark stores.
pub fn patient(rng: &mut Rng) -> (PatientId, PatientDoc) {
    let id = patient_id(rng);
    let mut doc = PatientDoc::create(&id, name(rng), &author(), T0).expect("create");
    for k in 0..11 {
        let op = op(rng, k);
        doc.apply(op, &author(), at(k)).expect("set-up op");
    }
    (id, doc)
}
