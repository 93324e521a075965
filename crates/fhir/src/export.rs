//! Patient records out as one FHIR R4 `Bundle` (type `collection`), following docs/fhir.md.
//!
//! Each Tend item becomes the resource the mapping names (a problem a `Condition`, a visit an
//! `Encounter`, an instrument result an `Observation` plus its `QuestionnaireResponse`, ...), with
//! `identifier` {`urn:tend:item`, item id} and a `Provenance` saying who recorded it, when, on
//! which device. Retired items stay home. Values are built with `json!` and then [`prune`]d, so an
//! empty string, object or list, or a `null`, never reaches the file (FHIR ele-1): a field Tend
//! does not know is simply absent. Nothing here panics on record data: a stored date that does
//! not parse is left out rather than guessed.
//!
//! Deliberate choices beyond the table (also in docs/fhir.md): ids that are not UUIDs get derived
//! ones; no Provenance for the record-level Patient, CareTeam, CarePlan nor the computed TCM steps;
//! clock and named medication times never share a `timing.repeat` (tim-10).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::{json, Map, Value};
use tend_core::handout::Slot;
use tend_core::record::*;
use tend_core::rules::instruments::Instrument;
use tend_core::rules::tcm::TaskStatus;
use tend_core::transitions::{tcm_state, transitions, TcmClock, TcmState, TcmStepKind};

use crate::codes;

/// What an export needs besides the records: everything that would otherwise come from a clock,
/// a random source or the workspace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExportContext {
    /// A fresh UUID for Bundle.identifier (the caller generates it; core reads no randomness here).
    pub bundle_id: String,
    /// Export time, ms since the Unix epoch (Bundle.timestamp).
    pub exported_at_ms: i64,
    /// Today for computed things (TCM steps due).
    pub today: NaiveDate,
    /// Roster id -> person name, to name the care manager in CareTeam (missing: id not shown, use
    /// "Care manager").
    pub people: BTreeMap<String, String>,
}

/// The records as one FHIR R4 Bundle (type `collection`): per patient a `Patient` and the
/// resources of their active items, then the `Provenance`s of that patient. A record listed twice
/// is exported once; item ids two records share (a Tend file imported as a second patient keeps
/// its item ids) get the later patient derived resource ids, so every fullUrl stays unique.
pub fn export_bundle(patients: &[PatientRecord], ctx: &ExportContext) -> Value {
    let mut seen = BTreeSet::new();
    let mut taken = BTreeSet::new();
    let mut entries = Vec::new();
    for record in patients {
        if !seen.insert(record.id.clone()) {
            continue;
        }
        let mut resources = PatientExport::new(record, ctx).resources();
        avoid_taken_ids(&mut resources, &taken, &record.id);
        taken.extend(
            resources
                .iter()
                .filter_map(|r| r["id"].as_str().map(String::from)),
        );
        entries.extend(resources);
    }
    let entries: Vec<Value> = entries
        .into_iter()
        .map(|resource| {
            let id = resource["id"].as_str().unwrap_or_default().to_string();
            json!({"fullUrl": urn(&id), "resource": resource})
        })
        .collect();
    let bundle = json!({
        "resourceType": "Bundle",
        "identifier": {"system": codes::TEND_EXPORT, "value": ctx.bundle_id},
        "type": "collection",
        "timestamp": instant(ctx.exported_at_ms),
        "entry": entries,
    });
    prune(bundle).unwrap_or_else(|| json!({"resourceType": "Bundle", "type": "collection"}))
}

/// "tend-<family>-<given>-<yyyy-mm-dd>.fhir.json" for one patient,
/// "tend-caseload-<n>-patients-<date>.fhir.json" for several (ASCII slug, lowercase).
pub fn file_name(patients: &[PatientRecord], today: NaiveDate) -> String {
    let day = today.format("%Y-%m-%d");
    match patients {
        [one] => {
            let name = slug(&format!("{} {}", one.name.family, one.name.given));
            let name = if name.is_empty() {
                "patient".to_string()
            } else {
                name
            };
            format!("tend-{name}-{day}.fhir.json")
        }
        many => format!("tend-caseload-{}-patients-{day}.fhir.json", many.len()),
    }
}

/// Gives one patient's resources whose ids an earlier patient of the Bundle already uses new ids
/// (derived from the id and `patient_id`), and points that patient's references at them.
fn avoid_taken_ids(resources: &mut [Value], taken: &BTreeSet<String>, patient_id: &str) {
    let renamed: BTreeMap<String, String> = resources
        .iter()
        .filter_map(|r| r["id"].as_str())
        .filter(|id| taken.contains(*id))
        .map(|id| {
            let new = codes::derived_id(id, &format!("Patient/{patient_id}"));
            (urn(id), new)
        })
        .collect();
    if renamed.is_empty() {
        return;
    }
    for resource in resources.iter_mut() {
        if let Some(new) = resource["id"].as_str().and_then(|id| renamed.get(&urn(id))) {
            resource["id"] = Value::String(new.clone());
        }
        rename_references(resource, &renamed);
    }
}

/// Rewrites every `reference` whose value `renamed` maps (`urn:uuid:<old>` → new id).
fn rename_references(value: &mut Value, renamed: &BTreeMap<String, String>) {
    match value {
        Value::Object(fields) => {
            for (key, v) in fields.iter_mut() {
                match (key.as_str(), v.as_str().and_then(|r| renamed.get(r))) {
                    ("reference", Some(new)) => *v = Value::String(urn(new)),
                    _ => rename_references(v, renamed),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rename_references(v, renamed)),
        _ => {}
    }
}

/// The US Core (6.1) profile a resource of this type conforms to, where Tend writes everything the
/// profile requires (scripts/validate_fhir.py checks those requirements for each profile claimed).
fn us_core_profile(resource_type: &str) -> Option<&'static str> {
    Some(match resource_type {
        "Patient" => "us-core-patient",
        "Condition" => "us-core-condition-problems-health-concerns",
        "AllergyIntolerance" => "us-core-allergyintolerance",
        "Goal" => "us-core-goal",
        "CarePlan" => "us-core-careplan",
        "CareTeam" => "us-core-careteam",
        _ => return None,
    })
}

/// Adds `meta.profile` with the resource's US Core profile, if it has one.
fn claim_us_core(resource: &mut Value) {
    let Some(profile) = resource["resourceType"].as_str().and_then(us_core_profile) else {
        return;
    };
    let url = format!("{}{profile}", codes::US_CORE_PROFILE_PREFIX);
    if let Some(fields) = resource.as_object_mut() {
        let meta = fields.entry("meta").or_insert_with(|| json!({}));
        meta["profile"] = json!([url]);
    }
}

// ---------------------------------------------------------------------------------------------
// One patient

/// The resources of one record, built section by section.
struct PatientExport<'a> {
    record: &'a PatientRecord,
    ctx: &'a ExportContext,
    /// `Patient.id`.
    patient_id: String,
    /// Ids (Tend) of the needs and goals exported, so a reference never points outside the Bundle.
    needs: BTreeSet<String>,
    goals: BTreeSet<String>,
    out: Vec<Value>,
    provenance: Vec<Value>,
}

impl<'a> PatientExport<'a> {
    fn new(record: &'a PatientRecord, ctx: &'a ExportContext) -> Self {
        PatientExport {
            record,
            ctx,
            patient_id: rid(&record.id, "Patient"),
            needs: active(&record.care_plan.needs)
                .map(|n| n.id.clone())
                .collect(),
            goals: active(&record.care_plan.goals)
                .map(|g| g.id.clone())
                .collect(),
            out: Vec::new(),
            provenance: Vec::new(),
        }
    }

