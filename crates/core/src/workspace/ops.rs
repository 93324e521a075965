//! Typed changes to the workspace document. Each writes only what it changes: an added
//! organisation is one new item under `organisations/<id>`, an edit sets only the fields it
//! carries, so two devices editing different fields of one organisation both keep their edit.

use std::collections::BTreeSet;

use automerge::{AutoCommit, ObjId, ReadDoc, Value};
use autosurgeon::{reconcile_prop, Reconcile};
use serde::{Deserialize, Serialize};

use crate::access::resolve;
use crate::author::Author;
use crate::error::DocError;
use crate::record::{IsoDate, RetireReason, Retirement, SdohDomain, Stamp};

use super::directory::{Organisation, ServiceType};
use super::roster::{DeviceLink, Person};

/// The longest id an organisation may have.
const MAX_ID_LEN: usize = 100;

/// The most organisations one import may add (a CSV is capped at fewer rows).
const MAX_IMPORT: usize = 20_000;

/// What [`WorkspaceOp::ChangeOrganisation`] sets. Fields left `None` are not written, so a
/// concurrent change of another field survives; `Some(None)` clears an optional field.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrganisationChanges {
    /// A new name (may not be empty).
    pub name: Option<String>,
    /// The new service types, replacing the old list.
    pub service_types: Option<Vec<ServiceType>>,
    /// A new social-risk domain, or `Some(None)` for none.
    #[serde(
        deserialize_with = "some_even_if_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub sdoh_domain: Option<Option<SdohDomain>>,
    /// A new area served.
    pub area_served: Option<String>,
    /// New eligibility text.
    pub eligibility: Option<String>,
    /// New opening hours.
    pub hours: Option<String>,
    /// A new phone number.
    pub phone: Option<String>,
    /// A new address.
    pub address: Option<String>,
    /// A new web address.
    pub website: Option<String>,
    /// The new languages, replacing the old list.
    pub languages: Option<Vec<String>>,
    /// New notes.
    pub notes: Option<String>,
    /// A new last-verified day, or `Some(None)` to clear it.
    #[serde(
        deserialize_with = "some_even_if_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_verified: Option<Option<IsoDate>>,
}

/// Reads a present field as `Some` even when it is `null`, so `Some(None)` ("clear it") survives a
/// JSON round trip; an absent field stays `None` through `#[serde(default)]`.
fn some_even_if_null<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

impl OrganisationChanges {
    /// Whether nothing would be written.
    pub fn is_empty(&self) -> bool {
        *self == OrganisationChanges::default()
    }
}

/// What [`WorkspaceOp::ChangePerson`] sets; fields left `None` are not written.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PersonChanges {
    pub name: Option<String>,
    pub role: Option<crate::record::PersonRole>,
    pub credentials: Option<String>,
    pub active: Option<bool>,
}

/// A typed change to the workspace document. Applied with
/// [`WorkspaceDoc::apply`](super::WorkspaceDoc::apply). (Ops are built one per user action and
/// consumed at once: the larger add variant costs nothing worth boxing.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[allow(clippy::large_enum_variant)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum WorkspaceOp {
    /// Adds a new organisation (its id must be fresh), stamped with the author and time; any
    /// `recorded` or `retired` the caller sent is replaced.
    AddOrganisation { organisation: Organisation },
    /// Changes some fields of an organisation.
    ChangeOrganisation {
        id: String,
        #[serde(flatten)]
        changes: OrganisationChanges,
    },
    /// Takes an organisation out of the directory (it is kept, marked retired).
    RetireOrganisation {
        id: String,
        reason: RetireReason,
        #[serde(default)]
        note: String,
    },
    /// Brings a retired organisation back.
    RestoreOrganisation { id: String },
    /// Adds many new organisations at once (a CSV import), each as [`Self::AddOrganisation`];
    /// one bad organisation refuses them all.
    ImportOrganisations { organisations: Vec<Organisation> },
    /// Adds a person to the roster (id fresh; the name is tidied and checked like "who I am").
    AddPerson { person: Person },
    /// Changes a person's name, role, credentials or whether they are active.
    ChangePerson {
        id: String,
        #[serde(flatten)]
        changes: PersonChanges,
    },
    /// Says which person a device belongs to (a device belongs to one person; linking it again
    /// moves it). The person need not be on this copy of the roster yet.
    LinkDevice { link: DeviceLink },
    /// Revokes a device (lost, stolen, retired): it gets no key again. Only team leads (the app
    /// checks the role); a revoked device cannot be linked again.
    RevokeDevice { device_id: String },
}

