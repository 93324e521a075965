//! How each typed operation writes the document. Every op touches only the properties it
//! changes (never a whole section), so it cannot silently overwrite — or silently resolve — a
//! concurrent edit of some other field.

use automerge::{transaction::Transactable, ObjType, ReadDoc, ScalarValue, Value};
use autosurgeon::{hydrate_prop, reconcile::reconcile_insert, reconcile_prop, Hydrate, Reconcile};
use chrono::NaiveDate;

use crate::access::{find_item, item_id, resolve, split_path};
use crate::author::Author;
use crate::conflicts::is_reviewed_field;
use crate::document::PatientDoc;
use crate::error::DocError;
use crate::ops::{
    AuthorizationChanges, AuthorizationDecision, CoverageChanges, ItemList, NarrativeTarget, Op,
    ReferralChanges, TransitionChanges, TransitionList,
};
use crate::record::*;

const MAX_ID_LEN: usize = 100;

fn invalid(msg: impl Into<String>) -> DocError {
    DocError::Invalid(msg.into())
}

fn check_id(id: &str) -> Result<(), DocError> {
    if id.trim().is_empty() || id.len() > MAX_ID_LEN || id.contains('/') {
        return Err(invalid(format!("bad item id {id:?}")));
    }
    Ok(())
}

fn check_date(d: &IsoDate) -> Result<(), DocError> {
    d.date()
        .map(|_| ())
        .ok_or_else(|| invalid(format!("not a date (YYYY-MM-DD): {:?}", d.0)))
}

fn check_minutes(minutes: u64) -> Result<(), DocError> {
    if minutes == 0 || minutes > 24 * 60 {
        return Err(invalid("minutes must be between 1 and 1440"));
    }
    Ok(())
}

fn check_opt_date(d: &Option<IsoDate>) -> Result<(), DocError> {
    d.as_ref().map_or(Ok(()), check_date)
}

fn check_text(what: &str, s: &str) -> Result<(), DocError> {
    if s.trim().is_empty() {
        return Err(invalid(format!("{what} is required")));
    }
    Ok(())
}

fn day(d: &Option<IsoDate>) -> Option<NaiveDate> {
    d.as_ref().and_then(IsoDate::date)
}

/// `later` may not be before `earlier` (either may be unknown).
fn check_order(
    earlier_what: &str,
    earlier: &Option<IsoDate>,
    later_what: &str,
    later: &Option<IsoDate>,
) -> Result<(), DocError> {
    match (day(earlier), day(later)) {
        (Some(a), Some(b)) if b < a => Err(invalid(format!(
            "the {later_what} ({}) is before the {earlier_what} ({})",
            IsoDate::new(b).as_str(),
            IsoDate::new(a).as_str()
        ))),
        _ => Ok(()),
    }
}

/// A count of units (requested, approved, used) is at least 1.
fn check_units(what: &str, n: Option<u64>) -> Result<(), DocError> {
    if n == Some(0) {
        return Err(invalid(format!("{what} must be at least 1")));
    }
    Ok(())
}

fn check_window(days: Option<u64>) -> Result<(), DocError> {
    match days {
        Some(d) if d == 0 || d > 3650 => {
            Err(invalid("an appeal window is between 1 and 3650 days"))
        }
        _ => Ok(()),
    }
}

/// The value a field will have: the one given, else the stored one.
fn given_or<T: Clone>(given: &Option<T>, stored: &Option<T>) -> Option<T> {
    given.clone().or_else(|| stored.clone())
}

/// A required text field an edit changes may not be emptied.
fn check_changed_text(what: &str, s: &Option<String>) -> Result<(), DocError> {
    s.as_deref().map_or(Ok(()), |s| check_text(what, s))
}

/// `list/<id>` as a path.
fn item_path(list: ItemList, id: &str) -> Vec<&str> {
    let mut p: Vec<&str> = list.path().to_vec();
    p.push(id);
    p
}

impl PatientDoc {
    /// Appends a new item to a list, stamped with its author. Ids must be fresh.
    fn add<T: Reconcile + ListItem>(
        &mut self,
        list: ItemList,
        mut item: T,
        stamp: &Stamp,
    ) -> Result<(), DocError> {
        check_id(item.id())?;
        item.stamp_new(stamp.clone());
        self.insert_into(list.path(), item)
    }

    fn insert_into<T: Reconcile + ListItem>(
        &mut self,
        path: &[&str],
        item: T,
    ) -> Result<(), DocError> {
        let id = item.id().to_string();
        self.insert_keyed(path, &id, item)
    }

    /// Appends `item` (whose id is `id`) to the list at `path`; ids must be fresh.
    fn insert_keyed<T: Reconcile>(
        &mut self,
        path: &[&str],
        id: &str,
        item: T,
    ) -> Result<(), DocError> {
        let list = resolve(&self.doc, path)?;
        if find_item(&self.doc, &list, id)?.is_some() {
            return Err(invalid(format!("duplicate id {id:?}")));
        }
        let len = self.doc.length(&list);
        reconcile_insert(&mut self.doc, list, len, &item)?;
        Ok(())
    }

    /// Appends `entry` to the list `prop` of the item at `item` (created first for an item an
    /// older build wrote without it).
    fn append<T: Reconcile>(
        &mut self,
        item: &[&str],
        prop: &str,
        id: &str,
        entry: T,
    ) -> Result<(), DocError> {
        check_id(id)?;
        self.ensure_list(item, prop)?;
        let mut path = item.to_vec();
        path.push(prop);
        self.insert_keyed(&path, id, entry)
    }

    /// The item `id` of `list`, read as it is now (to check an op against it).
    fn item<T: Hydrate>(&self, list: ItemList, id: &str) -> Result<T, DocError> {
        let path = item_path(list, id);
        let items =
            resolve(&self.doc, list.path()).map_err(|_| DocError::NotFound(path.join("/")))?;
        for i in 0..self.doc.length(&items) {
            if let Some((Value::Object(ObjType::Map), obj)) = self.doc.get(&items, i)? {
                if item_id(&self.doc, &obj)?.as_deref() == Some(id) {
                    return Ok(hydrate_prop(&self.doc, &items, i)?);
                }
            }
        }
        Err(DocError::NotFound(path.join("/")))
    }

    /// The active instrument response `id`, which must have raised the safety flag (PHQ-9 item 9).
    fn flagged_response(&self, id: &str) -> Result<InstrumentResponse, DocError> {
        let r: InstrumentResponse = self.item(ItemList::InstrumentResponses, id)?;
        if !r.is_active() {
            return Err(invalid(format!("the response {id:?} was removed")));
        }
        if !crate::assess::raises_safety_flag(&r) {
            return Err(invalid(format!(
                "the response {id:?} did not raise a safety flag (PHQ-9 item 9)"
            )));
        }
        Ok(r)
    }