    /// Every resource of the record, Provenances last.
    fn resources(mut self) -> Vec<Value> {
        self.add(patient(self.record), None);
        self.care_team();
        let r = self.record;
        for c in active(&r.medical.conditions) {
            self.add(self.problem(c), Some(&c.recorded));
        }
        for n in active(&r.care_plan.needs) {
            self.add(self.need(n), Some(&n.recorded));
        }
        for n in active(&r.social_needs) {
            self.add(self.social_need(n), Some(&n.recorded));
        }
        for a in active(&r.medical.allergies) {
            self.add(self.allergy(a), Some(&a.recorded));
        }
        for m in active(&r.medical.medications) {
            self.add(self.medication(m), Some(&m.recorded));
        }
        for h in active(&r.medical.hospitalizations) {
            self.add(self.hospitalization(h), Some(&h.recorded));
        }
        for t in active(&r.transitions) {
            self.add(self.transition(t), Some(&t.recorded));
        }
        self.tcm_steps();
        for e in active(&r.encounters) {
            self.add(self.visit(e), Some(&e.recorded));
        }
        for f in active(&r.follow_ups) {
            self.add(self.follow_up(f), Some(&f.recorded));
        }
        for resp in active(&r.assessments.responses) {
            self.add(self.observation(resp), Some(&resp.recorded));
            self.add(self.questionnaire_response(resp), Some(&resp.recorded));
        }
        for g in active(&r.care_plan.goals) {
            self.add(self.goal(g), Some(&g.recorded));
        }
        self.care_plan();
        for s in active(&r.coordination.referrals) {
            self.add(self.referral(s), Some(&s.recorded));
        }
        for c in active(&r.profile.coverages) {
            self.add(self.coverage(c), Some(&c.recorded));
        }
        for p in active(&r.programs) {
            self.add(self.episode(p), Some(&p.recorded));
            if let Some(consent) = &p.consent {
                self.add(self.consent(p, consent), Some(&p.recorded));
            }
        }
        self.out.append(&mut self.provenance);
        self.out
    }

    /// Adds a resource (pruned of empty values) and, for one made from an item, its Provenance.
    fn add(&mut self, resource: Value, recorded: Option<&Stamp>) {
        let Some(mut resource) = prune(resource) else {
            return;
        };
        claim_us_core(&mut resource);
        let id = resource["id"].as_str().unwrap_or_default().to_string();
        if let Some(p) = recorded.and_then(|stamp| provenance(&id, stamp)) {
            self.provenance.push(p);
        }
        self.out.push(resource);
    }

    fn subject(&self) -> Value {
        reference(&self.patient_id)
    }

    // --- Problems, needs, social needs -----------------------------------------------------

    /// A problem-list `Condition`.
    fn problem(&self, c: &Condition) -> Value {
        let (clinical, controlled) = match c.status {
            ConditionStatus::Resolved => ("resolved", false),
            ConditionStatus::Inactive => ("inactive", false),
            ConditionStatus::Controlled => ("active", true),
            ConditionStatus::Active | ConditionStatus::Other(_) => ("active", false),
        };
        let coding = condition_coding(&c.code_system, &c.code, &c.text);
        let text = first_text(&[&c.text, &c.code]).unwrap_or("Condition");
        json!({
            "resourceType": "Condition",
            "id": rid(&c.id, "Condition"),
            "meta": tag("problem"),
            "identifier": item_identifier(&c.id),
            "extension": [
                ext_bool("chronic", c.chronic),
                if controlled { ext_code("status", "controlled") } else { Value::Null },
            ],
            "clinicalStatus": cc(codes::CONDITION_CLINICAL, clinical),
            "verificationStatus": cc(codes::CONDITION_VER_STATUS, "confirmed"),
            "category": [
                cc_with(codes::CONDITION_CATEGORY, "problem-list-item", "Problem List Item"),
            ],
            "code": {"coding": [coding], "text": text},
            "subject": self.subject(),
            "onsetDateTime": opt_date(&c.onset),
            "recordedDate": instant(c.recorded.at),
        })
    }

    /// A care-plan need as a health-concern `Condition`.
    fn need(&self, n: &Need) -> Value {
        json!({
            "resourceType": "Condition",
            "id": rid(&n.id, "Condition"),
            "meta": tag("need"),
            "identifier": item_identifier(&n.id),
            "extension": [ext_code("status", n.status.as_str()), ext_str("domain", &n.domain)],
            "clinicalStatus": cc(codes::CONDITION_CLINICAL, need_clinical(&n.status)),
            "category": [health_concern()],
            "code": {"text": first_text(&[&n.description, &n.domain]).unwrap_or("Need")},
            "subject": self.subject(),
        })
    }

    /// A social need as a health-concern, SDOH `Condition`.
    fn social_need(&self, n: &SocialNeed) -> Value {
        let domain = n.domain.as_str();
        let label = humanize(domain);
        json!({
            "resourceType": "Condition",
            "id": rid(&n.id, "Condition"),
            "meta": tag("social_need"),
            "identifier": item_identifier(&n.id),
            "extension": [ext_code("status", n.status.as_str())],
            "clinicalStatus": cc(codes::CONDITION_CLINICAL, need_clinical(&n.status)),
            "category": [
                health_concern(),
                cc_with(codes::US_CORE_CATEGORY, "sdoh", "SDOH"),
            ],
            "code": {
                "coding": [coding_with(&codes::tend_code_system("sdoh-domain"), domain, &label)],
                "text": first_text(&[&n.detail, &label]).unwrap_or("Social need"),
            },
            "subject": self.subject(),
            "onsetDateTime": opt_date(&n.identified_on),
        })
    }

    // --- Allergies, medications --------------------------------------------------------------

    fn allergy(&self, a: &Allergy) -> Value {
        let verification = if a.status == AllergyStatus::Refuted {
            "refuted"
        } else {
            "confirmed"
        };
        let clinical = match a.status {
            AllergyStatus::Refuted => None,
            AllergyStatus::Inactive => Some("inactive"),
            AllergyStatus::Active | AllergyStatus::Other(_) => Some("active"),
        };
        let severity = match a.severity {
            AllergySeverity::Mild => Some("mild"),
            AllergySeverity::Moderate => Some("moderate"),
            AllergySeverity::Severe | AllergySeverity::LifeThreatening => Some("severe"),
            AllergySeverity::Unknown | AllergySeverity::Other(_) => None,
        };
        let reaction = text(&a.reaction)
            .map(|r| json!({"manifestation": [{"text": r}], "severity": severity}));
        json!({
            "resourceType": "AllergyIntolerance",
            "id": rid(&a.id, "AllergyIntolerance"),
            "identifier": item_identifier(&a.id),
            "extension": [known(&a.severity, AllergySeverity::Unknown)
                .map(|s| ext_code("severity", s.as_str()))],
            "clinicalStatus": clinical.map(|c| cc(codes::ALLERGY_CLINICAL, c)),
            "verificationStatus": cc(codes::ALLERGY_VERIFICATION, verification),
            "criticality": (a.severity == AllergySeverity::LifeThreatening).then_some("high"),
            "code": {"text": text(&a.substance).unwrap_or("Unknown substance")},
            "patient": self.subject(),
            "reaction": [reaction],
        })
    }