impl WorkspaceOp {
    /// The operation's name as recorded in the change message ("add_organisation").
    pub fn name(&self) -> &'static str {
        match self {
            WorkspaceOp::AddOrganisation { .. } => "add_organisation",
            WorkspaceOp::ChangeOrganisation { .. } => "change_organisation",
            WorkspaceOp::RetireOrganisation { .. } => "retire_organisation",
            WorkspaceOp::RestoreOrganisation { .. } => "restore_organisation",
            WorkspaceOp::ImportOrganisations { .. } => "import_organisations",
            WorkspaceOp::AddPerson { .. } => "add_person",
            WorkspaceOp::ChangePerson { .. } => "change_person",
            WorkspaceOp::LinkDevice { .. } => "link_device",
            WorkspaceOp::RevokeDevice { .. } => "revoke_device",
        }
    }
}

fn invalid(msg: impl Into<String>) -> DocError {
    DocError::Invalid(msg.into())
}

fn check_id(id: &str) -> Result<(), DocError> {
    if id.trim().is_empty() || id.len() > MAX_ID_LEN || id.contains('/') {
        return Err(invalid(format!("bad organisation id {id:?}")));
    }
    Ok(())
}

fn check_name(name: &str) -> Result<(), DocError> {
    if name.trim().is_empty() {
        return Err(invalid("an organisation needs a name"));
    }
    Ok(())
}

fn check_date(d: &Option<IsoDate>) -> Result<(), DocError> {
    match d {
        Some(d) if d.date().is_none() => Err(invalid(format!(
            "not a date (YYYY-MM-DD): {:?}",
            d.as_str()
        ))),
        _ => Ok(()),
    }
}

/// The `organisations` map.
fn organisations(doc: &AutoCommit) -> Result<ObjId, DocError> {
    resolve(doc, &["organisations"]).map_err(|_| DocError::Shape("no organisations map".into()))
}

/// The organisation `id` (NotFound when there is none).
fn organisation(doc: &AutoCommit, id: &str) -> Result<ObjId, DocError> {
    resolve(doc, &["organisations", id])
}

/// Checks a new organisation and readies it for writing: trimmed name, fresh stamp, active.
fn prepare(mut org: Organisation, stamp: &Stamp) -> Result<Organisation, DocError> {
    check_id(&org.id)?;
    check_name(&org.name)?;
    check_date(&org.last_verified)?;
    org.name = org.name.trim().to_string();
    org.recorded = stamp.clone();
    org.retired = None;
    Ok(org)
}

fn insert(doc: &mut AutoCommit, map: &ObjId, org: &Organisation) -> Result<(), DocError> {
    if doc.get(map, org.id.as_str())?.is_some() {
        return Err(invalid(format!("duplicate organisation id {:?}", org.id)));
    }
    reconcile_prop(doc, map, org.id.as_str(), org)?;
    Ok(())
}

fn set<V: Reconcile>(
    doc: &mut AutoCommit,
    obj: &ObjId,
    prop: &str,
    value: Option<V>,
) -> Result<(), DocError> {
    if let Some(v) = value {
        reconcile_prop(doc, obj, prop, v)?;
    }
    Ok(())
}