    /// Sets each value given (a date, a count...), leaving the `None`s as they are.
    fn set_given<V: Reconcile, const N: usize>(
        &mut self,
        list: ItemList,
        id: &str,
        values: [(&str, Option<V>); N],
    ) -> Result<(), DocError> {
        for (prop, value) in values {
            if let Some(v) = value {
                self.set_item(list, id, prop, Some(v))?;
            }
        }
        Ok(())
    }

    /// Sets one property of the object at `path`.
    fn set<V: Reconcile>(&mut self, path: &[&str], prop: &str, value: V) -> Result<(), DocError> {
        let obj = resolve(&self.doc, path)?;
        reconcile_prop(&mut self.doc, obj, prop, value)?;
        Ok(())
    }

    /// Marks the item at `path` retired (never twice).
    fn retire(
        &mut self,
        path: &[&str],
        id: &str,
        reason: RetireReason,
        note: String,
        stamp: Stamp,
    ) -> Result<(), DocError> {
        let item = resolve(&self.doc, path)?;
        if let Some((Value::Object(_), _)) = self.doc.get(&item, "retired")? {
            return Err(invalid(format!("{id} is already retired")));
        }
        let retirement = Retirement {
            reason,
            note,
            stamp,
        };
        self.set(path, "retired", Some(retirement))
    }

    /// Creates the empty list `prop` in the object at `path` when an item written by an older build
    /// lacks it. (Two devices creating it for the same old item at once keep one list: rare, since
    /// every item made by this build already has it.)
    fn ensure_list(&mut self, path: &[&str], prop: &str) -> Result<(), DocError> {
        let obj = resolve(&self.doc, path)?;
        if !matches!(
            self.doc.get(&obj, prop)?,
            Some((Value::Object(ObjType::List), _))
        ) {
            self.doc.put_object(&obj, prop, ObjType::List)?;
        }
        Ok(())
    }

    fn set_item<V: Reconcile>(
        &mut self,
        list: ItemList,
        id: &str,
        prop: &str,
        value: V,
    ) -> Result<(), DocError> {
        self.set(&item_path(list, id), prop, value)
    }

    /// The `Change…` ops: checks the item exists (so an edit of a missing item is an error even
    /// when it changes nothing), then sets only the fields given.
    fn change_texts<const N: usize>(
        &mut self,
        list: ItemList,
        id: &str,
        fields: [(&str, Option<String>); N],
    ) -> Result<(), DocError> {
        resolve(&self.doc, &item_path(list, id))?;
        for (prop, value) in fields {
            if let Some(v) = value {
                self.set_item(list, id, prop, v)?;
            }
        }
        Ok(())
    }

    fn set_flag(
        &mut self,
        list: ItemList,
        id: &str,
        prop: &str,
        value: Option<bool>,
    ) -> Result<(), DocError> {
        value.map_or(Ok(()), |v| self.set_item(list, id, prop, v))
    }

    fn splice(&mut self, path: &[&str], edit: &TextEdit) -> Result<(), DocError> {
        let text = resolve(&self.doc, path)?;
        if !matches!(self.doc.object_type(&text), Ok(ObjType::Text)) {
            return Err(DocError::Shape(format!("{} is not text", path.join("/"))));
        }
        let len = self.doc.length(&text);
        let end = edit.pos.checked_add(edit.delete);
        if edit.pos > len || end.is_none_or(|e| e > len) {
            return Err(invalid(format!(
                "edit {}+{} outside text of length {len}",
                edit.pos, edit.delete
            )));
        }
        let delete = isize::try_from(edit.delete).map_err(|_| invalid("edit too large"))?;
        self.doc
            .splice_text(&text, edit.pos, delete, &edit.insert)?;
        Ok(())
    }