    fn medication(&self, m: &Medication) -> Value {
        let status = match m.status {
            MedicationStatus::Active => "active",
            MedicationStatus::OnHold => "on-hold",
            MedicationStatus::Stopped => "stopped",
            MedicationStatus::Completed => "completed",
            MedicationStatus::Other(_) => "unknown",
        };
        let s = &m.schedule;
        json!({
            "resourceType": "MedicationStatement",
            "id": rid(&m.id, "MedicationStatement"),
            "identifier": item_identifier(&m.id),
            "extension": [ext_date("status-since", &m.status_since)],
            "status": status,
            "statusReason": [{"text": m.status_reason}],
            "medicationCodeableConcept": {"text": text(&m.name).unwrap_or("Unnamed medication")},
            "subject": self.subject(),
            "effectivePeriod": {"start": opt_date(&s.start_on), "end": opt_date(&s.stop_on)},
            "dateAsserted": opt_date(&m.last_reconciled),
            "informationSource": {"display": m.prescriber},
            "reasonCode": [{"text": m.indication}],
            "dosage": [dosage(m)],
        })
    }

    // --- Stays, transitions, TCM, visits, follow-ups -----------------------------------------

    fn hospitalization(&self, h: &Hospitalization) -> Value {
        let class = if h.emergency_only {
            act_code("EMER", "emergency")
        } else {
            act_code("IMP", "inpatient encounter")
        };
        json!({
            "resourceType": "Encounter",
            "id": rid(&h.id, "Encounter"),
            "meta": tag("hospitalization"),
            "identifier": item_identifier(&h.id),
            "status": if h.discharged_on.is_some() { "finished" } else { "in-progress" },
            "class": class,
            "subject": self.subject(),
            "period": {"start": opt_date(&h.admitted_on), "end": opt_date(&h.discharged_on)},
            "reasonCode": [{"text": h.reason}],
            "serviceProvider": {"display": h.facility},
        })
    }

    fn transition(&self, t: &Transition) -> Value {
        let class = if t.setting == CareSetting::EdVisit {
            act_code("EMER", "emergency")
        } else {
            act_code("IMP", "inpatient encounter")
        };
        json!({
            "resourceType": "Encounter",
            "id": rid(&t.id, "Encounter"),
            "meta": tag("transition"),
            "identifier": item_identifier(&t.id),
            "extension": [
                ext_code("setting", t.setting.as_str()),
                ext_code("status", t.status.as_str()),
                ext_bool("emergent", t.emergent),
            ],
            "status": if t.discharged_on.is_some() { "finished" } else { "in-progress" },
            "class": class,
            "subject": self.subject(),
            "period": {"start": opt_date(&t.admitted_on), "end": opt_date(&t.discharged_on)},
            "reasonCode": [{"text": t.reason}],
            "hospitalization": {"dischargeDisposition": {"text": t.disposition.as_str()}},
            "serviceProvider": {"display": t.facility},
        })
    }

    /// The TCM steps of every discharge whose clock runs (computed by
    /// [`tend_core::transitions::tcm_state`] for `ctx.today`): done steps always, open steps while
    /// the clock runs (after a readmission or the service period they are no longer due).
    fn tcm_steps(&mut self) {
        for t in transitions(self.record) {
            let TcmState::Clock(clock) = tcm_state(self.record, t, self.ctx.today) else {
                continue;
            };
            for step in &clock.steps {
                let done = matches!(
                    step.status,
                    TaskStatus::Met { .. } | TaskStatus::DoneLate { .. }
                );
                if !done && !clock.running {
                    continue;
                }
                let task = self.tcm_task(t, &clock, step.kind, step.status, done);
                // Computed, not recorded by anyone: no Provenance.
                self.add(task, None);
            }
        }
    }

    fn tcm_task(
        &self,
        t: &Transition,
        clock: &TcmClock,
        kind: TcmStepKind,
        status: TaskStatus,
        done: bool,
    ) -> Value {
        let due = match status {
            TaskStatus::Pending { due, .. }
            | TaskStatus::Overdue { due, .. }
            | TaskStatus::DoneLate { due, .. } => due,
            TaskStatus::Met { .. } => match kind {
                TcmStepKind::Contact => clock.deadlines.interactive_contact_by,
                TcmStepKind::Visit => clock.deadlines.face_to_face_by,
                TcmStepKind::MedicationReconciliation => {
                    clock.deadlines.medication_reconciliation_by
                }
            },
        };
        json!({
            "resourceType": "Task",
            "id": codes::derived_id(&t.id, &format!("Task:{}", kind.id())),
            "meta": tag("tcm_step"),
            "status": if done { "completed" } else { "requested" },
            "intent": "plan",
            "code": {"text": kind.label()},
            "focus": reference(&rid(&t.id, "Encounter")),
            "for": self.subject(),
            "restriction": {"period": {"end": iso(due)}},
        })
    }

    /// A visit, call, video call or message.
    fn visit(&self, e: &Encounter) -> Value {
        let class = match e.kind {
            EncounterKind::HomeVisit => act_code("HH", "home health"),
            EncounterKind::Visit | EncounterKind::Other(_) => act_code("AMB", "ambulatory"),
            EncounterKind::Call | EncounterKind::Video | EncounterKind::Message => {
                act_code("VR", "virtual")
            }
        };
        let kind = e.kind.as_str();
        let signed = e.signed.as_ref();
        json!({
            "resourceType": "Encounter",
            "id": rid(&e.id, "Encounter"),
            "meta": tag("visit"),
            "identifier": item_identifier(&e.id),
            "extension": [
                ext_str("note", e.note.as_str()),
                signed.map(|s| ext_str("signed-by", &s.user_name)),
                signed.map(|s| ext("signed-at", "valueDateTime", json!(instant(s.at)))),
            ],
            "status": "finished",
            "class": class,
            "type": [cc_with(&codes::tend_code_system("encounter-kind"), kind, &humanize(kind))],
            "subject": self.subject(),
            "period": {"start": date(&e.date)},
            "reasonCode": [{"text": e.subject}],
        })
    }

    fn follow_up(&self, f: &FollowUp) -> Value {
        let status = match f.status {
            FollowUpStatus::Scheduled | FollowUpStatus::Other(_) => "requested",
            FollowUpStatus::Completed => "completed",
            FollowUpStatus::Missed => "failed",
            FollowUpStatus::Cancelled => "cancelled",
        };
        let kind = f.kind.as_str();
        json!({
            "resourceType": "Task",
            "id": rid(&f.id, "Task"),
            "meta": tag("follow_up"),
            "identifier": item_identifier(&f.id),
            "extension": [ext_str("symptom-review", &f.symptom_review)],
            "status": status,
            "intent": "plan",
            "code": {
                "coding": [coding_of(&codes::tend_code_system("follow-up-kind"), kind)],
                "text": humanize(kind),
            },
            "description": f.reason,
            "for": self.subject(),
            "executionPeriod": {"end": opt_date(&f.completed_on)},
            "authoredOn": instant(f.recorded.at),
            "restriction": {"period": {"end": date(&f.due)}},
            "note": [{"text": f.outcome}],
        })
    }

    // --- Instruments ---------------------------------------------------------------------------

