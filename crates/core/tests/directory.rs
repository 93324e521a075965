//! The community resource directory in the workspace document: concurrent edits on two devices
//! merge field by field, random interleavings converge, CSV imports land as one change, and
//! refused operations leave no trace.
//!
//! Cases for the property: `PROPTEST_CASES` (default 200).

// On wasm32 these tests run in headless Chromium (see crates/core/Cargo.toml).
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use proptest::prelude::*;
use tend_core::record::{IsoDate, RetireReason, SdohDomain};
use tend_core::workspace::{
    csv::MAX_CSV_ROWS, guess_mapping, import_preview, parse_csv, BadRow, BadRowReason, CsvError,
    Organisation, OrganisationChanges, ServiceType, WorkspaceDoc, WorkspaceOp,
};
use tend_core::{Author, DocError};

const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

fn author(n: u32) -> Author {
    Author {
        user_id: format!("u{n}"),
        user_name: format!("Nurse {n}"),
        device_id: format!("d{n}"),
    }
}

fn org(id: &str, name: &str) -> Organisation {
    Organisation {
        id: id.into(),
        name: name.into(),
        ..Default::default()
    }
}

fn add(id: &str, name: &str) -> WorkspaceOp {
    WorkspaceOp::AddOrganisation {
        organisation: org(id, name),
    }
}

fn change(id: &str, changes: OrganisationChanges) -> WorkspaceOp {
    WorkspaceOp::ChangeOrganisation {
        id: id.into(),
        changes,
    }
}

fn apply(doc: &mut WorkspaceDoc, op: WorkspaceOp, n: u32) {
    doc.apply(op, &author(n), T0 + i64::from(n))
        .expect("op applies");
}

/// Sends everything `from` has that `to` lacks (what sync does, minus the network).
fn send(from: &mut WorkspaceDoc, to: &mut WorkspaceDoc) {
    let heads = to.heads();
    let bytes = from.save_after(&heads);
    to.apply_changes(&bytes).expect("changes apply");
}

fn exchange(a: &mut WorkspaceDoc, b: &mut WorkspaceDoc) {
    send(a, b);
    send(b, a);
}