    pub(crate) fn write(&mut self, op: Op, author: &Author, now_ms: i64) -> Result<(), DocError> {
        let stamp = Stamp::new(author, now_ms);
        match op {
            Op::Rename { name } => {
                if name.given.trim().is_empty() && name.family.trim().is_empty() {
                    return Err(invalid("a patient needs a name"));
                }
                self.set(&["name"], "given", &name.given)?;
                self.set(&["name"], "family", &name.family)
            }
            Op::SetProfileText { field, value } => self.set(&["profile"], field.key(), value),
            Op::SetDateOfBirth { date } => {
                check_opt_date(&date)?;
                self.set(&["profile"], "date_of_birth", date)
            }
            Op::SetInterpreterNeeded { needed } => {
                self.set(&["profile"], "interpreter_needed", needed)
            }
            Op::SetAddress { address } => self.set(&["profile"], "address", address),
            Op::SetCodeStatus { status } => self.set(&["profile"], "code_status", status),
            Op::AddPhone { phone } => {
                check_text("phone number", &phone.number)?;
                self.add(ItemList::Phones, phone, &stamp)
            }
            Op::ChangePhone {
                id,
                label,
                number,
                primary,
            } => {
                check_changed_text("phone number", &number)?;
                self.change_texts(
                    ItemList::Phones,
                    &id,
                    [("label", label), ("number", number)],
                )?;
                self.set_flag(ItemList::Phones, &id, "primary", primary)
            }
            Op::AddIdentifier { identifier } => {
                check_text("identifier system", &identifier.system)?;
                check_text("identifier value", &identifier.value)?;
                self.add(ItemList::Identifiers, identifier, &stamp)
            }
            Op::ChangeIdentifier {
                id,
                system,
                value,
                issuer,
            } => {
                check_changed_text("identifier system", &system)?;
                check_changed_text("identifier value", &value)?;
                self.change_texts(
                    ItemList::Identifiers,
                    &id,
                    [("system", system), ("value", value), ("issuer", issuer)],
                )
            }
            Op::AddCoverage { coverage } => {
                check_text("payer", &coverage.payer)?;
                check_opt_date(&coverage.effective_from)?;
                check_opt_date(&coverage.effective_to)?;
                check_order(
                    "start of coverage",
                    &coverage.effective_from,
                    "end of coverage",
                    &coverage.effective_to,
                )?;
                check_window(coverage.appeal_window_days)?;
                self.ensure_list(&["profile"], "coverages")?;
                self.add(ItemList::Coverages, coverage, &stamp)
            }
            Op::HandOver { mut handover } => {
                check_text("care manager", &handover.to_id)?;
                let current: String =
                    hydrate_prop(&self.doc, resolve(&self.doc, &["profile"])?, "care_manager")
                        .unwrap_or_default();
                if handover.from_id != current {
                    return Err(invalid(
                        "the patient's care manager changed since this screen was opened; look again before handing over",
                    ));
                }
                if handover.to_id == current {
                    return Err(invalid("the patient is already with this care manager"));
                }
                handover.note = handover.note.trim().to_string();
                handover.acknowledged = None;
                self.set(&["profile"], "care_manager", handover.to_id.clone())?;
                self.ensure_list(&["profile"], "handovers")?;
                self.add(ItemList::Handovers, handover, &stamp)
            }
            Op::AcknowledgeHandover { id } => {
                let h: Handover = self.item(ItemList::Handovers, &id)?;
                if h.acknowledged.is_some() {
                    return Ok(());
                }
                self.set_item(ItemList::Handovers, &id, "acknowledged", Some(stamp))
            }
            Op::AddTeamMember { member } => {
                check_text("team member", &member.person_id)?;
                self.ensure_list(&["profile"], "team")?;
                let team: Vec<TeamMember> =
                    hydrate_prop(&self.doc, resolve(&self.doc, &["profile"])?, "team")?;
                if team
                    .iter()
                    .any(|m| m.is_active() && m.person_id == member.person_id)
                {
                    return Err(invalid(format!(
                        "{} is already on the care team",
                        member.person_name
                    )));
                }
                self.add(ItemList::CareTeam, member, &stamp)
            }
            Op::ChangeCoverage { id, changes } => {
                let CoverageChanges {
                    payer,
                    plan,
                    member_id,
                    group,
                    effective_from,
                    effective_to,
                    rank,
                    appeal_window_days,
                } = changes;
                let c: Coverage = self.item(ItemList::Coverages, &id)?;
                check_changed_text("payer", &payer)?;
                check_opt_date(&effective_from)?;
                check_opt_date(&effective_to)?;
                check_order(
                    "start of coverage",
                    &given_or(&effective_from, &c.effective_from),
                    "end of coverage",
                    &given_or(&effective_to, &c.effective_to),
                )?;
                check_window(appeal_window_days)?;
                self.change_texts(
                    ItemList::Coverages,
                    &id,
                    [
                        ("payer", payer),
                        ("plan", plan),
                        ("member_id", member_id),
                        ("group", group),
                    ],
                )?;
                self.set_given(
                    ItemList::Coverages,
                    &id,
                    [
                        ("effective_from", effective_from),
                        ("effective_to", effective_to),
                    ],
                )?;
                if let Some(r) = rank {
                    self.set_item(ItemList::Coverages, &id, "rank", r)?;
                }
                self.set_given(
                    ItemList::Coverages,
                    &id,
                    [("appeal_window_days", appeal_window_days)],
                )
            }
            Op::EnrollProgram { enrollment } => {
                check_opt_date(&enrollment.start_date)?;
                check_opt_date(&enrollment.end_date)?;
                if let Some(c) = &enrollment.consent {
                    check_date(&c.date)?;
                }
                self.add(ItemList::Programs, enrollment, &stamp)
            }
            Op::RecordConsent {
                program_id,
                consent,
            } => {
                check_date(&consent.date)?;
                check_text("who obtained consent", &consent.obtained_by)?;
                self.set_item(ItemList::Programs, &program_id, "consent", Some(consent))
            }
            Op::SetProgramStatus {
                program_id,
                status,
                date,
                reason,
                change_id,
            } => {
                check_opt_date(&date)?;
                resolve(&self.doc, &item_path(ItemList::Programs, &program_id))?;
                let ending = matches!(status, ProgramStatus::Ended | ProgramStatus::Declined);
                self.set_item(ItemList::Programs, &program_id, "status", &status)?;
                if let Some(day) = date.clone().filter(|_| !change_id.is_empty()) {
                    check_id(&change_id)?;
                    let mut path = item_path(ItemList::Programs, &program_id);
                    path.push("status_changes");
                    self.ensure_list(
                        &item_path(ItemList::Programs, &program_id),
                        "status_changes",
                    )?;
                    let change = ProgramStatusChange {
                        id: change_id,
                        status: status.clone(),
                        date: day,
                        reason: reason.clone(),
                        recorded: stamp.clone(),
                    };
                    let list = resolve(&self.doc, &path)?;
                    if find_item(&self.doc, &list, &change.id)?.is_some() {
                        return Err(invalid(format!("duplicate id {:?}", change.id)));
                    }
                    let len = self.doc.length(&list);
                    reconcile_insert(&mut self.doc, list, len, &change)?;
                }
                if ending {
                    self.set_item(ItemList::Programs, &program_id, "end_date", date)?;
                    self.set_item(ItemList::Programs, &program_id, "end_reason", reason)
                } else {
                    Ok(())
                }
            }
            Op::ChangeProgram {
                id,
                start_date,
                reason,
                linked_transition,
                linked_authorization,
            } => {
                check_opt_date(&start_date)?;
                self.change_texts(
                    ItemList::Programs,
                    &id,
                    [
                        ("reason", reason),
                        ("linked_transition", linked_transition),
                        ("linked_authorization", linked_authorization),
                    ],
                )?;
                if let Some(d) = start_date {
                    self.set_item(ItemList::Programs, &id, "start_date", Some(d))?;
                }
                Ok(())
            }
            Op::SetComplexMonth {
                program_id,
                month,
                complex,
            } => {
                let Some(month) = crate::billing::parse_month(&month) else {
                    return Err(invalid("the month must be written 2026-11"));
                };
                let month = crate::billing::month_id(month);
                let record = self.record()?;
                let Some(p) = record.programs.iter().find(|p| p.id == program_id) else {
                    return Err(invalid(format!("no program {program_id:?}")));
                };
                if p.program != ProgramKind::Ccm {
                    return Err(invalid("only CCM has complex months"));
                }
                let mut months: Vec<String> = p
                    .complex_months
                    .iter()
                    .filter(|m| **m != month)
                    .cloned()
                    .collect();
                if complex {
                    months.push(month);
                    months.sort();
                }
                self.set_item(ItemList::Programs, &program_id, "complex_months", months)
            }
            Op::AddCondition { condition } => {
                check_text("condition", &condition.text)?;
                check_opt_date(&condition.onset)?;
                self.add(ItemList::Conditions, condition, &stamp)
            }
            Op::SetConditionStatus { id, status } => {
                self.set_item(ItemList::Conditions, &id, "status", status)
            }
            Op::AddAllergy { allergy } => {
                check_text("allergy substance", &allergy.substance)?;
                self.add(ItemList::Allergies, allergy, &stamp)
            }
            Op::UpdateAllergy {
                id,
                reaction,
                severity,
                status,
            } => {
                // Check it exists first so an all-None update of a missing id is still an error.
                resolve(&self.doc, &item_path(ItemList::Allergies, &id))?;
                if let Some(r) = reaction {
                    self.set_item(ItemList::Allergies, &id, "reaction", r)?;
                }
                if let Some(s) = severity {
                    self.set_item(ItemList::Allergies, &id, "severity", s)?;
                }
                if let Some(s) = status {
                    self.set_item(ItemList::Allergies, &id, "status", s)?;
                }
                Ok(())
            }
            Op::AddMedication { medication } => {
                check_text("medication name", &medication.name)?;
                check_opt_date(&medication.last_reconciled)?;
                self.add(ItemList::Medications, medication, &stamp)
            }
            Op::ChangeMedication {
                id,
                name,
                dose,
                route,
                frequency,
                prescriber,
                indication,
            } => {
                check_changed_text("medication name", &name)?;
                self.change_texts(
                    ItemList::Medications,
                    &id,
                    [
                        ("name", name),
                        ("dose", dose),
                        ("route", route),
                        ("frequency", frequency),
                        ("prescriber", prescriber),
                        ("indication", indication),
                    ],
                )
            }
            Op::SetMedicationStatus {
                id,
                status,
                since,
                reason,
            } => {
                check_opt_date(&since)?;
                resolve(&self.doc, &item_path(ItemList::Medications, &id))?;
                self.set_item(ItemList::Medications, &id, "status", status)?;
                self.set_item(ItemList::Medications, &id, "status_since", since)?;
                self.set_item(ItemList::Medications, &id, "status_reason", reason)
            }
            Op::SetMedicationSchedule { id, schedule } => {
                for t in &schedule.times {
                    if crate::handout::Slot::parse(t).is_none() {
                        return Err(invalid(format!(
                            "{t:?} is not a time of day (morning, noon, evening, bedtime or HH:MM)"
                        )));
                    }
                }
                check_opt_date(&schedule.start_on)?;
                check_opt_date(&schedule.stop_on)?;
                if let (Some(start), Some(stop)) = (
                    schedule.start_on.as_ref().and_then(IsoDate::date),
                    schedule.stop_on.as_ref().and_then(IsoDate::date),
                ) {
                    if stop < start {
                        return Err(invalid("the stop date is before the start date"));
                    }
                }
                if schedule.max_per_day == Some(0) {
                    return Err(invalid("a maximum per day must be at least 1"));
                }
                resolve(&self.doc, &item_path(ItemList::Medications, &id))?;
                self.set_item(ItemList::Medications, &id, "schedule", schedule)
            }
            Op::MarkMedicationReconciled { id, date } => {
                check_date(&date)?;
                self.set_item(ItemList::Medications, &id, "last_reconciled", Some(date))
            }
            Op::AddProvider { provider } => {
                check_text("provider name", &provider.name)?;
                self.add(ItemList::Providers, provider, &stamp)
            }
            Op::ChangeProvider {
                id,
                name,
                role,
                organization,
                phone,
            } => {
                check_changed_text("provider name", &name)?;
                self.change_texts(
                    ItemList::Providers,
                    &id,
                    [
                        ("name", name),
                        ("role", role),
                        ("organization", organization),
                        ("phone", phone),
                    ],
                )
            }
            Op::AddHospitalization { hospitalization } => {
                check_opt_date(&hospitalization.admitted_on)?;
                check_opt_date(&hospitalization.discharged_on)?;
                self.add(ItemList::Hospitalizations, hospitalization, &stamp)
            }
            Op::SetFunctionalStatus { functional } => {
                // Reconciling the struct writes only the fields that differ.
                self.set(&[], "functional", functional)
            }
            Op::SetLivesAlone { lives_alone } => self.set(&["support"], "lives_alone", lives_alone),
            Op::AddCaregiver { caregiver } => {
                check_text("caregiver name", &caregiver.name)?;
                self.add(ItemList::Caregivers, caregiver, &stamp)
            }
            Op::ChangeCaregiver {
                id,
                name,
                relationship,
                phone,
                primary,
                may_share_info,
            } => {
                check_changed_text("caregiver name", &name)?;
                self.change_texts(
                    ItemList::Caregivers,
                    &id,
                    [
                        ("name", name),
                        ("relationship", relationship),
                        ("phone", phone),
                    ],
                )?;
                self.set_flag(ItemList::Caregivers, &id, "primary", primary)?;
                self.set_flag(ItemList::Caregivers, &id, "may_share_info", may_share_info)
            }
            Op::SetBehavioralHealth { behavioral } => self.set(&[], "behavioral", behavioral),
            Op::AddSocialNeed { need } => {
                check_opt_date(&need.identified_on)?;
                self.add(ItemList::SocialNeeds, need, &stamp)
            }
            Op::SetSocialNeedStatus { id, status } => {
                self.set_item(ItemList::SocialNeeds, &id, "status", status)
            }
            Op::RecordInstrument { mut response } => {
                check_text("instrument", &response.instrument)?;
                check_date(&response.date)?;
                response.safety_acknowledged = None;
                self.add(ItemList::InstrumentResponses, response, &stamp)
            }
            Op::AcknowledgeSafetyFlag { response_id } => {
                let r = self.flagged_response(&response_id)?;
                if r.safety_acknowledged.is_some() {
                    return Ok(());
                }
                self.set_item(
                    ItemList::InstrumentResponses,
                    &response_id,
                    "safety_acknowledged",
                    Some(stamp),
                )
            }
            Op::RecordSafetyAssessment { mut assessment } => {
                let r = self.flagged_response(&assessment.response_id)?;
                check_date(&assessment.date)?;
                check_order(
                    "PHQ-9",
                    &Some(r.date.clone()),
                    "safety assessment",
                    &Some(assessment.date.clone()),
                )?;
                assessment.assessed_by = assessment.assessed_by.trim().to_string();
                assessment.plan = assessment.plan.trim().to_string();
                check_text("who assessed the patient", &assessment.assessed_by)?;
                check_text("the safety plan", &assessment.plan)?;
                if matches!(
                    assessment.risk_level,
                    SafetyRiskLevel::NotRecorded | SafetyRiskLevel::Other(_)
                ) {
                    return Err(invalid(
                        "a safety assessment needs its risk level (low, moderate, high or imminent)",
                    ));
                }
                self.ensure_list(&["assessments"], "safety_assessments")?;
                self.add(ItemList::SafetyAssessments, assessment, &stamp)
            }
            Op::EditNarrative { target, edit } => {
                let path: Vec<&str> = match &target {
                    NarrativeTarget::Section { section } => match section {
                        NarrativeSection::Physical => vec!["assessments", "physical"],
                        NarrativeSection::Emotional => vec!["assessments", "emotional"],
                        NarrativeSection::Social => vec!["assessments", "social"],
                        NarrativeSection::Preferences => vec!["care_plan", "preferences"],
                        NarrativeSection::Priorities => vec!["care_plan", "priorities"],
                        NarrativeSection::Other(s) => {
                            return Err(invalid(format!("unknown narrative section {s:?}")))
                        }
                    },
                    NarrativeTarget::EncounterNote { id } => {
                        self.check_unsigned_encounter(id)?;
                        let mut p = item_path(ItemList::Encounters, id);
                        p.push("note");
                        p
                    }
                    NarrativeTarget::AdvocacyNote { id } => {
                        let mut p = item_path(ItemList::Advocacy, id);
                        p.push("text");
                        p
                    }
                    NarrativeTarget::MedicalNecessity { id } => {
                        let mut p = item_path(ItemList::Authorizations, id);
                        p.push("medical_necessity");
                        p
                    }
                };
                self.splice(&path, &edit)
            }
            Op::AddNeed { need } => {
                check_text("need", &need.description)?;
                self.add(ItemList::Needs, need, &stamp)
            }
            Op::ChangeNeed {
                id,
                description,
                domain,
            } => {
                check_changed_text("need", &description)?;
                self.change_texts(
                    ItemList::Needs,
                    &id,
                    [("description", description), ("domain", domain)],
                )
            }
            Op::SetNeedStatus { id, status } => {
                self.set_item(ItemList::Needs, &id, "status", status)
            }
            Op::AddGoal { goal } => {
                check_text("goal", &goal.description)?;
                check_opt_date(&goal.due)?;
                if !goal.progress.is_empty() {
                    return Err(invalid("record progress with RecordProgress"));
                }
                self.add(ItemList::Goals, goal, &stamp)
            }
            Op::ChangeGoal {
                id,
                description,
                measure,
                target,
                due,
            } => {
                check_changed_text("goal", &description)?;
                check_opt_date(&due)?;
                self.change_texts(
                    ItemList::Goals,
                    &id,
                    [
                        ("description", description),
                        ("measure", measure),
                        ("target", target),
                    ],
                )?;
                due.map_or(Ok(()), |d| {
                    self.set_item(ItemList::Goals, &id, "due", Some(d))
                })
            }
            Op::SetGoalStatus { id, status } => {
                self.set_item(ItemList::Goals, &id, "status", status)
            }
            Op::RecordProgress { goal_id, mut entry } => {
                check_id(&entry.id)?;
                check_date(&entry.date)?;
                entry.stamp_new(stamp);
                let mut path = item_path(ItemList::Goals, &goal_id);
                path.push("progress");
                self.insert_into(&path, entry)
            }
            Op::AddAction { action } => {
                check_text("action", &action.description)?;
                check_opt_date(&action.due)?;
                self.add(ItemList::Actions, action, &stamp)
            }
            Op::ChangeAction {
                id,
                description,
                responsible,
                due,
            } => {
                check_changed_text("action", &description)?;
                check_opt_date(&due)?;
                self.change_texts(ItemList::Actions, &id, [("description", description)])?;
                if let Some(r) = responsible {
                    self.set_item(ItemList::Actions, &id, "responsible", r)?;
                }
                due.map_or(Ok(()), |d| {
                    self.set_item(ItemList::Actions, &id, "due", Some(d))
                })
            }
            Op::SetActionStatus { id, status } => {
                self.set_item(ItemList::Actions, &id, "status", status)
            }
            Op::AddBarrier { barrier } => {
                check_text("barrier", &barrier.description)?;
                self.add(ItemList::Barriers, barrier, &stamp)
            }
            Op::RevisePlan { revision } => {
                check_text("revision reason", &revision.reason)?;
                check_date(&revision.date)?;
                self.add(ItemList::Revisions, revision, &stamp)
            }
            Op::RecordAgreement { agreement } => {
                check_date(&agreement.date)?;
                self.add(ItemList::Agreements, agreement, &stamp)
            }
            Op::AddReferral { referral } => {
                check_text("referral target", &referral.to)?;
                check_opt_date(&referral.sent_on)?;
                check_opt_date(&referral.completed_on)?;
                check_opt_date(&referral.appointment_on)?;
                check_order(
                    "sending",
                    &referral.sent_on,
                    "appointment",
                    &referral.appointment_on,
                )?;
                check_order(
                    "sending",
                    &referral.sent_on,
                    "completion",
                    &referral.completed_on,
                )?;
                if !referral.status_changes.is_empty() {
                    return Err(invalid("record status changes with SetReferralStatus"));
                }
                self.add(ItemList::Referrals, referral, &stamp)
            }
            Op::SetReferralStatus {
                id,
                status,
                note,
                date,
                change_id,
                appointment_on,
                outcome,
            } => {
                let date = date.ok_or_else(|| invalid("a status change needs its date"))?;
                let change = ReferralStatusChange {
                    id: change_id,
                    status,
                    date,
                    note,
                    recorded: stamp,
                };
                self.set_referral_status(&id, change, appointment_on, outcome)
            }
            Op::ChangeReferral { id, changes } => self.change_referral(&id, changes),
            Op::AddAuthorization { authorization } => {
                check_text("authorised service", &authorization.service)?;
                for d in [
                    &authorization.requested_on,
                    &authorization.decided_on,
                    &authorization.valid_from,
                    &authorization.valid_to,
                    &authorization.denied_on,
                    &authorization.appealed_on,
                ] {
                    check_opt_date(d)?;
                }
                check_order(
                    "first valid day",
                    &authorization.valid_from,
                    "last valid day",
                    &authorization.valid_to,
                )?;
                check_units("units requested", authorization.units_requested)?;
                check_units("units approved", authorization.units_approved)?;
                check_window(authorization.appeal_window_days)?;
                if !authorization.status_changes.is_empty() || !authorization.uses.is_empty() {
                    return Err(invalid(
                        "record status changes and uses with their own operations",
                    ));
                }
                self.add(ItemList::Authorizations, authorization, &stamp)
            }
            Op::SetAuthorizationStatus {
                id,
                status,
                date,
                change_id,
                note,
                decision,
            } => {
                let date = date.ok_or_else(|| invalid("a status change needs its date"))?;
                let change = AuthorizationStatusChange {
                    id: change_id,
                    status,
                    date,
                    note,
                    recorded: stamp,
                };
                self.set_authorization_status(&id, change, decision)
            }
            Op::ChangeAuthorization { id, changes } => self.change_authorization(&id, changes),
            Op::RecordAuthorizationUse {
                authorization_id,
                mut entry,
            } => {
                check_date(&entry.date)?;
                check_units("units used", Some(entry.units))?;
                let item = item_path(ItemList::Authorizations, &authorization_id);
                resolve(&self.doc, &item)?;
                entry.stamp_new(stamp);
                let id = entry.id.clone();
                self.append(&item, "uses", &id, entry)
            }
            Op::RetireAuthorizationUse {
                authorization_id,
                id,
                reason,
                note,
            } => {
                let mut path = item_path(ItemList::Authorizations, &authorization_id);
                path.push("uses");
                path.push(&id);
                self.retire(&path, &id, reason, note, stamp)
            }
            Op::RecordEducation { education } => {
                check_text("education topic", &education.topic)?;
                check_date(&education.date)?;
                self.add(ItemList::Education, education, &stamp)
            }
            Op::AddAdvocacyNote { note } => {
                check_date(&note.date)?;
                self.add(ItemList::Advocacy, note, &stamp)
            }
            Op::ChangeAdvocacyNote {
                id,
                date,
                with_whom,
                topic,
                outcome,
            } => {
                check_opt_date(&date)?;
                self.change_texts(
                    ItemList::Advocacy,
                    &id,
                    [
                        ("with_whom", with_whom),
                        ("topic", topic),
                        ("outcome", outcome),
                    ],
                )?;
                date.map_or(Ok(()), |d| {
                    self.set_item(ItemList::Advocacy, &id, "date", d)
                })
            }
            Op::ScheduleFollowUp { follow_up } => {
                check_date(&follow_up.due)?;
                self.add(ItemList::FollowUps, follow_up, &stamp)
            }
            Op::RescheduleFollowUp { id, due } => {
                check_date(&due)?;
                let path = item_path(ItemList::FollowUps, &id);
                let item = resolve(&self.doc, &path)?;
                let count: u64 = hydrate_prop(&self.doc, &item, "reschedule_count").unwrap_or(0);
                self.set(&path, "due", due)?;
                self.set(&path, "reschedule_count", count.saturating_add(1))
            }
            Op::CompleteFollowUp {
                id,
                completed_on,
                outcome,
                symptom_review,
            } => {
                check_date(&completed_on)?;
                let path = item_path(ItemList::FollowUps, &id);
                self.set(&path, "status", FollowUpStatus::Completed)?;
                self.set(&path, "completed_on", Some(completed_on))?;
                self.set(&path, "outcome", outcome)?;
                self.set(&path, "symptom_review", symptom_review)
            }
            Op::SetFollowUpStatus { id, status } => {
                self.set_item(ItemList::FollowUps, &id, "status", status)
            }
            Op::StartEncounter { encounter } => {
                check_date(&encounter.date)?;
                if encounter.signed.is_some() || !encounter.addenda.is_empty() {
                    return Err(invalid(
                        "a new encounter starts unsigned: sign it with SignEncounterNote",
                    ));
                }
                self.add(ItemList::Encounters, encounter, &stamp)
            }
            Op::ChangeEncounter { id, subject, date } => {
                self.check_unsigned_encounter(&id)?;
                check_opt_date(&date)?;
                self.change_texts(ItemList::Encounters, &id, [("subject", subject)])?;
                date.map_or(Ok(()), |d| {
                    self.set_item(ItemList::Encounters, &id, "date", d)
                })
            }
            Op::SignEncounterNote { id } => self.sign_encounter_note(&id, stamp),
            Op::AddEncounterAddendum {
                encounter_id,
                addendum,
            } => self.add_encounter_addendum(&encounter_id, addendum, stamp),
            Op::RecordTransition { transition } => {
                check_text("facility", &transition.facility)?;
                check_opt_date(&transition.admitted_on)?;
                check_opt_date(&transition.discharged_on)?;
                self.add(ItemList::Transitions, transition, &stamp)
            }
            Op::ChangeTransition {
                id,
                facility,
                admitted_on,
                reason,
                setting,
                emergent,
            } => {
                check_changed_text("facility", &facility)?;
                check_opt_date(&admitted_on)?;
                self.change_texts(
                    ItemList::Transitions,
                    &id,
                    [("facility", facility), ("reason", reason)],
                )?;
                if let Some(d) = admitted_on {
                    self.set_item(ItemList::Transitions, &id, "admitted_on", Some(d))?;
                }
                if let Some(s) = setting {
                    self.set_item(ItemList::Transitions, &id, "setting", s)?;
                }
                self.set_flag(ItemList::Transitions, &id, "emergent", emergent)
            }
            Op::UpdateTransition { id, changes } => {
                let TransitionChanges {
                    discharged_on,
                    disposition,
                    status,
                    discharge_summary_received,
                    complexity,
                    face_to_face_on,
                    medication_reconciled_on,
                    reconciled_by,
                } = changes;
                for d in [&discharged_on, &face_to_face_on, &medication_reconciled_on] {
                    check_opt_date(d)?;
                }
                self.change_texts(
                    ItemList::Transitions,
                    &id,
                    [("reconciled_by", reconciled_by)],
                )?;
                let dates = [
                    ("discharged_on", discharged_on),
                    ("face_to_face_on", face_to_face_on),
                    ("medication_reconciled_on", medication_reconciled_on),
                ];
                for (prop, date) in dates {
                    if let Some(d) = date {
                        self.set_item(ItemList::Transitions, &id, prop, Some(d))?;
                    }
                }
                if let Some(d) = disposition {
                    self.set_item(ItemList::Transitions, &id, "disposition", d)?;
                }
                if let Some(s) = status {
                    self.set_item(ItemList::Transitions, &id, "status", s)?;
                }
                if let Some(c) = complexity {
                    self.set_item(ItemList::Transitions, &id, "complexity", c)?;
                }
                self.set_flag(
                    ItemList::Transitions,
                    &id,
                    "discharge_summary_received",
                    discharge_summary_received,
                )
            }
            Op::AddDischargeMedication {
                transition_id,
                mut medication,
            } => {
                check_id(&medication.id)?;
                check_text("medication name", &medication.name)?;
                medication.stamp_new(stamp);
                let mut path = item_path(ItemList::Transitions, &transition_id);
                path.push(TransitionList::DischargeMedications.prop());
                self.insert_into(&path, medication)
            }
            Op::LogContactAttempt {
                transition_id,
                mut attempt,
            } => {
                check_id(&attempt.id)?;
                check_date(&attempt.date)?;
                attempt.stamp_new(stamp);
                let mut path = item_path(ItemList::Transitions, &transition_id);
                path.push(TransitionList::ContactAttempts.prop());
                self.insert_into(&path, attempt)
            }
            Op::SetLaceOverride {
                transition_id,
                mut part,
            } => {
                if !crate::transitions::LACE_PARTS.contains(&part.id.as_str()) {
                    return Err(invalid(format!("no LACE part {:?}", part.id)));
                }
                if part.points > crate::transitions::max_lace_points(&part.id) {
                    return Err(invalid(format!(
                        "{} points are more than LACE gives for {}",
                        part.points, part.id
                    )));
                }
                check_text("the reason for the override", &part.reason)?;
                let mut path = item_path(ItemList::Transitions, &transition_id);
                path.push(TransitionList::LaceOverrides.prop());
                let list = resolve(&self.doc, &path)?;
                if find_item(&self.doc, &list, &part.id)?.is_some() {
                    // Replaces the earlier override of the part (and brings it back if retired).
                    path.push(&part.id);
                    self.set(&path, "points", part.points)?;
                    self.set(&path, "reason", part.reason)?;
                    self.set(&path, "recorded", stamp)?;
                    self.set(&path, "retired", None::<Retirement>)
                } else {
                    part.stamp_new(stamp);
                    self.insert_into(&path, part)
                }
            }
            Op::RetireTransitionItem {
                transition_id,
                list,
                id,
                reason,
                note,
            } => {
                let mut path = item_path(ItemList::Transitions, &transition_id);
                path.push(list.prop());
                path.push(&id);
                self.retire(&path, &id, reason, note, stamp)
            }
            Op::LogMinutes { entry } => {
                check_date(&entry.date)?;
                check_minutes(entry.minutes)?;
                self.add(ItemList::TimeEntries, entry, &stamp)
            }
            Op::ChangeTimeEntry {
                id,
                date,
                minutes,
                program,
                activity,
                staff,
                staff_role,
            } => {
                check_opt_date(&date)?;
                if let Some(m) = minutes {
                    check_minutes(m)?;
                }
                self.change_texts(
                    ItemList::TimeEntries,
                    &id,
                    [("activity", activity), ("staff", staff)],
                )?;
                if let Some(d) = date {
                    self.set_item(ItemList::TimeEntries, &id, "date", d)?;
                }
                if let Some(m) = minutes {
                    self.set_item(ItemList::TimeEntries, &id, "minutes", m)?;
                }
                if let Some(p) = program {
                    self.set_item(ItemList::TimeEntries, &id, "program", p)?;
                }
                if let Some(r) = staff_role {
                    self.set_item(ItemList::TimeEntries, &id, "staff_role", r)?;
                }
                Ok(())
            }
            Op::Retire {
                list,
                id,
                reason,
                note,
            } => self.retire(&item_path(list, &id), &id, reason, note, stamp),
            Op::ResolveConflict { path, value } => {
                let segs = split_path(&path);
                let Some((prop, parent)) = segs.split_last() else {
                    return Err(invalid("empty path"));
                };
                let obj = resolve(&self.doc, parent)?;
                // The value keeps the field's kind: text, or a yes/no flag written "true"/"false".
                let value = match self.doc.get(&obj, *prop)? {
                    Some((Value::Scalar(s), _)) => match s.as_ref() {
                        ScalarValue::Str(_) => ScalarValue::Str(value.as_str().into()),
                        ScalarValue::Boolean(_) => match value.as_str() {
                            "true" => ScalarValue::Boolean(true),
                            "false" => ScalarValue::Boolean(false),
                            _ => {
                                return Err(invalid(format!("{path} is yes or no, not {value:?}")))
                            }
                        },
                        _ => return Err(DocError::NotFound(path.clone())),
                    },
                    _ => return Err(DocError::NotFound(path.clone())),
                };
                // Any text field holding concurrent values can be settled (the quiet marker);
                // otherwise only a reviewed field — this is not a way to write arbitrary paths.
                let clashing = self.doc.get_all(&obj, *prop)?.len() > 1;
                if !clashing && !is_reviewed_field(&segs) {
                    return Err(invalid(format!(
                        "{path} is not a reviewed field and holds one value"
                    )));
                }
                // One put supersedes every concurrent value: the conflict is gone everywhere
                // once this change syncs.
                self.doc.put(&obj, *prop, value)?;
                Ok(())
            }
        }
    }
}