    /// The total score of an instrument result.
    fn observation(&self, r: &InstrumentResponse) -> Value {
        let instrument = Instrument::from_id(&r.instrument);
        let code = match instrument {
            Some(i) => match codes::instrument_total_loinc(i) {
                Some((code, display)) => json!({
                    "coding": [coding_with(codes::LOINC, code, display)],
                    "text": i.name(),
                }),
                None => json!({
                    "coding": [coding_with(codes::TEND_INSTRUMENT, i.id(), i.name())],
                    "text": i.name(),
                }),
            },
            None => json!({
                "coding": [coding_of(codes::TEND_INSTRUMENT, &r.instrument)],
                "text": first_text(&[&r.instrument]).unwrap_or("Instrument"),
            }),
        };
        // The administration day; a stored day that does not parse falls back to when it was
        // recorded (an Observation needs an effective time).
        let effective = date(&r.date).or_else(|| instant(r.recorded.at));
        json!({
            "resourceType": "Observation",
            "id": rid(&r.id, "Observation"),
            "identifier": item_identifier(&r.id),
            "status": "final",
            "category": [cc_with(codes::OBSERVATION_CATEGORY, "survey", "Survey")],
            "code": code,
            "subject": self.subject(),
            "effectiveDateTime": effective,
            "performer": [{"display": r.administered_by}],
            "valueInteger": r.total,
            "derivedFrom": [reference(&qr_id(&r.id))],
        })
    }

    /// The answers of an instrument result (answer values are option indices).
    fn questionnaire_response(&self, r: &InstrumentResponse) -> Value {
        let items = Instrument::from_id(&r.instrument).map(|i| i.items());
        let answers: Vec<Value> = r
            .answers
            .iter()
            .filter(|a| !a.item.trim().is_empty())
            .map(|a| {
                let text = items
                    .and_then(|items| items.iter().find(|i| i.id == a.item))
                    .map(|i| i.text);
                json!({"linkId": a.item, "text": text, "answer": [{"valueInteger": a.value}]})
            })
            .collect();
        json!({
            "resourceType": "QuestionnaireResponse",
            "id": qr_id(&r.id),
            "identifier": {"system": codes::TEND_ITEM, "value": r.id},
            "questionnaire": format!("{}{}", codes::TEND_QUESTIONNAIRE_PREFIX, r.instrument.trim()),
            "status": "completed",
            "subject": self.subject(),
            "authored": date(&r.date),
            "item": answers,
        })
    }

    // --- Care plan --------------------------------------------------------------------------

    fn goal(&self, g: &Goal) -> Value {
        let (lifecycle, achievement) = match g.status {
            GoalStatus::Proposed => ("proposed", None),
            GoalStatus::Active | GoalStatus::Other(_) => ("active", Some("in-progress")),
            GoalStatus::Achieved => ("completed", Some("achieved")),
            GoalStatus::NotAchieved => ("completed", Some("not-achieved")),
            GoalStatus::Cancelled => ("cancelled", None),
        };
        let description = text(&g.description).unwrap_or("Goal");
        // A target needs its measure (gol-1): without one, the goal itself is what is measured.
        let measure = text(&g.measure).or_else(|| text(&g.target).map(|_| description));
        let target = json!({
            "measure": {"text": measure},
            "detailString": g.target,
            "dueDate": opt_date(&g.due),
        });
        let addresses = self
            .needs
            .contains(&g.need_id)
            .then(|| reference(&rid(&g.need_id, "Condition")));
        json!({
            "resourceType": "Goal",
            "id": rid(&g.id, "Goal"),
            "identifier": item_identifier(&g.id),
            "extension": [ext_code("status", g.status.as_str())],
            "lifecycleStatus": lifecycle,
            "achievementStatus": achievement.map(|a| cc(codes::GOAL_ACHIEVEMENT, a)),
            "description": {"text": description},
            "subject": self.subject(),
            "target": [target],
            "addresses": [addresses],
        })
    }

    /// The one CarePlan: narrative, goals, the active problems it addresses, an activity per
    /// action.
    fn care_plan(&mut self) {
        let plan = &self.record.care_plan;
        let actions: Vec<&CareAction> = active(&plan.actions).collect();
        let empty = self.needs.is_empty()
            && self.goals.is_empty()
            && actions.is_empty()
            && plan.priorities.as_str().trim().is_empty()
            && plan.preferences.as_str().trim().is_empty();
        if empty {
            return;
        }
        let goals: Vec<Value> = active(&plan.goals)
            .map(|g| reference(&rid(&g.id, "Goal")))
            .collect();
        let problems: Vec<Value> = active(&self.record.medical.conditions)
            .filter(|c| {
                matches!(
                    c.status,
                    ConditionStatus::Active | ConditionStatus::Controlled
                )
            })
            .map(|c| reference(&rid(&c.id, "Condition")))
            .collect();
        let activities: Vec<Value> = actions.iter().map(|a| self.activity(a)).collect();
        let resource = json!({
            "resourceType": "CarePlan",
            "id": codes::derived_id(&self.record.id, "CarePlan"),
            "text": {"status": "generated", "div": plan_narrative(self.record)},
            "status": "active",
            "intent": "plan",
            "category": [cc_with(
                codes::CAREPLAN_CATEGORY_US_CORE,
                "assess-plan",
                "Assessment and Plan of Treatment",
            )],
            "subject": self.subject(),
            "addresses": problems,
            "goal": goals,
            "activity": activities,
        });
        // The plan as a whole has no single author in the record: no Provenance.
        self.add(resource, None);
    }

    fn activity(&self, a: &CareAction) -> Value {
        let status = match a.status {
            ActionStatus::Planned => "not-started",
            ActionStatus::InProgress => "in-progress",
            ActionStatus::Done => "completed",
            ActionStatus::Cancelled => "cancelled",
            ActionStatus::Blocked => "on-hold",
            ActionStatus::Other(_) => "unknown",
        };
        let goal = self
            .goals
            .contains(&a.goal_id)
            .then(|| reference(&rid(&a.goal_id, "Goal")));
        json!({
            "extension": [
                ext_str("item", &a.id),
                ext_code("responsible", a.responsible.as_str()),
            ],
            "detail": {
                "status": status,
                "description": a.description,
                "scheduledString": opt_date(&a.due),
                "performer": [{"display": responsible_label(&a.responsible)}],
                "goal": [goal],
            },
        })
    }

    // --- Referrals, coverage, programs ------------------------------------------------------

    fn referral(&self, r: &Referral) -> Value {
        let status = match r.status {
            ReferralStatus::Draft => "draft",
            ReferralStatus::Sent | ReferralStatus::Accepted | ReferralStatus::Scheduled => "active",
            ReferralStatus::Completed => "completed",
            ReferralStatus::Declined | ReferralStatus::Cancelled | ReferralStatus::NoShow => {
                "revoked"
            }
            ReferralStatus::Other(_) => "unknown",
        };
        let priority = match r.urgency {
            ReferralUrgency::Routine => Some("routine"),
            ReferralUrgency::Urgent => Some("urgent"),
            ReferralUrgency::Emergent => Some("stat"),
            ReferralUrgency::Other(_) => None,
        };
        let kind = r.kind.as_str();
        let label = referral_label(&r.kind);
        json!({
            "resourceType": "ServiceRequest",
            "id": rid(&r.id, "ServiceRequest"),
            "identifier": item_identifier(&r.id),
            "extension": [ext_code("status", r.status.as_str())],
            "status": status,
            "intent": "order",
            "priority": priority,
            "category": [cc_with(&codes::tend_code_system("referral-kind"), kind, &label)],
            "code": {"text": label},
            "subject": self.subject(),
            "occurrenceDateTime": opt_date(&r.appointment_on),
            "authoredOn": opt_date(&r.sent_on),
            "performer": [{"display": r.to}],
            "reasonCode": [{"text": r.reason}],
            "note": [{"text": r.outcome}],
        })
    }