/// Writes one operation into the open transaction. Checks come before writes where they can;
/// the caller rolls the transaction back on any error, so a refused op leaves no trace.
pub(super) fn write(
    doc: &mut AutoCommit,
    op: WorkspaceOp,
    author: &Author,
    now_ms: i64,
) -> Result<(), DocError> {
    let stamp = Stamp::new(author, now_ms);
    match op {
        WorkspaceOp::AddOrganisation { organisation } => {
            let org = prepare(organisation, &stamp)?;
            let map = organisations(doc)?;
            insert(doc, &map, &org)
        }
        WorkspaceOp::ImportOrganisations {
            organisations: orgs,
        } => {
            if orgs.len() > MAX_IMPORT {
                return Err(invalid(format!(
                    "at most {MAX_IMPORT} organisations can be imported at once"
                )));
            }
            let orgs = orgs
                .into_iter()
                .map(|o| prepare(o, &stamp))
                .collect::<Result<Vec<_>, _>>()?;
            let mut ids = BTreeSet::new();
            if let Some(dup) = orgs.iter().find(|o| !ids.insert(o.id.as_str())) {
                return Err(invalid(format!("duplicate organisation id {:?}", dup.id)));
            }
            let map = organisations(doc)?;
            for org in &orgs {
                insert(doc, &map, org)?;
            }
            Ok(())
        }
        WorkspaceOp::ChangeOrganisation { id, changes } => {
            let OrganisationChanges {
                name,
                service_types,
                sdoh_domain,
                area_served,
                eligibility,
                hours,
                phone,
                address,
                website,
                languages,
                notes,
                last_verified,
            } = changes;
            if let Some(n) = &name {
                check_name(n)?;
            }
            if let Some(d) = &last_verified {
                check_date(d)?;
            }
            let obj = organisation(doc, &id)?;
            set(doc, &obj, "name", name.map(|n| n.trim().to_string()))?;
            set(doc, &obj, "service_types", service_types)?;
            set(doc, &obj, "sdoh_domain", sdoh_domain)?;
            set(doc, &obj, "area_served", area_served)?;
            set(doc, &obj, "eligibility", eligibility)?;
            set(doc, &obj, "hours", hours)?;
            set(doc, &obj, "phone", phone)?;
            set(doc, &obj, "address", address)?;
            set(doc, &obj, "website", website)?;
            set(doc, &obj, "languages", languages)?;
            set(doc, &obj, "notes", notes)?;
            set(doc, &obj, "last_verified", last_verified)
        }
        WorkspaceOp::RetireOrganisation { id, reason, note } => {
            let obj = organisation(doc, &id)?;
            if let Some((Value::Object(_), _)) = doc.get(&obj, "retired")? {
                return Err(invalid(format!("{id} is already retired")));
            }
            let retirement = Retirement {
                reason,
                note,
                stamp,
            };
            set(doc, &obj, "retired", Some(Some(retirement)))
        }
        WorkspaceOp::RestoreOrganisation { id } => {
            let obj = organisation(doc, &id)?;
            if !matches!(doc.get(&obj, "retired")?, Some((Value::Object(_), _))) {
                return Err(invalid(format!("{id} is not retired")));
            }
            set(doc, &obj, "retired", Some(None::<Retirement>))
        }
        WorkspaceOp::AddPerson { mut person } => {
            check_key("person", &person.id)?;
            person.name = tidy_name(&person.name)?;
            person.credentials = person.credentials.trim().to_string();
            person.active = true;
            person.added = stamp;
            let map = roster_map(doc, "people")?;
            if doc.get(&map, person.id.as_str())?.is_some() {
                return Err(invalid(format!("{} is already on the roster", person.name)));
            }
            reconcile_prop(doc, &map, person.id.as_str(), &person)?;
            Ok(())
        }
        WorkspaceOp::ChangePerson { id, changes } => {
            let PersonChanges {
                name,
                role,
                credentials,
                active,
            } = changes;
            let name = name.as_deref().map(tidy_name).transpose()?;
            let obj = resolve(doc, &["people", &id])?;
            set(doc, &obj, "name", name)?;
            set(doc, &obj, "role", role)?;
            set(
                doc,
                &obj,
                "credentials",
                credentials.map(|c| c.trim().to_string()),
            )?;
            set(doc, &obj, "active", active)
        }
        WorkspaceOp::LinkDevice { mut link } => {
            check_key("device", &link.device_id)?;
            // The person may not be here yet: a device joining with an invite links itself
            // before its first pull brings the roster entry the inviter made.
            check_key("person", &link.person_id)?;
            link.name = link.name.trim().to_string();
            link.linked = stamp;
            if !link.public_key.is_empty() && link.key().is_none() {
                return Err(invalid(format!("bad public key {:?}", link.public_key)));
            }
            if link.relay_id.len() > MAX_ID_LEN || link.relay_id.contains('/') {
                return Err(invalid(format!("bad relay id {:?}", link.relay_id)));
            }
            let map = roster_map(doc, "devices")?;
            let before: Option<DeviceLink> =
                autosurgeon::hydrate_prop(doc, &map, link.device_id.as_str())
                    .ok()
                    .flatten();
            if before.as_ref().is_some_and(|b| b.revoked.is_some()) {
                return Err(invalid(format!("device {} was revoked", link.device_id)));
            }
            link.revoked = None;
            reconcile_prop(doc, &map, link.device_id.clone().as_str(), &link)?;
            Ok(())
        }
        WorkspaceOp::RevokeDevice { device_id } => {
            let map = roster_map(doc, "devices")?;
            let obj = resolve(doc, &["devices", device_id.as_str()])
                .map_err(|_| invalid(format!("no device {device_id}")))?;
            let link: DeviceLink = autosurgeon::hydrate_prop(doc, &map, device_id.as_str())
                .map_err(|e| invalid(format!("device {device_id}: {e}")))?;
            if link.revoked.is_some() {
                return Err(invalid(format!("device {device_id} is already revoked")));
            }
            reconcile_prop(doc, &obj, "revoked", Some(stamp))?;
            Ok(())
        }
    }
}