/// Signed visit notes: signing closes an encounter; what comes later is an addendum.
///
/// Concurrency: when one device signs while another, offline, is still editing the note, the
/// merge keeps both — the note's text holds the other device's words too (Automerge merges the
/// text) and the encounter is signed. Dropping a colleague's documentation would be worse than a
/// signed note that grew after its signer last saw it; the note's history shows who wrote what,
/// when. From the merge on, every device refuses further edits of the note.
impl PatientDoc {
    /// Refuses a change of a signed encounter's note, subject or date.
    fn check_unsigned_encounter(&self, id: &str) -> Result<(), DocError> {
        let e: Encounter = self.item(ItemList::Encounters, id)?;
        match e.signed {
            Some(s) => Err(invalid(format!(
                "this note was signed by {} and can no longer be changed; add an addendum instead",
                s.user_name
            ))),
            None => Ok(()),
        }
    }

    fn sign_encounter_note(&mut self, id: &str, stamp: Stamp) -> Result<(), DocError> {
        let e: Encounter = self.item(ItemList::Encounters, id)?;
        if e.retired.is_some() {
            return Err(invalid("a removed visit cannot be signed"));
        }
        if let Some(s) = &e.signed {
            return Err(invalid(format!(
                "this note was already signed by {}",
                s.user_name
            )));
        }
        if e.note.as_str().trim().is_empty() {
            return Err(invalid("an empty note cannot be signed"));
        }
        let path = item_path(ItemList::Encounters, id);
        // An encounter written by an older build gets its addenda list now, once, rather than
        // with its first addendum (two devices adding the first addendum while apart would each
        // create a list, and one list — with its addendum — would lose).
        self.ensure_list(&path, "addenda")?;
        self.set(&path, "signed", Some(stamp))
    }