    fn coverage(&self, c: &Coverage) -> Value {
        let order = match c.rank {
            CoverageRank::Primary => Some(1),
            CoverageRank::Secondary => Some(2),
            CoverageRank::Tertiary => Some(3),
            CoverageRank::Other(_) => None,
        };
        let class = |code: &str, value: &str| {
            text(value).map(|v| json!({"type": cc(codes::COVERAGE_CLASS, code), "value": v}))
        };
        json!({
            "resourceType": "Coverage",
            "id": rid(&c.id, "Coverage"),
            "identifier": item_identifier(&c.id),
            "status": "active",
            "subscriberId": c.member_id,
            "beneficiary": self.subject(),
            "period": {"start": opt_date(&c.effective_from), "end": opt_date(&c.effective_to)},
            "payor": [{"display": text(&c.payer).unwrap_or("Unknown payer")}],
            "class": [class("group", &c.group), class("plan", &c.plan)],
            "order": order,
        })
    }

    /// A program enrolment or case-management episode.
    fn episode(&self, p: &ProgramEnrollment) -> Value {
        let kind = p.program.as_str();
        let label = program_label(&p.program);
        let mut changes: Vec<(NaiveDate, &ProgramStatusChange)> = p
            .status_changes
            .iter()
            .filter_map(|c| c.date.date().map(|d| (d, c)))
            .collect();
        changes.sort_by_key(|(d, c)| (*d, c.recorded.at));
        let history: Vec<Value> = changes
            .iter()
            .enumerate()
            .map(|(i, (start, c))| {
                let end = changes.get(i + 1).map(|(d, _)| iso(*d));
                json!({
                    "status": episode_status(&c.status),
                    "period": {"start": iso(*start), "end": end},
                })
            })
            .collect();
        json!({
            "resourceType": "EpisodeOfCare",
            "id": rid(&p.id, "EpisodeOfCare"),
            "identifier": item_identifier(&p.id),
            "extension": [ext_str("reason", &p.reason), ext_str("end-reason", &p.end_reason)],
            "status": episode_status(&p.status),
            "statusHistory": history,
            "type": [{
                "coding": [coding_with(&codes::tend_code_system("program"), kind, &label)],
                "text": label,
            }],
            "patient": self.subject(),
            "period": {"start": opt_date(&p.start_date), "end": opt_date(&p.end_date)},
        })
    }

    /// A program's documented consent.
    fn consent(&self, p: &ProgramEnrollment, c: &Consent) -> Value {
        json!({
            "resourceType": "Consent",
            "id": codes::derived_id(&p.id, "Consent"),
            "identifier": item_identifier(&p.id),
            "extension": [
                ext_code("method", c.method.as_str()),
                ext_str("program", &p.id),
                ext_str("note", &c.note),
            ],
            "status": "active",
            "scope": cc_with(codes::CONSENT_SCOPE, "treatment", "Treatment"),
            "category": [cc_with(codes::CONSENT_CATEGORY_LOINC, "59284-0", "Patient Consent")],
            "patient": self.subject(),
            "dateTime": date(&c.date),
            "performer": [{"display": c.obtained_by}],
            "policyRule": cc_with(codes::V3_ACT_CODE, "OPTIN", "opt-in"),
        })
    }

    // --- Care team --------------------------------------------------------------------------

    /// The one CareTeam: the care manager, the team's other members, the providers.
    fn care_team(&mut self) {
        let profile = &self.record.profile;
        let mut participants = Vec::new();
        if let Some(id) = text(&profile.care_manager) {
            let name = self
                .ctx
                .people
                .get(id)
                .and_then(|n| text(n))
                .unwrap_or("Care manager");
            participants
                .push(json!({"role": [{"text": "Care manager"}], "member": {"display": name}}));
        }
        for m in active(&profile.team) {
            let name = self
                .ctx
                .people
                .get(&m.person_id)
                .and_then(|n| text(n))
                .or_else(|| text(&m.person_name))
                .unwrap_or_else(|| role_label(&m.role));
            participants.push(json!({
                "role": [{"text": role_label(&m.role)}],
                "member": {"display": name},
            }));
        }
        for p in active(&self.record.medical.providers) {
            participants.push(json!({
                "role": [{"text": provider_role(&p.role)}],
                "member": {"display": p.name},
                "onBehalfOf": {"display": p.organization},
            }));
        }
        if participants.is_empty() {
            return;
        }
        let resource = json!({
            "resourceType": "CareTeam",
            "id": codes::derived_id(&self.record.id, "CareTeam"),
            "status": "active",
            "subject": self.subject(),
            "participant": participants,
        });
        // The team as a whole has no single author in the record: no Provenance.
        self.add(resource, None);
    }
}

// ---------------------------------------------------------------------------------------------
// Patient

/// The `Patient`: demographics, contact details, identifiers, caregivers.
fn patient(r: &PatientRecord) -> Value {
    let p = &r.profile;
    let sex = p.sex.trim().to_ascii_lowercase();
    let (gender, birthsex) = match sex.as_str() {
        "female" => ("female", Some("F")),
        "male" => ("male", Some("M")),
        "" => ("unknown", None),
        _ => ("unknown", Some("UNK")),
    };
    let mut identifiers = vec![json!({"system": codes::TEND_PATIENT, "value": r.id})];
    identifiers.extend(active(&p.identifiers).filter_map(patient_identifier));
    let email = text(&p.email).map(|e| json!({"system": "email", "value": e}));
    let mut telecom: Vec<Value> = email.into_iter().collect();
    telecom.extend(active(&p.phones).filter_map(phone));
    let communication = text(&p.preferred_language).map(|lang| {
        let coding = codes::language_code(lang).map(|c| coding_with(codes::LANGUAGE, c, lang));
        json!({"language": {"coding": [coding], "text": lang}, "preferred": true})
    });
    let a = &p.address;
    json!({
        "resourceType": "Patient",
        "id": rid(&r.id, "Patient"),
        "extension": [
            birthsex.map(|c| json!({"url": codes::US_CORE_BIRTHSEX, "valueCode": c})),
            ext_str("gender-identity", &p.gender_identity),
            ext_str("pronouns", &p.pronouns),
            ext_bool("interpreter-needed", p.interpreter_needed),
            known(&p.code_status, CodeStatus::Unknown).map(|s| ext_code("code-status", s.as_str())),
        ],
        "identifier": identifiers,
        "name": [{"use": "official", "family": r.name.family, "given": [r.name.given]}],
        "telecom": telecom,
        "gender": gender,
        "birthDate": p.date_of_birth.as_ref().and_then(date),
        "address": [{
            "line": [a.line1, a.line2],
            "city": a.city,
            "state": a.region,
            "postalCode": a.postal_code,
            "country": a.country,
        }],
        "contact": active(&r.support.caregivers).filter_map(caregiver).collect::<Vec<_>>(),
        "communication": [communication],
    })
}

/// An MRN, Medicare MBI, Medicaid id, plan member id...; none without a value.
fn patient_identifier(i: &Identifier) -> Option<Value> {
    let value = text(&i.value)?;
    let kind = i.system.trim();
    let typ = match kind {
        "mrn" => Some(("MR", "Medical record number")),
        "medicare_mbi" => Some(("MC", "Patient's Medicare number")),
        "medicaid" => Some(("MA", "Patient Medicaid number")),
        _ => None,
    };
    Some(json!({
        "type": typ.map(|(c, d)| cc_with(codes::V2_0203, c, d)),
        "system": text(kind).map(codes::identifier_system),
        "value": value,
        "assigner": {"display": i.issuer},
    }))
}