/// A person's or device's id: a map key, so no '/' and not empty.
fn check_key(what: &str, id: &str) -> Result<(), DocError> {
    if id.trim().is_empty() || id.len() > MAX_ID_LEN || id.contains('/') {
        return Err(invalid(format!("bad {what} id {id:?}")));
    }
    Ok(())
}

fn tidy_name(name: &str) -> Result<String, DocError> {
    crate::author::person_name(name).map_err(|e| invalid(e.to_string()))
}

/// The roster map `key` ("people" or "devices"), made by the roster upgrade change.
fn roster_map(doc: &AutoCommit, key: &str) -> Result<ObjId, DocError> {
    resolve(doc, &[key]).map_err(|_| DocError::Shape(format!("no {key} map")))
}

#[cfg(test)]
mod tests {
    use super::super::WorkspaceDoc;
    use super::*;

    fn author() -> Author {
        Author {
            user_id: "u1".into(),
            user_name: "Ana López".into(),
            device_id: "d1".into(),
        }
    }

    fn org(id: &str, name: &str) -> Organisation {
        Organisation {
            id: id.into(),
            name: name.into(),
            ..Default::default()
        }
    }

    fn doc_with(orgs: &[(&str, &str)]) -> WorkspaceDoc {
        let mut doc = WorkspaceDoc::new();
        for (id, name) in orgs {
            doc.apply(
                WorkspaceOp::AddOrganisation {
                    organisation: org(id, name),
                },
                &author(),
                1_000,
            )
            .expect("add");
        }
        doc
    }