    fn add_encounter_addendum(
        &mut self,
        encounter_id: &str,
        mut addendum: EncounterAddendum,
        stamp: Stamp,
    ) -> Result<(), DocError> {
        let e: Encounter = self.item(ItemList::Encounters, encounter_id)?;
        if e.signed.is_none() {
            return Err(invalid(
                "only a signed note takes addenda; until it is signed, edit the note itself",
            ));
        }
        if e.retired.is_some() {
            return Err(invalid("a removed visit takes no addenda"));
        }
        addendum.text = addendum.text.trim().to_string();
        check_text("the addendum's text", &addendum.text)?;
        addendum.recorded = stamp;
        let id = addendum.id.clone();
        self.append(
            &item_path(ItemList::Encounters, encounter_id),
            "addenda",
            &id,
            addendum,
        )
    }
}

/// Referrals and authorisations: the status changes check the item as it is now, so their
/// rules (what a status needs, which status may follow which) see the merged record.
impl PatientDoc {
    fn set_referral_status(
        &mut self,
        id: &str,
        change: ReferralStatusChange,
        appointment_on: Option<IsoDate>,
        outcome: Option<String>,
    ) -> Result<(), DocError> {
        use ReferralStatus as S;
        let r: Referral = self.item(ItemList::Referrals, id)?;
        check_id(&change.id)?;
        check_date(&change.date)?;
        check_opt_date(&appointment_on)?;
        let status = &change.status;
        if let S::Other(s) = status {
            return Err(invalid(format!("unknown referral status {s:?}")));
        }
        if *status == S::Scheduled && appointment_on.is_none() {
            return Err(invalid(
                "scheduling a referral asks for the appointment date",
            ));
        }
        if *status == S::Completed && outcome.as_deref().unwrap_or(&r.outcome).trim().is_empty() {
            return Err(invalid("closing the loop asks for the outcome"));
        }
        let day = Some(change.date.clone());
        let sent_on = if *status == S::Sent {
            day.clone()
        } else {
            r.sent_on.clone()
        };
        check_order("sending", &sent_on, "appointment", &appointment_on)?;
        if *status == S::Completed {
            check_order("sending", &sent_on, "completion", &day)?;
        }

        let list = ItemList::Referrals;
        self.set_item(list, id, "status", status)?;
        self.set_item(list, id, "status_note", &change.note)?;
        match status {
            S::Sent => self.set_item(list, id, "sent_on", &day)?,
            S::Completed => self.set_item(list, id, "completed_on", &day)?,
            _ => {}
        }
        self.set_given(list, id, [("appointment_on", appointment_on)])?;
        if let Some(o) = outcome {
            self.set_item(list, id, "outcome", o)?;
        }
        let change_id = change.id.clone();
        self.append(&item_path(list, id), "status_changes", &change_id, change)
    }