/// A phone: `use` from its label when FHIR has the word, else the label in an extension; none
/// without a number.
fn phone(ph: &Phone) -> Option<Value> {
    let number = text(&ph.number)?;
    let label = ph.label.trim().to_ascii_lowercase();
    let use_ = matches!(label.as_str(), "mobile" | "home" | "work").then_some(label.as_str());
    Some(json!({
        "extension": [if use_.is_none() { ext_str("label", &ph.label) } else { Value::Null }],
        "system": "phone",
        "value": number,
        "use": use_,
        "rank": ph.primary.then_some(1),
    }))
}

/// A caregiver as a `Patient.contact`; none without a name or a phone (pat-1).
fn caregiver(c: &Caregiver) -> Option<Value> {
    if text(&c.name).is_none() && text(&c.phone).is_none() {
        return None;
    }
    Some(json!({
        "extension": [ext_bool("primary", c.primary), ext_bool("may-share-info", c.may_share_info)],
        "relationship": [{"text": c.relationship}],
        "name": {"text": c.name},
        "telecom": [text(&c.phone).map(|p| json!({"system": "phone", "value": p}))],
    }))
}

// ---------------------------------------------------------------------------------------------
// Medication dosage

/// dosage[0]: the free-text dose, route and frequency, and the structured schedule.
fn dosage(m: &Medication) -> Value {
    let s = &m.schedule;
    let words: Vec<&str> = [&m.dose, &m.route, &m.frequency]
        .into_iter()
        .filter_map(|w| text(w))
        .collect();
    let (when, clock) = schedule_times(&s.times);
    // tim-10: `when` and `timeOfDay` exclude each other. Clock times alone are `timeOfDay`; next to
    // named times they ride in an extension on `repeat`.
    let (time_of_day, clock_ext): (Vec<String>, Vec<Value>) = if when.is_empty() {
        (clock, Vec::new())
    } else {
        let ext = clock
            .into_iter()
            .map(|t| ext("time-of-day", "valueTime", json!(t)))
            .collect();
        (Vec::new(), ext)
    };
    let as_needed = if !s.as_needed {
        json!({})
    } else if let Some(reason) = text(&s.as_needed_reason) {
        json!({"asNeededCodeableConcept": {"text": reason}})
    } else {
        json!({"asNeededBoolean": true})
    };
    let food = match s.food {
        FoodInstruction::WithFood => Some("with food"),
        FoodInstruction::WithoutFood => Some("without food"),
        FoodInstruction::NotSaid | FoodInstruction::Other(_) => None,
    };
    let max = s.max_per_day.map(|n| {
        json!({
            "numerator": {"value": n},
            "denominator": {"value": 1, "unit": "d", "system": codes::UCUM, "code": "d"},
        })
    });
    let mut d = json!({
        "extension": [ext_str("dose", &m.dose), ext_str("frequency", &m.frequency)],
        "text": words.join(" "),
        "additionalInstruction": [food.map(|f| json!({"text": f}))],
        "timing": {"repeat": {"extension": clock_ext, "when": when, "timeOfDay": time_of_day}},
        "route": {"text": m.route},
        "maxDosePerPeriod": max,
    });
    if let (Some(d), Value::Object(extra)) = (d.as_object_mut(), as_needed) {
        d.extend(extra);
    }
    d
}

/// A schedule's times as FHIR `when` codes (morning MORN, noon NOON, evening EVE, bedtime HS) and
/// clock times "HH:MM:00"; what does not parse is left out (the free-text frequency still says it).
fn schedule_times(times: &[String]) -> (Vec<&'static str>, Vec<String>) {
    let mut when = Vec::new();
    let mut clock = Vec::new();
    for slot in times.iter().filter_map(|t| Slot::parse(t)) {
        match slot {
            Slot::Morning => when.push("MORN"),
            Slot::Noon => when.push("NOON"),
            Slot::Evening => when.push("EVE"),
            Slot::Bedtime => when.push("HS"),
            Slot::Clock(m) => clock.push(format!("{:02}:{:02}:00", m / 60, m % 60)),
        }
    }
    when.dedup();
    clock.dedup();
    (when, clock)
}

// ---------------------------------------------------------------------------------------------
// Provenance

