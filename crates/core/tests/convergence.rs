//! Property: 3-5 replicas apply random typed operations and exchange their incremental saves in
//! random orders (including out of causal order and duplicated); once everyone has everything,
//! all replicas hold the identical record and identical heads.
//!
//! Cases: `PROPTEST_CASES` (default 400 here; each case runs several replicas and dozens of ops).

// On wasm32 these tests run in headless Chromium (see crates/core/Cargo.toml).
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod common;

use common::*;
use proptest::prelude::*;
use tend_core::ops::{ItemList, NarrativeTarget, Op, ProfileField};
use tend_core::record::*;
use tend_core::PatientDoc;

const DEFAULT_CASES: u32 = 400;

fn cases() -> u32 {
    // At run time natively; in the browser (no environment) as set when the test was built.
    std::env::var("PROPTEST_CASES")
        .ok()
        .or(option_env!("PROPTEST_CASES").map(String::from))
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

/// An operation with ids drawn from small pools, so ops on different replicas collide on the same
/// items (the interesting case). Text positions are fractions of the current length.
#[derive(Clone, Debug)]
enum Gen {
    AddMed(u8, u8),
    Dose(u8, u8),
    MedStatus(u8, bool),
    AddGoal(u8),
    Progress(u8),
    AddAction(u8, u8),
    ActionStatus(u8, u8),
    Schedule(u8, u8),
    Reschedule(u8, u8),
    Complete(u8),
    StartEncounter(u8),
    EditNote(u8, u8, u8, String),
    EditSection(u8, u8, u8, String),
    Minutes(u8),
    CodeStatus(u8),
    Language(u8),
    LivesAlone(Option<bool>),
    Retire(u8, u8),
    ResolveDose(u8, u8),
    EditGoal(u8, u8, u8),
    SettleLanguage(u8),
}

fn gen() -> impl Strategy<Value = Gen> {
    let w = "[a-zé ]{0,6}";
    prop_oneof![
        (0..4u8, 0..4u8).prop_map(|(i, d)| Gen::AddMed(i, d)),
        (0..4u8, 0..6u8).prop_map(|(i, d)| Gen::Dose(i, d)),
        (0..4u8, any::<bool>()).prop_map(|(i, b)| Gen::MedStatus(i, b)),
        (0..3u8).prop_map(Gen::AddGoal),
        (0..3u8).prop_map(Gen::Progress),
        (0..3u8, 0..3u8).prop_map(|(i, g)| Gen::AddAction(i, g)),
        (0..3u8, 0..4u8).prop_map(|(i, s)| Gen::ActionStatus(i, s)),
        (0..3u8, 0..28u8).prop_map(|(i, d)| Gen::Schedule(i, d)),
        (0..3u8, 0..28u8).prop_map(|(i, d)| Gen::Reschedule(i, d)),
        (0..3u8).prop_map(Gen::Complete),
        (0..2u8).prop_map(Gen::StartEncounter),
        (0..2u8, any::<u8>(), 0..4u8, w).prop_map(|(i, p, d, s)| Gen::EditNote(i, p, d, s)),
        (0..3u8, any::<u8>(), 0..4u8, w).prop_map(|(i, p, d, s)| Gen::EditSection(i, p, d, s)),
        (1..60u8).prop_map(Gen::Minutes),
        (0..4u8).prop_map(Gen::CodeStatus),
        (0..3u8).prop_map(Gen::Language),
        proptest::option::of(any::<bool>()).prop_map(Gen::LivesAlone),
        (0..2u8, 0..4u8).prop_map(|(l, i)| Gen::Retire(l, i)),
        (0..4u8, 0..6u8).prop_map(|(i, d)| Gen::ResolveDose(i, d)),
        (0..3u8, 0..4u8, 0..28u8).prop_map(|(i, t, d)| Gen::EditGoal(i, t, d)),
        (0..3u8).prop_map(Gen::SettleLanguage),
    ]
}

#[derive(Clone, Debug)]
enum Step {
    /// Replica applies an op (then saves its changes as a chunk into the shared pool).
    Op(usize, Gen),
    /// Replica receives the pool chunk at this index (mod pool size), possibly out of order.
    Deliver(usize, usize),
}

fn steps() -> impl Strategy<Value = (usize, Vec<Step>, u64)> {
    (3..=5usize).prop_flat_map(|n| {
        let step = prop_oneof![
            3 => (0..n, gen()).prop_map(|(r, g)| Step::Op(r, g)),
            2 => (0..n, any::<usize>()).prop_map(|(r, k)| Step::Deliver(r, k)),
        ];
        (
            Just(n),
            proptest::collection::vec(step, 1..40),
            any::<u64>(),
        )
    })
}

fn date(day: u8) -> IsoDate {
    IsoDate(format!("2026-02-{:02}", day % 28 + 1))
}

fn at_fraction(len: usize, frac: u8) -> usize {
    len * frac as usize / 255
}

/// Turns a generated op into a typed op against this replica's current state.
fn realise(doc: &PatientDoc, g: &Gen, replica: usize, seq: usize) -> Op {
    let fresh = format!("r{replica}-{seq}");
    let doses = ["5 mg", "10 mg", "20 mg", "2.5 mg", "40 mg", "1 g"];
    match g {
        Gen::AddMed(i, d) => Op::AddMedication {
            medication: med(&format!("m{i}"), "drug", doses[*d as usize]),
        },
        Gen::Dose(i, d) => Op::ChangeMedication {
            id: format!("m{i}"),
            name: None,
            indication: None,
            dose: Some(doses[*d as usize].into()),
            route: None,
            frequency: None,
            prescriber: None,
        },
        Gen::MedStatus(i, b) => Op::SetMedicationStatus {
            id: format!("m{i}"),
            since: None,
            reason: String::new(),
            status: if *b {
                MedicationStatus::Active
            } else {
                MedicationStatus::OnHold
            },
        },
        Gen::AddGoal(i) => Op::AddGoal {
            goal: Goal {
                id: format!("g{i}"),
                description: "goal".into(),
                ..Default::default()
            },
        },
        Gen::Progress(i) => Op::RecordProgress {
            goal_id: format!("g{i}"),
            entry: ProgressEntry {
                id: fresh,
                date: date(*i),
                value: "ok".into(),
                ..Default::default()
            },
        },
        Gen::AddAction(i, g) => Op::AddAction {
            action: CareAction {
                id: format!("a{i}"),
                goal_id: format!("g{g}"),
                description: "act".into(),
                ..Default::default()
            },
        },
        Gen::ActionStatus(i, s) => Op::SetActionStatus {
            id: format!("a{i}"),
            status: ActionStatus::ALL[*s as usize % ActionStatus::ALL.len()].clone(),
        },
        Gen::Schedule(i, d) => Op::ScheduleFollowUp {
            follow_up: FollowUp {
                id: format!("f{i}"),
                due: date(*d),
                ..Default::default()
            },
        },
        Gen::Reschedule(i, d) => Op::RescheduleFollowUp {
            id: format!("f{i}"),
            due: date(*d),
        },
        Gen::Complete(i) => Op::CompleteFollowUp {
            id: format!("f{i}"),
            completed_on: date(*i),
            outcome: "done".into(),
            symptom_review: String::new(),
        },
        Gen::StartEncounter(i) => Op::StartEncounter {
            encounter: Encounter {
                id: format!("e{i}"),
                date: date(*i),
                note: Narrative::new("note"),
                ..Default::default()
            },
        },
        Gen::EditNote(i, p, d, s) => {
            let id = format!("e{i}");
            let len = doc
                .record()
                .ok()
                .and_then(|r| {
                    r.encounters
                        .iter()
                        .find(|e| e.id == id)
                        .map(|e| e.note.as_str().chars().count())
                })
                .unwrap_or(0);
            let pos = at_fraction(len, *p);
            Op::EditNarrative {
                target: NarrativeTarget::EncounterNote { id },
                edit: edit(pos, (*d as usize).min(len - pos), s),
            }
        }
        Gen::EditSection(i, p, d, s) => {
            let section = [
                NarrativeSection::Physical,
                NarrativeSection::Emotional,
                NarrativeSection::Preferences,
            ][*i as usize % 3]
                .clone();
            let len = doc
                .record()
                .map(|r| match section {
                    NarrativeSection::Physical => r.assessments.physical.as_str().chars().count(),
                    NarrativeSection::Emotional => r.assessments.emotional.as_str().chars().count(),
                    _ => r.care_plan.preferences.as_str().chars().count(),
                })
                .unwrap_or(0);
            let pos = at_fraction(len, *p);
            Op::EditNarrative {
                target: NarrativeTarget::Section { section },
                edit: edit(pos, (*d as usize).min(len - pos), s),
            }
        }
        Gen::Minutes(m) => Op::LogMinutes {
            entry: TimeEntry {
                id: fresh,
                date: date(*m),
                minutes: *m as u64,
                ..Default::default()
            },
        },
        Gen::CodeStatus(s) => Op::SetCodeStatus {
            status: CodeStatus::ALL[*s as usize % CodeStatus::ALL.len()].clone(),
        },
        Gen::Language(l) => Op::SetProfileText {
            field: ProfileField::PreferredLanguage,
            value: ["English", "Spanish", "Tagalog"][*l as usize].into(),
        },
        Gen::LivesAlone(b) => Op::SetLivesAlone { lives_alone: *b },
        Gen::Retire(l, i) => {
            let (list, id) = if *l == 0 {
                (ItemList::Medications, format!("m{i}"))
            } else {
                (ItemList::Goals, format!("g{}", i % 3))
            };
            Op::Retire {
                list,
                id,
                reason: RetireReason::EnteredInError,
                note: String::new(),
            }
        }
        Gen::ResolveDose(i, d) => Op::ResolveConflict {
            path: format!("medical/medications/m{i}/dose"),
            value: doses[*d as usize].into(),
        },
        // Text or due date of a goal, field by field (a concurrent edit of the other stays).
        Gen::EditGoal(i, t, d) => Op::ChangeGoal {
            id: format!("g{i}"),
            description: (*t % 2 == 0).then(|| format!("goal {t}")),
            measure: None,
            target: (*t > 1).then(|| format!("< {t}")),
            due: (*t % 2 == 1).then(|| date(*d)),
        },
        // Settles a concurrently set language (refused when it holds one value).
        Gen::SettleLanguage(l) => Op::ResolveConflict {
            path: "profile/preferred_language".into(),
            value: ["English", "Spanish", "Tagalog"][*l as usize].into(),
        },
    }
}

fn run(n: usize, steps: &[Step], seed: u64) -> Result<(), TestCaseError> {
    let mut origin = new_patient();
    let base = origin.save();
    let mut replicas: Vec<PatientDoc> = (0..n)
        .map(|_| PatientDoc::load(&base).expect("load"))
        .collect();
    let mut pool: Vec<Vec<u8>> = Vec::new();
    for (seq, step) in steps.iter().enumerate() {
        match step {
            Step::Op(r, g) => {
                let op = realise(&replicas[*r], g, *r, seq);
                // Many generated ops are invalid here (unknown id, duplicate...): rejected ops
                // must leave the replica unchanged, which convergence then also checks.
                let _ = replicas[*r].apply(op, &author(*r as u32), T0 + seq as i64);
                let chunk = replicas[*r].save_incremental();
                if !chunk.is_empty() {
                    pool.push(chunk);
                }
            }
            Step::Deliver(r, k) => {
                if !pool.is_empty() {
                    let chunk = &pool[k % pool.len()];
                    replicas[*r].apply_changes(chunk).expect("apply");
                }
            }
        }
    }
    // Everyone receives every chunk, each replica in its own shuffled order.
    let mut rng = seed;
    for replica in replicas.iter_mut() {
        let mut order: Vec<usize> = (0..pool.len()).collect();
        for i in (1..order.len()).rev() {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            order.swap(i, (rng >> 33) as usize % (i + 1));
        }
        for i in order {
            replica.apply_changes(&pool[i]).expect("apply");
        }
    }
    let first_heads = replicas[0].heads();
    let first = replicas[0].record().expect("hydrate");
    let first_conflicts = replicas[0].conflicts().expect("conflicts");
    for r in replicas.iter_mut().skip(1) {
        prop_assert_eq!(r.heads(), first_heads.clone());
        prop_assert_eq!(r.record().expect("hydrate"), first.clone());
        prop_assert_eq!(r.conflicts().expect("conflicts"), first_conflicts.clone());
    }
    // And the converged state survives a save/load round trip.
    let mut reloaded = PatientDoc::load(&replicas[0].save()).expect("reload");
    prop_assert_eq!(reloaded.record().expect("hydrate"), first);
    prop_assert_eq!(reloaded.heads(), first_heads);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn replicas_converge((n, steps, seed) in steps()) {
        run(n, &steps, seed)?;
    }
}