    fn change_referral(&mut self, id: &str, changes: ReferralChanges) -> Result<(), DocError> {
        let ReferralChanges {
            kind,
            to,
            organisation_id,
            reason,
            urgency,
            need_id,
            goal_id,
            sent_on,
            appointment_on,
            completed_on,
            outcome,
        } = changes;
        let r: Referral = self.item(ItemList::Referrals, id)?;
        check_changed_text("referral target", &to)?;
        for d in [&sent_on, &appointment_on, &completed_on] {
            check_opt_date(d)?;
        }
        let sent = given_or(&sent_on, &r.sent_on);
        check_order(
            "sending",
            &sent,
            "appointment",
            &given_or(&appointment_on, &r.appointment_on),
        )?;
        check_order(
            "sending",
            &sent,
            "completion",
            &given_or(&completed_on, &r.completed_on),
        )?;
        let list = ItemList::Referrals;
        self.change_texts(
            list,
            id,
            [
                ("to", to),
                ("organisation_id", organisation_id),
                ("reason", reason),
                ("need_id", need_id),
                ("goal_id", goal_id),
                ("outcome", outcome),
            ],
        )?;
        if let Some(k) = kind {
            self.set_item(list, id, "kind", k)?;
        }
        if let Some(u) = urgency {
            self.set_item(list, id, "urgency", u)?;
        }
        self.set_given(
            list,
            id,
            [
                ("sent_on", sent_on),
                ("appointment_on", appointment_on),
                ("completed_on", completed_on),
            ],
        )
    }