/// Who recorded the resource `target_id` (the item's stamp), on which device; none when the stamp
/// has no valid time or names nobody.
fn provenance(target_id: &str, stamp: &Stamp) -> Option<Value> {
    let recorded = instant(stamp.at)?;
    let agent = |code: &str, display: &str, name: &str, system: &str, value: &str| {
        let identifier = text(value).map(|v| json!({"system": system, "value": v}));
        let who = prune(json!({"display": name, "identifier": identifier}))?;
        Some(json!({
            "type": cc_with(codes::PROVENANCE_PARTICIPANT_TYPE, code, display),
            "who": who,
        }))
    };
    let agents: Vec<Value> = [
        agent(
            "author",
            "Author",
            &stamp.user_name,
            codes::TEND_USER,
            &stamp.user_id,
        ),
        agent(
            "enterer",
            "Enterer",
            &stamp.device_id,
            codes::TEND_DEVICE,
            &stamp.device_id,
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    if agents.is_empty() {
        return None;
    }
    prune(json!({
        "resourceType": "Provenance",
        "id": codes::derived_id(target_id, "Provenance"),
        "target": [reference(target_id)],
        "recorded": recorded,
        "agent": agents,
    }))
}

// ---------------------------------------------------------------------------------------------
// Care plan narrative

/// The CarePlan's XHTML: the patient's priorities and preferences, and the needs.
fn plan_narrative(r: &PatientRecord) -> String {
    let plan = &r.care_plan;
    let mut html = String::from(r#"<div xmlns="http://www.w3.org/1999/xhtml"><h2>Care plan</h2>"#);
    for (heading, narrative) in [
        ("Priorities", plan.priorities.as_str()),
        ("Preferences", plan.preferences.as_str()),
    ] {
        let paragraphs: Vec<&str> = narrative
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        if paragraphs.is_empty() {
            continue;
        }
        html.push_str(&format!("<h3>{heading}</h3>"));
        for p in paragraphs {
            html.push_str(&format!("<p>{}</p>", xml_escape(p)));
        }
    }
    let needs: Vec<&Need> = active(&plan.needs).collect();
    if !needs.is_empty() {
        html.push_str("<h3>Needs</h3><ul>");
        for n in needs {
            let what = first_text(&[&n.description, &n.domain]).unwrap_or("Need");
            html.push_str(&format!(
                "<li>{} ({})</li>",
                xml_escape(what),
                xml_escape(&humanize(n.status.as_str()))
            ));
        }
        html.push_str("</ul>");
    } else {
        html.push_str("<p>No needs recorded.</p>");
    }
    html.push_str("</div>");
    html
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Vocabularies

fn need_clinical(status: &NeedStatus) -> &'static str {
    match status {
        NeedStatus::Met | NeedStatus::Declined => "resolved",
        NeedStatus::Identified
        | NeedStatus::InProgress
        | NeedStatus::NotMet
        | NeedStatus::Other(_) => "active",
    }
}

fn episode_status(status: &ProgramStatus) -> &'static str {
    match status {
        ProgramStatus::Active | ProgramStatus::Other(_) => "active",
        ProgramStatus::Paused => "onhold",
        ProgramStatus::Ended => "finished",
        ProgramStatus::Declined => "cancelled",
    }
}

fn program_label(p: &ProgramKind) -> String {
    match p {
        ProgramKind::Ccm => "Chronic care management".into(),
        ProgramKind::Pcm => "Principal care management".into(),
        ProgramKind::Tcm => "Transitional care management".into(),
        ProgramKind::CaseManagement => "Case management".into(),
        ProgramKind::Bhi => "Behavioral health integration".into(),
        ProgramKind::Other(s) => humanize(s),
    }
}

fn referral_label(k: &ReferralKind) -> String {
    match k {
        ReferralKind::Dme => "Durable medical equipment".into(),
        other => humanize(other.as_str()),
    }
}

fn responsible_label(r: &Responsible) -> String {
    match r {
        Responsible::OtherPerson => "Other".into(),
        other => humanize(other.as_str()),
    }
}

fn role_label(r: &PersonRole) -> &str {
    match r {
        PersonRole::CareManager => "Care manager",
        PersonRole::Nurse => "Nurse",
        PersonRole::SocialWorker => "Social worker",
        PersonRole::CommunityHealthWorker => "Community health worker",
        PersonRole::Supervisor => "Supervisor",
        PersonRole::Administrator => "Administrator",
        PersonRole::Practitioner => "Practitioner",
        PersonRole::Other(s) => s,
    }
}

fn provider_role(role: &str) -> String {
    match role.trim() {
        "pcp" => "Primary care provider".into(),
        other => humanize(other),
    }
}

/// "home_health" → "Home health".
fn humanize(code: &str) -> String {
    let words = code.trim().replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// JSON building blocks

/// The items of a list that are not retired.
fn active<T: ListItem>(items: &[T]) -> impl Iterator<Item = &T> {
    items.iter().filter(|i| i.retired().is_none())
}

/// `Some(value)` unless it is the "not recorded" default.
fn known<T: PartialEq>(value: &T, unknown: T) -> Option<&T> {
    (*value != unknown).then_some(value)
}

/// The FHIR id (a UUID, so `urn:uuid:` fullUrls hold) of the `rtype` made from Tend id `id`: the
/// id itself when it is a UUID, else one derived from it.
fn rid(id: &str, rtype: &str) -> String {
    match uuid::Uuid::parse_str(id.trim()) {
        Ok(u) => u.to_string(),
        Err(_) => codes::derived_id(id, rtype),
    }
}

fn qr_id(item_id: &str) -> String {
    codes::derived_id(item_id, "QuestionnaireResponse")
}

fn urn(id: &str) -> String {
    format!("urn:uuid:{id}")
}

fn reference(id: &str) -> Value {
    json!({"reference": urn(id)})
}

fn item_identifier(id: &str) -> Value {
    json!([{"system": codes::TEND_ITEM, "value": id}])
}

fn tag(kind: &str) -> Value {
    json!({"tag": [{"system": codes::TEND_KIND, "code": kind}]})
}

/// A Coding; `null` (pruned away) without a code, so no Coding is left with a system alone.
fn coding_of(system: &str, code: &str) -> Value {
    match text(code) {
        Some(code) => json!({"system": system, "code": code}),
        None => Value::Null,
    }
}

fn coding_with(system: &str, code: &str, display: &str) -> Value {
    match text(code) {
        Some(code) => json!({"system": system, "code": code, "display": display}),
        None => Value::Null,
    }
}

/// A CodeableConcept of one Coding (none without a code).
fn cc(system: &str, code: &str) -> Value {
    json!({"coding": [coding_of(system, code)]})
}

fn cc_with(system: &str, code: &str, display: &str) -> Value {
    json!({"coding": [coding_with(system, code, display)]})
}

fn act_code(code: &str, display: &str) -> Value {
    coding_with(codes::V3_ACT_CODE, code, display)
}

fn health_concern() -> Value {
    cc_with(
        codes::US_CORE_CONDITION_CATEGORY,
        "health-concern",
        "Health Concern",
    )
}

/// A problem's coding when its system is one FHIR names and the code has that system's shape;
/// otherwise none (the text still says what it is).
fn condition_coding(system: &str, code: &str, display: &str) -> Value {
    let code = code.trim().to_ascii_uppercase();
    let uri = match system.trim() {
        "icd10cm" if is_icd10cm(&code) => codes::ICD10CM,
        "snomed" if (6..=18).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit()) => {
            codes::SNOMED
        }
        _ => return Value::Null,
    };
    coding_with(uri, &code, display)
}

/// ICD-10-CM's shape: a letter (not U), a digit, a digit or letter, then optionally a dot and one
/// to four digits or letters.
fn is_icd10cm(code: &str) -> bool {
    let b = code.as_bytes();
    let head = b.len() >= 3
        && b[0].is_ascii_uppercase()
        && b[0] != b'U'
        && b[1].is_ascii_digit()
        && (b[2].is_ascii_digit() || b[2].is_ascii_uppercase());
    let tail = match &b[3.min(b.len())..] {
        [] => true,
        [b'.', rest @ ..] => {
            (1..=4).contains(&rest.len())
                && rest
                    .iter()
                    .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        }
        _ => false,
    };
    head && tail
}

fn ext(name: &str, value_key: &str, value: Value) -> Value {
    let mut e = Map::new();
    e.insert("url".into(), Value::String(codes::tend_ext(name)));
    e.insert(value_key.into(), value);
    Value::Object(e)
}

fn ext_str(name: &str, value: &str) -> Value {
    ext(name, "valueString", json!(value))
}

fn ext_code(name: &str, value: &str) -> Value {
    ext(name, "valueCode", json!(value))
}

fn ext_bool(name: &str, value: bool) -> Value {
    ext(name, "valueBoolean", json!(value))
}

fn ext_date(name: &str, value: &Option<IsoDate>) -> Value {
    ext(name, "valueDate", json!(opt_date(value)))
}

/// The trimmed text, `None` when blank.
fn text(s: &str) -> Option<&str> {
    let t = s.trim();
    (!t.is_empty()).then_some(t)
}

/// The first of `candidates` that is not blank.
fn first_text<'s>(candidates: &[&'s str]) -> Option<&'s str> {
    candidates.iter().find_map(|s| text(s))
}

/// A stored day as FHIR `date`; `None` when it is not a calendar day.
fn date(d: &IsoDate) -> Option<String> {
    d.date().map(iso)
}

fn opt_date(d: &Option<IsoDate>) -> Option<String> {
    d.as_ref().and_then(date)
}

fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Milliseconds since the epoch as an RFC 3339 UTC instant ("2026-12-07T10:15:00Z"); `None` for
/// 0 or less (a stamp never set) and for what chrono cannot represent.
fn instant(ms: i64) -> Option<String> {
    if ms <= 0 {
        return None;
    }
    DateTime::<Utc>::from_timestamp_millis(ms).map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// `value` without nulls, blank strings, empty objects and lists (FHIR ele-1), and without
/// extensions left with no value; strings trimmed. `None` when nothing is left.
fn prune(value: Value) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::String(s) => text(&s).map(|t| Value::String(t.to_string())),
        Value::Array(items) => {
            let items: Vec<Value> = items.into_iter().filter_map(prune).collect();
            (!items.is_empty()).then_some(Value::Array(items))
        }
        Value::Object(fields) => {
            let fields: Map<String, Value> = fields
                .into_iter()
                .filter_map(|(k, v)| prune(v).map(|v| (k, v)))
                .collect();
            let valueless_extension = fields.len() == 1 && fields.contains_key("url");
            (!fields.is_empty() && !valueless_extension).then_some(Value::Object(fields))
        }
        other => Some(other),
    }
}