/// Two devices that both know organisations `o1` (Food Bank) and `o2` (RideCare).
fn two_devices() -> (WorkspaceDoc, WorkspaceDoc) {
    let mut a = WorkspaceDoc::new();
    let mut b = WorkspaceDoc::new();
    apply(&mut a, add("o1", "Food Bank"), 1);
    apply(&mut a, add("o2", "RideCare"), 1);
    exchange(&mut a, &mut b);
    (a, b)
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn edits_of_different_fields_of_one_organisation_both_survive() {
    let (mut a, mut b) = two_devices();
    let phone = OrganisationChanges {
        phone: Some("555-0100".into()),
        ..Default::default()
    };
    let hours = OrganisationChanges {
        hours: Some("Mon-Fri 9-5".into()),
        service_types: Some(vec![ServiceType::Food]),
        ..Default::default()
    };
    apply(&mut a, change("o1", phone), 1);
    apply(&mut b, change("o1", hours), 2);
    exchange(&mut a, &mut b);
    let record = a.record().expect("record");
    assert_eq!(record, b.record().expect("record"));
    let o1 = &record.organisations["o1"];
    assert_eq!(o1.phone, "555-0100");
    assert_eq!(o1.hours, "Mon-Fri 9-5");
    assert_eq!(o1.service_types, [ServiceType::Food]);
    assert_eq!(o1.name, "Food Bank");
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn retiring_one_organisation_while_editing_another_keeps_both() {
    let (mut a, mut b) = two_devices();
    let retire = WorkspaceOp::RetireOrganisation {
        id: "o1".into(),
        reason: RetireReason::NoLongerApplicable,
        note: "closed in March".into(),
    };
    apply(&mut a, retire, 1);
    let notes = OrganisationChanges {
        notes: Some("Wheelchair vans".into()),
        ..Default::default()
    };
    apply(&mut b, change("o2", notes), 2);
    exchange(&mut a, &mut b);
    let record = b.record().expect("record");
    assert_eq!(record, a.record().expect("record"));
    let active: Vec<&str> = record.active().iter().map(|o| o.id.as_str()).collect();
    assert_eq!(active, ["o2"]);
    assert_eq!(record.organisations["o2"].notes, "Wheelchair vans");
    let retired = record.organisations["o1"]
        .retired
        .as_ref()
        .expect("retired");
    assert_eq!(retired.note, "closed in March");
    assert_eq!(retired.stamp.user_name, "Nurse 1");
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn concurrent_adds_of_different_organisations_both_land() {
    // Devices that never met before: each started the document on its own.
    let mut a = WorkspaceDoc::new();
    let mut b = WorkspaceDoc::new();
    apply(&mut a, add("oa", "Alpha Pantry"), 1);
    apply(&mut b, add("ob", "Beta Rides"), 2);
    exchange(&mut a, &mut b);
    let record = a.record().expect("record");
    assert_eq!(record, b.record().expect("record"));
    let names: Vec<&str> = record.active().iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["Alpha Pantry", "Beta Rides"]);
    assert_eq!(record.organisations["ob"].recorded.user_name, "Nurse 2");
    assert_eq!(record.organisations["ob"].recorded.at, T0 + 2);
    assert_eq!(a.heads(), b.heads());
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_saved_document_loads_with_its_directory() {
    let (mut a, _) = two_devices();
    let loaded = WorkspaceDoc::load(&a.save()).expect("loads");
    assert_eq!(loaded.record().ok(), a.record().ok());
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn bad_ops_change_nothing() {
    let (mut a, _) = two_devices();
    let before = a.heads();
    let record = a.record().expect("record");
    let refused = [
        (add("o3", "   "), "empty name"),
        (add("o1", "Again"), "duplicate id"),
        (
            change(
                "o1",
                OrganisationChanges {
                    name: Some(String::new()),
                    ..Default::default()
                },
            ),
            "emptied name",
        ),
        (
            change(
                "o1",
                OrganisationChanges {
                    last_verified: Some(Some(IsoDate("last week".into()))),
                    ..Default::default()
                },
            ),
            "bad date",
        ),
        (
            WorkspaceOp::ImportOrganisations {
                organisations: vec![org("o5", "Good"), org("o6", "")],
            },
            "an import with one nameless organisation",
        ),
    ];
    for (op, why) in refused {
        let err = a.apply(op, &author(1), T0).expect_err(why);
        assert!(matches!(err, DocError::Invalid(_)), "{why}: {err:?}");
    }
    let unknown = [
        change(
            "nope",
            OrganisationChanges {
                phone: Some("1".into()),
                ..Default::default()
            },
        ),
        WorkspaceOp::RetireOrganisation {
            id: "nope".into(),
            reason: RetireReason::Duplicate,
            note: String::new(),
        },
        WorkspaceOp::RestoreOrganisation { id: "nope".into() },
    ];
    for op in unknown {
        let err = a.apply(op.clone(), &author(1), T0).expect_err("unknown id");
        assert!(matches!(err, DocError::NotFound(_)), "{op:?}: {err:?}");
    }
    // A batch with a good op before the bad one is refused whole.
    let batch = vec![
        add("o7", "Fine"),
        change("nope", OrganisationChanges::default()),
    ];
    assert!(a.apply_all(batch, &author(1), T0).is_err());
    assert_eq!(a.heads(), before);
    assert_eq!(a.record().expect("record"), record);
}

const EXPORT: &str = "\u{feff}Agency Name,Taxonomy,Phone,Street,City,Service Area,Languages,Description,Last Verified\r\n\
\"Capital Area Food Bank, Inc.\",Food Pantry,512-555-0100,6500 Metropolis Dr,Austin,Travis County,\"English, Spanish\",\"Bring ID; ask for \"\"Maria\"\"\",2026-02-01\r\n\
\r\n\
RideCare,Medical Transportation,512-555-0101,,Austin,\"Travis, Hays\",English,\"Book 48 hours ahead.\r\nWheelchair vans.\",03/15/2026\r\n\
,Utility Assistance,512-555-0102,,,,,,\r\n\
Short Row,Legal Aid\r\n\
Hope Counseling,Mental Health Counseling,512-555-0103,,Austin,,,Sliding scale,\r\n";

fn ids() -> impl FnMut() -> String {
    let mut n = 0;
    move || {
        n += 1;
        format!("imp{n}")
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_211_export_is_read_with_quotes_bom_and_crlf() {
    let table = parse_csv(EXPORT).expect("parses");
    assert_eq!(table.headers[0], "Agency Name", "the BOM is dropped");
    assert_eq!(table.rows.len(), 5, "the blank line is skipped");
    let mapping = guess_mapping(&table.headers);
    assert_eq!(mapping.name, Some(0));
    assert_eq!(mapping.service_types, Some(1));
    assert_eq!(mapping.phone, Some(2));
    assert_eq!(mapping.address, [3, 4]);
    assert_eq!(mapping.area_served, Some(5));
    assert_eq!(mapping.languages, Some(6));
    assert_eq!(mapping.notes, Some(7));
    assert_eq!(mapping.last_verified, Some(8));

    let preview = import_preview(&table, &mapping, &author(1), T0, ids());
    assert_eq!(
        preview.bad_rows,
        [
            BadRow {
                line: 6,
                reason: BadRowReason::MissingName
            },
            BadRow {
                line: 7,
                reason: BadRowReason::ColumnCount {
                    expected: 9,
                    found: 2
                }
            },
        ]
    );
    assert!(!preview.is_clean());
    let names: Vec<&str> = preview
        .organisations
        .iter()
        .map(|o| o.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "Capital Area Food Bank, Inc.",
            "RideCare",
            "Hope Counseling"
        ]
    );
    let [food, rides, hope] = preview.organisations.as_slice() else {
        unreachable!()
    };
    assert_eq!(food.notes, "Bring ID; ask for \"Maria\"");
    assert_eq!(food.address, "6500 Metropolis Dr, Austin");
    assert_eq!(food.languages, ["English", "Spanish"]);
    assert_eq!(food.service_types, [ServiceType::Food]);
    assert_eq!(food.sdoh_domain, Some(SdohDomain::FoodInsecurity));
    assert_eq!(food.last_verified, IsoDate::parse("2026-02-01"));
    assert_eq!(rides.notes, "Book 48 hours ahead.\nWheelchair vans.");
    assert_eq!(rides.area_served, "Travis, Hays");
    assert_eq!(rides.service_types, [ServiceType::Transportation]);
    assert_eq!(rides.last_verified, IsoDate::parse("2026-03-15"));
    assert_eq!(hope.service_types, [ServiceType::BehavioralHealth]);
    assert_eq!(hope.last_verified, None);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn an_import_adds_every_organisation_in_one_change() {
    let table = parse_csv(EXPORT).expect("parses");
    let preview = import_preview(
        &table,
        &guess_mapping(&table.headers),
        &author(1),
        T0,
        ids(),
    );
    let mut doc = WorkspaceDoc::new();
    apply(&mut doc, add("o1", "Existing Clinic"), 1);
    let before = doc.heads();
    let ops = preview.ops();
    assert_eq!(ops.len(), 1);
    doc.apply_all(ops, &author(2), T0 + 10).expect("imports");
    // Exactly one new change, carrying the import's name and its author.
    let mut raw = automerge::AutoCommit::load(&doc.save()).expect("loads");
    let added = raw.get_changes(&before);
    assert_eq!(added.len(), 1);
    let message = added[0].message().unwrap_or_default();
    assert!(message.contains("import_organisations"), "{message}");
    assert!(message.contains("Nurse 2"), "{message}");
    let record = doc.record().expect("record");
    assert_eq!(record.organisations.len(), 4);
    let food = &record.organisations["imp1"];
    assert_eq!(
        food.recorded.user_name, "Nurse 2",
        "stamped by who imported"
    );
    assert_eq!(food.recorded.at, T0 + 10);
    let found: Vec<&str> = record
        .search("food", None, None, None)
        .iter()
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(found, ["imp1"]);
    assert_eq!(preview.already_listed(&record).len(), 3);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_file_that_cannot_be_read_produces_nothing() {
    let broken = "Name,Notes\r\nFood Bank,\"fine\"\r\nRideCare,\"never closed\r\nHope,ok\r\n";
    assert_eq!(
        parse_csv(broken),
        Err(CsvError::UnterminatedQuote { line: 3 })
    );
    assert_eq!(parse_csv("\u{feff}"), Err(CsvError::Empty));
    let too_many = format!("Name\n{}", "x\n".repeat(MAX_CSV_ROWS + 1));
    assert_eq!(parse_csv(&too_many), Err(CsvError::TooManyRows));
}

/// One step of a device: an operation with ids and values from small pools, so the two devices
/// collide on the same organisations and fields.
#[derive(Clone, Debug)]
enum Step {
    Add {
        org: u8,
    },
    Edit {
        org: u8,
        field: u8,
        value: u8,
    },
    Retire {
        org: u8,
    },
    Restore {
        org: u8,
    },
    /// Sends this device's changes to the other.
    Sync,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..4u8).prop_map(|org| Step::Add { org }),
        (0..4u8, 0..5u8, 0..4u8).prop_map(|(org, field, value)| Step::Edit { org, field, value }),
        (0..4u8).prop_map(|org| Step::Retire { org }),
        (0..4u8).prop_map(|org| Step::Restore { org }),
        Just(Step::Sync),
    ]
}

fn realise(step: &Step, device: u32) -> Option<WorkspaceOp> {
    let id = |org: u8| format!("o{org}");
    Some(match *step {
        Step::Add { org } => add(&id(org), &format!("Org {org} by {device}")),
        Step::Edit { org, field, value } => {
            let text = format!("v{value} from {device}");
            let mut c = OrganisationChanges::default();
            match field {
                0 => c.phone = Some(text),
                1 => c.hours = Some(text),
                2 => c.name = Some(text),
                3 => c.languages = Some(vec![text, "English".into()]),
                _ => c.service_types = Some(vec![ServiceType::ALL[usize::from(value)].clone()]),
            }
            change(&id(org), c)
        }
        Step::Retire { org } => WorkspaceOp::RetireOrganisation {
            id: id(org),
            reason: RetireReason::Duplicate,
            note: format!("by {device}"),
        },
        Step::Restore { org } => WorkspaceOp::RestoreOrganisation { id: id(org) },
        Step::Sync => return None,
    })
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .or(option_env!("PROPTEST_CASES").map(String::from))
        .and_then(|s| s.parse().ok())
        .unwrap_or(200)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn two_devices_converge(steps in proptest::collection::vec((any::<bool>(), step()), 1..40)) {
        let mut devices = [WorkspaceDoc::new(), WorkspaceDoc::new()];
        for (i, (on_b, step)) in steps.iter().enumerate() {
            let [a, b] = &mut devices;
            let (doc, peer, device) = if *on_b { (b, a, 2) } else { (a, b, 1) };
            match realise(step, device) {
                None => send(doc, peer),
                Some(op) => {
                    let heads = doc.heads();
                    let at = T0 + i64::try_from(i).unwrap_or_default();
                    if doc.apply(op, &author(device), at).is_err() {
                        // A refused op leaves no trace.
                        prop_assert_eq!(doc.heads(), heads);
                    }
                }
            }
        }
        let [a, b] = &mut devices;
        exchange(a, b);
        prop_assert_eq!(a.heads(), b.heads());
        let ra = a.record().expect("record");
        let rb = b.record().expect("record");
        prop_assert_eq!(&ra, &rb);
        // Every organisation stays readable with a name.
        for o in ra.organisations.values() {
            prop_assert!(!o.name.trim().is_empty());
        }
    }
}