    fn set_authorization_status(
        &mut self,
        id: &str,
        change: AuthorizationStatusChange,
        decision: AuthorizationDecision,
    ) -> Result<(), DocError> {
        use AuthorizationStatus as S;
        let a: Authorization = self.item(ItemList::Authorizations, id)?;
        let AuthorizationDecision {
            units_approved,
            valid_from,
            valid_to,
            denial_reason,
            medical_necessity,
            alternative_plan,
            mut appeal_window_days,
        } = decision;
        check_id(&change.id)?;
        check_date(&change.date)?;
        check_opt_date(&valid_from)?;
        check_opt_date(&valid_to)?;
        check_units("units approved", units_approved)?;
        check_window(appeal_window_days)?;
        check_order(
            "first valid day",
            &given_or(&valid_from, &a.valid_from),
            "last valid day",
            &given_or(&valid_to, &a.valid_to),
        )?;
        let status = &change.status;
        match status {
            S::Requested | S::Approved | S::Denied => {}
            S::PartiallyApproved => {
                if let (Some(u), Some(req)) = (
                    given_or(&units_approved, &a.units_approved),
                    a.units_requested,
                ) {
                    if u >= req {
                        return Err(invalid(format!(
                            "a partial approval is fewer units than the {req} requested"
                        )));
                    }
                }
            }
            S::Appealed => {
                if a.status != S::Denied {
                    return Err(invalid("only a denial can be appealed"));
                }
                let statement = medical_necessity
                    .as_deref()
                    .unwrap_or(a.medical_necessity.as_str());
                if statement.trim().is_empty() {
                    return Err(invalid("an appeal needs the medical-necessity statement"));
                }
            }
            S::AppealApproved | S::AppealDenied => {
                if a.status != S::Appealed {
                    return Err(invalid("only an appeal can be decided on appeal"));
                }
            }
            S::Other(s) => return Err(invalid(format!("unknown authorization status {s:?}"))),
        }
        if *status == S::Denied && appeal_window_days.is_none() && a.appeal_window_days.is_none() {
            // The payer's window, when its coverage records one, is the one this denial gets.
            let record = self.record()?;
            appeal_window_days = crate::coordination::coverage_of_payer(&record, &a.payer)
                .and_then(|c| c.appeal_window_days);
        }

        let list = ItemList::Authorizations;
        let day = Some(change.date.clone());
        self.set_item(list, id, "status", status)?;
        match status {
            S::Requested => self.set_item(list, id, "requested_on", &day)?,
            S::Appealed => self.set_item(list, id, "appealed_on", &day)?,
            S::Denied => {
                self.set_item(list, id, "decided_on", &day)?;
                self.set_item(list, id, "denied_on", &day)?;
            }
            _ => self.set_item(list, id, "decided_on", &day)?,
        }
        self.set_given(
            list,
            id,
            [
                ("units_approved", units_approved),
                ("appeal_window_days", appeal_window_days),
            ],
        )?;
        self.set_given(
            list,
            id,
            [("valid_from", valid_from), ("valid_to", valid_to)],
        )?;
        self.change_texts(
            list,
            id,
            [
                ("denial_reason", denial_reason),
                ("alternative_plan", alternative_plan),
            ],
        )?;
        if let Some(text) = medical_necessity {
            self.set_item(list, id, "medical_necessity", Narrative::new(text))?;
        }
        let change_id = change.id.clone();
        self.append(&item_path(list, id), "status_changes", &change_id, change)
    }