    /// Applies `op` expecting a refusal, and checks it left the document as it was.
    fn refused(doc: &mut WorkspaceDoc, op: WorkspaceOp) -> DocError {
        let before = doc.heads();
        let record = doc.record().expect("record");
        let err = doc.apply(op, &author(), 2_000).expect_err("refused");
        assert_eq!(doc.heads(), before);
        assert_eq!(doc.record().expect("record"), record);
        err
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn add_stamps_the_author_and_starts_active() {
        let mut doc = WorkspaceDoc::new();
        let mut o = org("o1", "  Food Bank ");
        o.retired = Some(Retirement::default());
        o.recorded.user_name = "someone else".into();
        o.service_types = vec![ServiceType::Food];
        doc.apply(
            WorkspaceOp::AddOrganisation { organisation: o },
            &author(),
            5_000,
        )
        .expect("add");
        let record = doc.record().expect("record");
        let got = &record.organisations["o1"];
        assert_eq!(got.name, "Food Bank");
        assert_eq!(got.recorded, Stamp::new(&author(), 5_000));
        assert!(got.is_active());
        assert_eq!(got.service_types, [ServiceType::Food]);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn change_writes_only_the_fields_given() {
        let mut doc = doc_with(&[("o1", "Food Bank")]);
        let changes = OrganisationChanges {
            phone: Some("555-0100".into()),
            sdoh_domain: Some(Some(SdohDomain::FoodInsecurity)),
            last_verified: Some(IsoDate::parse("2026-03-01")),
            ..Default::default()
        };
        doc.apply(
            WorkspaceOp::ChangeOrganisation {
                id: "o1".into(),
                changes,
            },
            &author(),
            2_000,
        )
        .expect("change");
        let o = doc.record().expect("record").organisations["o1"].clone();
        assert_eq!(o.name, "Food Bank");
        assert_eq!(o.phone, "555-0100");
        assert_eq!(o.sdoh_domain, Some(SdohDomain::FoodInsecurity));
        assert_eq!(o.last_verified, IsoDate::parse("2026-03-01"));
        let clear = OrganisationChanges {
            sdoh_domain: Some(None),
            last_verified: Some(None),
            ..Default::default()
        };
        doc.apply(
            WorkspaceOp::ChangeOrganisation {
                id: "o1".into(),
                changes: clear,
            },
            &author(),
            3_000,
        )
        .expect("clear");
        let o = doc.record().expect("record").organisations["o1"].clone();
        assert_eq!((o.sdoh_domain, o.last_verified), (None, None));
        assert_eq!(o.phone, "555-0100");
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn retire_and_restore() {
        let mut doc = doc_with(&[("o1", "Food Bank")]);
        let retire = WorkspaceOp::RetireOrganisation {
            id: "o1".into(),
            reason: RetireReason::NoLongerApplicable,
            note: "closed".into(),
        };
        doc.apply(retire.clone(), &author(), 2_000).expect("retire");
        let record = doc.record().expect("record");
        let gone = record.organisations["o1"]
            .retired
            .as_ref()
            .expect("retired");
        assert_eq!(gone.note, "closed");
        assert_eq!(gone.stamp, Stamp::new(&author(), 2_000));
        assert!(record.active().is_empty());
        assert!(matches!(refused(&mut doc, retire), DocError::Invalid(_)));
        let restore = WorkspaceOp::RestoreOrganisation { id: "o1".into() };
        doc.apply(restore.clone(), &author(), 3_000)
            .expect("restore");
        assert_eq!(doc.record().expect("record").active().len(), 1);
        assert!(matches!(refused(&mut doc, restore), DocError::Invalid(_)));
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn bad_ops_are_refused_and_change_nothing() {
        let mut doc = doc_with(&[("o1", "Food Bank")]);
        let add = |id: &str, name: &str| WorkspaceOp::AddOrganisation {
            organisation: org(id, name),
        };
        let change = |id: &str, changes| WorkspaceOp::ChangeOrganisation {
            id: id.into(),
            changes,
        };
        for op in [
            add("o2", "  "),
            add("", "Name"),
            add("a/b", "Name"),
            add("o1", "Duplicate"),
            WorkspaceOp::AddOrganisation {
                organisation: Organisation {
                    last_verified: Some(IsoDate("soon".into())),
                    ..org("o3", "Bad date")
                },
            },
            change(
                "o1",
                OrganisationChanges {
                    name: Some(" ".into()),
                    ..Default::default()
                },
            ),
            WorkspaceOp::ImportOrganisations {
                organisations: vec![org("o4", "Good"), org("o5", "")],
            },
            WorkspaceOp::ImportOrganisations {
                organisations: vec![org("o4", "Good"), org("o4", "Again")],
            },
        ] {
            assert!(
                matches!(refused(&mut doc, op.clone()), DocError::Invalid(_)),
                "{op:?}"
            );
        }
        for op in [
            change("nope", OrganisationChanges::default()),
            WorkspaceOp::RetireOrganisation {
                id: "nope".into(),
                reason: RetireReason::Duplicate,
                note: String::new(),
            },
            WorkspaceOp::RestoreOrganisation { id: "nope".into() },
        ] {
            assert!(
                matches!(refused(&mut doc, op.clone()), DocError::NotFound(_)),
                "{op:?}"
            );
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn ops_round_trip_through_json() {
        let op = WorkspaceOp::ChangeOrganisation {
            id: "o1".into(),
            changes: OrganisationChanges {
                hours: Some("9-5".into()),
                last_verified: Some(None),
                ..Default::default()
            },
        };
        let json = serde_json::to_string(&op).expect("json");
        assert!(json.contains("\"op\":\"change_organisation\""), "{json}");
        assert!(!json.contains("sdoh_domain"), "{json}");
        assert_eq!(serde_json::from_str::<WorkspaceOp>(&json).ok(), Some(op));
    }
}