/// An ASCII, lowercase, hyphen-separated slug: common Latin accents folded, anything else a break.
fn slug(s: &str) -> String {
    let mut out = String::new();
    let mut pending_break = false;
    for c in s.chars().flat_map(char::to_lowercase) {
        let folded: &str = match c {
            'a'..='z' | '0'..='9' => {
                if pending_break && !out.is_empty() {
                    out.push('-');
                }
                pending_break = false;
                out.push(c);
                continue;
            }
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
            'æ' => "ae",
            'ç' | 'ć' | 'č' => "c",
            'ď' | 'đ' | 'ð' => "d",
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
            'ğ' => "g",
            'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => "i",
            'ł' => "l",
            'ñ' | 'ń' | 'ň' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
            'œ' => "oe",
            'ř' => "r",
            'ś' | 'š' | 'ş' => "s",
            'ß' => "ss",
            'ť' | 'ţ' => "t",
            'þ' => "th",
            'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
            'ý' | 'ÿ' => "y",
            'ź' | 'ż' | 'ž' => "z",
            '\'' | '’' => continue,
            _ => {
                pending_break = true;
                continue;
            }
        };
        if pending_break && !out.is_empty() {
            out.push('-');
        }
        pending_break = false;
        out.push_str(folded);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> ExportContext {
        ExportContext {
            bundle_id: "5b0c2a34-61f5-4f57-9a7c-0b8d3c0e2f11".into(),
            exported_at_ms: 1_796_000_000_000,
            today: NaiveDate::from_ymd_opt(2026, 12, 7).expect("date"),
            people: BTreeMap::new(),
        }
    }

    fn record(given: &str, family: &str) -> PatientRecord {
        PatientRecord {
            id: "0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0".into(),
            name: PersonName {
                given: given.into(),
                family: family.into(),
            },
            ..Default::default()
        }
    }

    #[test]
    fn prune_drops_empty_values_and_valueless_extensions() {
        let v = json!({
            "a": "", "b": "  x ", "c": null, "d": [], "e": {}, "f": [null, {"g": ""}],
            "h": 0, "i": false,
            "extension": [
                {"url": "urn:tend:ext:note", "valueString": " "},
                {"url": "u", "valueBoolean": false},
            ],
        });
        assert_eq!(
            prune(v),
            Some(json!({
                "b": "x", "h": 0, "i": false,
                "extension": [{"url": "u", "valueBoolean": false}],
            }))
        );
        assert_eq!(prune(json!({"a": [{}]})), None);
    }

    #[test]
    fn instants_are_utc_with_z_and_dates_are_validated() {
        assert_eq!(
            instant(1_796_000_000_000).as_deref(),
            Some("2026-11-30T00:53:20Z")
        );
        assert_eq!(instant(i64::MAX), None);
        assert_eq!(instant(0), None, "a stamp never set");
        assert_eq!(date(&IsoDate("2026-02-30".into())), None);
        assert_eq!(
            date(&IsoDate("2026-02-03".into())).as_deref(),
            Some("2026-02-03")
        );
    }

    #[test]
    fn file_names_are_ascii_slugs() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).expect("date");
        assert_eq!(
            file_name(&[record("José María", "Díaz-Núñez")], today),
            "tend-diaz-nunez-jose-maria-2026-12-07.fhir.json"
        );
        assert_eq!(
            file_name(&[record("", "O'Brien")], today),
            "tend-obrien-2026-12-07.fhir.json"
        );
        assert_eq!(
            file_name(&[record("李", "王")], today),
            "tend-patient-2026-12-07.fhir.json"
        );
        let two = [record("A", "B"), record("C", "D")];
        assert_eq!(
            file_name(&two, today),
            "tend-caseload-2-patients-2026-12-07.fhir.json"
        );
    }

    #[test]
    fn ids_are_uuids_even_for_items_that_are_not() {
        let u = "0C3151BD-1CBF-4D64-B04D-CD9187A4C6E0";
        assert_eq!(rid(u, "Condition"), u.to_ascii_lowercase());
        let derived = rid("c0", "Condition");
        assert!(uuid::Uuid::parse_str(&derived).is_ok());
        assert_ne!(derived, rid("c0", "Goal"));
    }

    #[test]
    fn icd10_and_snomed_codes_are_checked_before_they_are_coded() {
        assert!(is_icd10cm("E11.9"));
        assert!(is_icd10cm("F32.A"));
        assert!(is_icd10cm("I10"));
        assert!(!is_icd10cm("E119"));
        assert!(!is_icd10cm("U07.1"));
        assert!(!is_icd10cm("E11."));
        assert_eq!(
            condition_coding("icd10cm", " e11.9 ", "Diabetes")["system"],
            codes::ICD10CM
        );
        assert_eq!(condition_coding("icd10cm", "diabetes", "x"), Value::Null);
        assert_eq!(
            condition_coding("snomed", "44054006", "x")["system"],
            codes::SNOMED
        );
        assert_eq!(condition_coding("local", "X1", "x"), Value::Null);
    }

    #[test]
    fn named_and_clock_times_never_share_a_repeat() {
        let mut m = Medication {
            name: "metformin".into(),
            dose: "500 mg".into(),
            ..Default::default()
        };
        m.schedule.times = vec!["morning".into(), "bedtime".into()];
        let d = prune(dosage(&m)).expect("dosage");
        assert_eq!(d["timing"]["repeat"]["when"], json!(["MORN", "HS"]));
        m.schedule.times = vec!["08:00".into(), "20:30".into()];
        let d = prune(dosage(&m)).expect("dosage");
        assert_eq!(
            d["timing"]["repeat"]["timeOfDay"],
            json!(["08:00:00", "20:30:00"])
        );
        m.schedule.times = vec!["noon".into(), "21:00".into(), "soon".into()];
        let d = prune(dosage(&m)).expect("dosage");
        let repeat = &d["timing"]["repeat"];
        assert_eq!(repeat["when"], json!(["NOON"]));
        assert!(repeat.get("timeOfDay").is_none());
        assert_eq!(repeat["extension"][0]["valueTime"], "21:00:00");
        assert_eq!(d["text"], "500 mg");
    }

    #[test]
    fn a_name_only_record_is_a_patient_and_nothing_else() {
        let bundle = export_bundle(&[record("Solo", "Name")], &ctx());
        let entries = bundle["entry"].as_array().expect("entries");
        assert_eq!(entries.len(), 1);
        let p = &entries[0]["resource"];
        assert_eq!(p["resourceType"], "Patient");
        assert_eq!(p["gender"], "unknown");
        assert_eq!(p["name"][0]["given"], json!(["Solo"]));
        assert!(p.get("telecom").is_none() && p.get("address").is_none());
        assert_eq!(
            entries[0]["fullUrl"],
            "urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0"
        );
        assert_eq!(bundle["timestamp"], "2026-11-30T00:53:20Z");
        assert_eq!(bundle["identifier"]["system"], codes::TEND_EXPORT);
    }

    #[test]
    fn a_record_listed_twice_is_exported_once() {
        let r = record("Solo", "Name");
        let bundle = export_bundle(&[r.clone(), r], &ctx());
        assert_eq!(bundle["entry"].as_array().map(Vec::len), Some(1));
    }

    #[test]
    fn narrative_text_is_escaped() {
        let mut r = record("A", "B");
        r.care_plan.priorities = Narrative::new("Stay <home> & safe");
        let html = plan_narrative(&r);
        assert!(html.contains("Stay &lt;home&gt; &amp; safe"));
        assert!(html.starts_with(r#"<div xmlns="http://www.w3.org/1999/xhtml">"#));
    }
}