    fn change_authorization(
        &mut self,
        id: &str,
        changes: AuthorizationChanges,
    ) -> Result<(), DocError> {
        let AuthorizationChanges {
            service,
            payer,
            reference,
            requested_on,
            units_requested,
            units_approved,
            valid_from,
            valid_to,
            denied_on,
            denial_reason,
            appeal_window_days,
            appealed_on,
            alternative_plan,
        } = changes;
        let a: Authorization = self.item(ItemList::Authorizations, id)?;
        check_changed_text("authorised service", &service)?;
        for d in [
            &requested_on,
            &valid_from,
            &valid_to,
            &denied_on,
            &appealed_on,
        ] {
            check_opt_date(d)?;
        }
        check_order(
            "first valid day",
            &given_or(&valid_from, &a.valid_from),
            "last valid day",
            &given_or(&valid_to, &a.valid_to),
        )?;
        check_order(
            "denial",
            &given_or(&denied_on, &a.denied_on),
            "appeal",
            &given_or(&appealed_on, &a.appealed_on),
        )?;
        check_units("units requested", units_requested)?;
        check_units("units approved", units_approved)?;
        check_window(appeal_window_days)?;
        let list = ItemList::Authorizations;
        self.change_texts(
            list,
            id,
            [
                ("service", service),
                ("payer", payer),
                ("reference", reference),
                ("denial_reason", denial_reason),
                ("alternative_plan", alternative_plan),
            ],
        )?;
        self.set_given(
            list,
            id,
            [
                ("units_requested", units_requested),
                ("units_approved", units_approved),
                ("appeal_window_days", appeal_window_days),
            ],
        )?;
        self.set_given(
            list,
            id,
            [
                ("requested_on", requested_on),
                ("valid_from", valid_from),
                ("valid_to", valid_to),
                ("denied_on", denied_on),
                ("appealed_on", appealed_on),
            ],
        )
    }
}
