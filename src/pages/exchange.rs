//! FHIR R4 in and out. Export: one chart, the patients chosen, or every patient shown, as one
//! Bundle file the browser downloads. Import: an EHR's (or Tend's) Bundle, previewed item by item
//! — new, already recorded, possible duplicate — then added in one change per patient, never
//! overwriting what is recorded. The mapping is `tend-fhir`'s; this is only the screen.

use std::collections::BTreeSet;

use leptos::{prelude::*, task::spawn_local};
use leptos_router::components::A;
use tend_core::record::{PatientRecord, PersonName};
use tend_core::summary::PatientSummary;
use tend_core::{Op, PatientId};
use tend_fhir::{import, ExportContext, ImportPlan, ItemStatus, PlannedItem};
use wasm_bindgen::JsCast;

use crate::clock::{now_ms, today};
use crate::components::fields::{ChosenFile, FileField};
use crate::components::form::FormToggle;
use crate::session::{EditError, Session};

/// Saves `text` as a file named `file_name` through the browser's download.
pub fn download(file_name: &str, mime: &str, text: &str) -> Result<(), String> {
    let fail = |what: &str| format!("The file could not be saved ({what}).");
    let window = web_sys::window().ok_or_else(|| fail("no window"))?;
    let document = window.document().ok_or_else(|| fail("no document"))?;
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|_| fail("no Blob"))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| fail("no URL"))?;
    let link = document
        .create_element("a")
        .ok()
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
        .ok_or_else(|| fail("no link"))?;
    link.set_href(&url);
    link.set_download(file_name);
    link.click();
    // The download has its own copy once started; free the URL after this turn.
    gloo::timers::callback::Timeout::new(0, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
    Ok(())
}

fn export_context(session: &Session) -> ExportContext {
    ExportContext {
        bundle_id: uuid::Uuid::new_v4().to_string(),
        exported_at_ms: now_ms(),
        today: today(),
        people: session
            .people()
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect(),
    }
}

/// Exports `records` as one Bundle file; says what was saved.
fn download_bundle(session: &Session, records: &[PatientRecord]) -> Result<String, String> {
    let bundle = tend_fhir::export_bundle(records, &export_context(session));
    let text = serde_json::to_string_pretty(&bundle)
        .map_err(|e| format!("The file could not be written: {e}"))?;
    let name = tend_fhir::export::file_name(records, today());
    download(&name, "application/fhir+json", &text)?;
    Ok(format!("Downloaded {name}."))
}

/// The chart's "Export FHIR": this patient as a FHIR R4 Bundle file.
#[component]
pub fn ExportPatientButton(record: RwSignal<PatientRecord>) -> impl IntoView {
    let session = expect_context::<Session>();
    let message = RwSignal::new(None::<(String, bool)>);
    let export = move |_| {
        let result = record.with_untracked(|r| download_bundle(&session, std::slice::from_ref(r)));
        message.set(Some(match result {
            Ok(done) => (done, false),
            Err(e) => (e, true),
        }));
    };
    view! {
        <button type="button" class="button" on:click=export>"Export FHIR"</button>
        <Message message=message />
    }
}

#[component]
fn Message(message: RwSignal<Option<(String, bool)>>) -> impl IntoView {
    view! {
        <p class="form-message" role="status">
            {move || message.get().map(|(text, error)| view! { <span class:error=error>{text}</span> })}
        </p>
    }
}

/// The caseload's FHIR export: every patient shown (search and filters apply) or those chosen.
#[component]
pub fn ExportCaseload(shown: Memo<Vec<PatientSummary>>) -> impl IntoView {
    let session = expect_context::<Session>();
    let open = RwSignal::new(false);
    let choose = RwSignal::new(false);
    let chosen = RwSignal::new(BTreeSet::<String>::new());
    let progress = RwSignal::new(None::<String>);
    let message = RwSignal::new(None::<(String, bool)>);
    let count = move || {
        if choose.get() {
            chosen.with(BTreeSet::len)
        } else {
            shown.with(Vec::len)
        }
    };
    let export = move |_| {
        if progress.get_untracked().is_some() {
            return;
        }
        let ids: Vec<String> = if choose.get_untracked() {
            chosen.get_untracked().into_iter().collect()
        } else {
            shown.with_untracked(|s| s.iter().map(|p| p.id.clone()).collect())
        };
        if ids.is_empty() {
            message.set(Some(("Choose at least one patient.".into(), true)));
            return;
        }
        let session = session.clone();
        spawn_local(async move {
            let (mut records, mut unreadable) = (Vec::with_capacity(ids.len()), Vec::new());
            for (i, id) in ids.iter().enumerate() {
                progress.set(Some(format!("Preparing {} of {}…", i + 1, ids.len())));
                let record = match PatientId::parse(id) {
                    Some(pid) => match session.storage().load_patient(&pid).await {
                        Ok(loaded) => loaded.doc.record().map_err(|e| e.to_string()),
                        Err(e) => Err(e.to_string()),
                    },
                    None => Err("not a patient id".into()),
                };
                match record {
                    Ok(r) => records.push(r),
                    Err(e) => unreadable.push(format!("{id}: {e}")),
                }
            }
            progress.set(None);
            let result = if unreadable.is_empty() {
                download_bundle(&session, &records).map(|m| (m, false))
            } else {
                Err(format!(
                    "Nothing was exported: {} could not be read ({}).",
                    crate::format::count(unreadable.len(), "record", "records"),
                    unreadable.join("; ")
                ))
            };
            message.set(Some(result.unwrap_or_else(|e| (e, true))));
        });
    };
    view! {
        <div class="exchange-export">
            <button type="button" class="button" aria-controls="fhir-export"
                aria-expanded=move || if open.get() { "true" } else { "false" }
                on:click=move |_| { open.update(|o| *o = !*o); message.set(None); }>"Export FHIR"</button>
            <Show when=move || open.get()>
                <div class="card" id="fhir-export" role="group" aria-labelledby="fhir-export-title">
                    <h3 id="fhir-export-title">"Export patients as a FHIR R4 file"</h3>
                    <p class="hint">"One file (a FHIR Bundle, US Core) an EHR, a health plan or another care-management system can read."</p>
                    <fieldset class="switch">
                        <legend>"Which patients"</legend>
                        <label><input type="radio" name="fhir-export-scope" prop:checked=move || !choose.get()
                            on:change=move |_| choose.set(false) />
                            {move || format!(" All {} shown", crate::format::count(shown.with(Vec::len), "patient", "patients"))}</label>
                        <label><input type="radio" name="fhir-export-scope" prop:checked=move || choose.get()
                            on:change=move |_| choose.set(true) />" Choose patients"</label>
                    </fieldset>
                    <Show when=move || choose.get()>
                        <fieldset class="choices">
                            <legend>"Patients to export"</legend>
                            <For each=move || shown.get().into_iter().take(super::caseload::PAGE_SIZE) key=|s| s.id.clone() let:summary>
                                {
                                    let id = summary.id.clone();
                                    let id_check = id.clone();
                                    view! {
                                        <label class="check">
                                            <input type="checkbox" prop:checked=move || chosen.with(|c| c.contains(&id_check))
                                                on:change=move |ev| {
                                                    let on = event_target_checked(&ev);
                                                    chosen.update(|c| { if on { c.insert(id.clone()); } else { c.remove(&id); } });
                                                } />
                                            {format!(" {}", summary.display_name)}
                                        </label>
                                    }
                                }
                            </For>
                        </fieldset>
                    </Show>
                    <div class="form-actions">
                        <button type="button" class="button button-primary" on:click=export.clone()
                            prop:disabled=move || progress.get().is_some()>
                            {move || format!("Download FHIR file ({})", crate::format::count(count(), "patient", "patients"))}
                        </button>
                        <button type="button" class="button" on:click=move |_| open.set(false)>"Close"</button>
                    </div>
                    <p class="muted" aria-live="polite">{move || progress.get()}</p>
                </div>
            </Show>
            <Message message=message />
        </div>
    }
}

/// What the import will do for one patient of the file.
#[derive(Clone, Debug, PartialEq)]
struct PatientPreview {
    plan: ImportPlan,
    /// The patient on this device it adds to; `None`: importing creates them.
    existing: Option<PatientId>,
}

/// One patient's share of the import, as the form saves it.
#[derive(Clone, Debug)]
struct PatientImport {
    id: PatientId,
    existing: bool,
    name: tend_core::record::PersonName,
    ops: Vec<Op>,
}

/// A patient needs a name; a file without one gets a placeholder the care manager corrects.
fn name_or_placeholder(name: &PersonName) -> PersonName {
    if name.display().is_empty() {
        PersonName {
            given: String::new(),
            family: "Name not in the imported file".into(),
        }
    } else {
        name.clone()
    }
}

/// The file as read: its patients' previews, and what Tend does not read.
#[derive(Clone, Debug, PartialEq)]
struct FilePreview {
    patients: Vec<PatientPreview>,
    not_read: Vec<(String, usize)>,
}

/// Reads `text`, finds each incoming patient on this device (Tend id or MRN) and plans the import.
async fn preview_file(session: &Session, text: &str) -> Result<FilePreview, String> {
    let bundle = import::parse_bundle(text).map_err(|e| e.to_string())?;
    let summaries = session.caseload.get_untracked();
    let mut patients = Vec::new();
    for incoming in &bundle.patients {
        let candidates = summaries.iter().filter(|s| {
            incoming
                .tend_id
                .as_ref()
                .is_some_and(|t| t.as_str() == s.id)
                || incoming
                    .mrns
                    .iter()
                    .any(|m| s.identifiers.iter().any(|i| i == m))
        });
        let mut existing = None;
        for candidate in candidates {
            let Some(id) = PatientId::parse(&candidate.id) else {
                continue;
            };
            let Ok(loaded) = session.storage().load_patient(&id).await else {
                continue;
            };
            if let Ok(record) = loaded.doc.record() {
                if incoming.matches(&record) {
                    existing = Some((id, record));
                    break;
                }
            }
        }
        let plan = import::plan_import(incoming, existing.as_ref().map(|(_, r)| r));
        patients.push(PatientPreview {
            plan,
            existing: existing.map(|(id, _)| id),
        });
    }
    Ok(FilePreview {
        patients,
        not_read: bundle.not_read,
    })
}

/// "Import FHIR": choose a Bundle file, see what it adds, import.
#[component]
pub fn ImportFhir() -> impl IntoView {
    let session = expect_context::<Session>();
    let preview = RwSignal::new(None::<Result<FilePreview, String>>);
    let reading = RwSignal::new(false);
    // (patient index, item index) of the possible duplicates the care manager chose to add.
    let chosen = RwSignal::new(BTreeSet::<(usize, usize)>::new());
    let imported = RwSignal::new(Vec::<(String, String)>::new());
    let on_file = {
        let session = session.clone();
        move |file: ChosenFile| {
            chosen.set(BTreeSet::new());
            imported.set(Vec::new());
            if file.size > import::MAX_IMPORT_BYTES as f64 {
                let too_large =
                    tend_fhir::FhirError::TooLarge(file.size as usize, import::MAX_IMPORT_BYTES);
                preview.set(Some(Err(too_large.to_string())));
                return;
            }
            reading.set(true);
            let session = session.clone();
            spawn_local(async move {
                let result = match file.text().await {
                    Err(e) => Err(e),
                    Ok(text) => preview_file(&session, &text).await,
                };
                preview.set(Some(result));
                reading.set(false);
            });
        }
    };
    let changes = move || -> Result<Vec<PatientImport>, String> {
        match preview.get_untracked() {
            None => Err("Choose a FHIR file first.".into()),
            Some(Err(e)) => Err(format!("Nothing was imported: {e}.")),
            Some(Ok(file)) => {
                let chosen = chosen.get_untracked();
                let jobs: Vec<PatientImport> = file
                    .patients
                    .iter()
                    .enumerate()
                    .map(|(p, preview)| {
                        let picks: Vec<usize> = chosen
                            .iter()
                            .filter(|(pp, _)| *pp == p)
                            .map(|(_, i)| *i)
                            .collect();
                        PatientImport {
                            id: preview
                                .existing
                                .clone()
                                .unwrap_or_else(|| preview.plan.new_patient_id.clone()),
                            existing: preview.existing.is_some(),
                            name: name_or_placeholder(&preview.plan.name),
                            ops: preview.plan.ops(&picks),
                        }
                    })
                    .filter(|j| !j.ops.is_empty() || !j.existing)
                    .collect();
                if jobs.is_empty() {
                    Err(
                        "Nothing new to import: everything in this file is already recorded."
                            .into(),
                    )
                } else {
                    Ok(jobs)
                }
            }
        }
    };
    let save = move |jobs: Vec<PatientImport>| {
        let session = session.clone();
        async move {
            let mut done = Vec::new();
            for job in jobs {
                let items = crate::format::count(job.ops.len(), "item", "items");
                if job.existing {
                    let open = session
                        .open_patient(&job.id)
                        .await
                        .map_err(EditError::NotSaved)?;
                    let ops = job.ops;
                    session
                        .edit(&open, move |doc, author, now| {
                            doc.apply_all(ops, author, now)
                        })
                        .await?;
                    done.push((
                        job.id.to_string(),
                        format!("{}: {items} added", job.name.display()),
                    ));
                } else {
                    session
                        .import_patient(job.id.clone(), job.name.clone(), job.ops)
                        .await?;
                    done.push((
                        job.id.to_string(),
                        format!("{}: new patient, {items}", job.name.display()),
                    ));
                }
            }
            imported.set(done);
            preview.set(None);
            Ok(())
        }
    };
    let reset = Callback::new(move |_| {
        preview.set(None);
        chosen.set(BTreeSet::new());
    });
    view! {
        <FormToggle open_label="Import FHIR" title="Import from a FHIR file" submit_label="Import"
            saved_text="FHIR file imported." on_open=reset changes=changes save=save>
            <FileField label="FHIR file"
                hint="A FHIR R4 Bundle in JSON, e.g. a hospital's discharge export. Nothing recorded here is overwritten."
                accept=".json,application/json,application/fhir+json" on_file=on_file.clone() />
            <p class="muted" aria-live="polite">{move || reading.get().then_some("Reading the file…")}</p>
            {move || match preview.get() {
                None => ().into_any(),
                Some(Err(e)) => view! { <p class="error" role="alert">{format!("This file cannot be imported: {e}. Nothing will be imported.")}</p> }.into_any(),
                Some(Ok(file)) => view! { <FilePreviewView file=file chosen=chosen /> }.into_any(),
            }}
        </FormToggle>
        <Show when=move || !imported.with(Vec::is_empty)>
            <ul class="imported" aria-label="Imported">
                {move || imported.get().into_iter().map(|(id, text)| view! {
                    <li><A href=format!("/patients/{id}")>{text}</A></li>
                }).collect_view()}
            </ul>
        </Show>
    }
}

/// "Medication: Metformin 500 mg — twice daily"; a label that names its section already
/// ("Hospital stay: Mercy General, …") stands alone.
fn item_line(item: &PlannedItem) -> String {
    if item.label.starts_with(&item.section) {
        item.label.clone()
    } else {
        format!("{}: {}", item.section, item.label)
    }
}

#[component]
fn FilePreviewView(file: FilePreview, chosen: RwSignal<BTreeSet<(usize, usize)>>) -> impl IntoView {
    let not_read = (!file.not_read.is_empty()).then(|| {
        format!(
            "Not imported (Tend does not read these): {}.",
            file.not_read
                .iter()
                .map(|(kind, n)| format!("{n} {kind}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    });
    view! {
        <section class="import-preview" aria-label="What the import adds">
            {file.patients.into_iter().enumerate().map(|(p, preview)| {
                view! { <PatientPreviewView index=p preview=preview chosen=chosen /> }
            }).collect_view()}
            {not_read.map(|t| view! { <p class="muted">{t}</p> })}
        </section>
    }
}

#[component]
fn PatientPreviewView(
    index: usize,
    preview: PatientPreview,
    chosen: RwSignal<BTreeSet<(usize, usize)>>,
) -> impl IntoView {
    let plan = preview.plan;
    let count = |f: fn(&ItemStatus) -> bool| plan.items.iter().filter(|i| f(&i.status)).count();
    let new = count(|s| *s == ItemStatus::New);
    let already = count(|s| *s == ItemStatus::AlreadyRecorded);
    let duplicates = count(|s| matches!(s, ItemStatus::PossibleDuplicate { .. }));
    let heading = format!(
        "{} — {}",
        name_or_placeholder(&plan.name).display(),
        if preview.existing.is_some() {
            "already on this device: adds to the chart"
        } else {
            "new patient"
        }
    );
    let totals = if new == 0 && duplicates == 0 {
        format!(
            "Nothing new: {} already recorded.",
            crate::format::count(already, "item is", "items are")
        )
    } else {
        [
            (new > 0).then(|| format!("{new} new")),
            (duplicates > 0).then(|| {
                crate::format::count(duplicates, "possible duplicate", "possible duplicates")
            }),
            (already > 0).then(|| format!("{already} already recorded")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ")
    };
    let title_id = format!("import-patient-{index}");
    let rows = |want: fn(&ItemStatus) -> bool| {
        plan.items
            .iter()
            .enumerate()
            .filter(|(_, item)| want(&item.status))
            .map(|(i, item)| (i, item.clone()))
            .collect::<Vec<_>>()
    };
    let new_rows = rows(|s| *s == ItemStatus::New);
    let duplicate_rows = rows(|s| matches!(s, ItemStatus::PossibleDuplicate { .. }));
    let already_rows = rows(|s| *s == ItemStatus::AlreadyRecorded);
    view! {
        <article class="card" aria-labelledby=title_id.clone()>
            <h3 id=title_id.clone()>{heading}</h3>
            <p>{totals}</p>
            {(!new_rows.is_empty()).then(|| view! {
                <ul aria-label="New items">
                    {new_rows.into_iter().map(|(_, item)| view! {
                        <li>{item_line(&item)}</li>
                    }).collect_view()}
                </ul>
            })}
            {(!duplicate_rows.is_empty()).then(|| view! {
                <fieldset class="choices">
                    <legend>"Possible duplicates: not added unless you tick them"</legend>
                    {duplicate_rows.into_iter().map(|(i, item)| {
                        let of = match &item.status {
                            ItemStatus::PossibleDuplicate { of } => of.clone(),
                            _ => String::new(),
                        };
                        view! {
                            <label class="check">
                                <input type="checkbox" prop:checked=move || chosen.with(|c| c.contains(&(index, i)))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        chosen.update(|c| { if on { c.insert((index, i)); } else { c.remove(&(index, i)); } });
                                    } />
                                {format!(" Add anyway — {} (already recorded: {of})", item_line(&item))}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
            })}
            {(!already_rows.is_empty()).then(|| view! {
                <details>
                    <summary>{format!("Already recorded ({})", already_rows.len())}</summary>
                    <ul>
                        {already_rows.into_iter().map(|(_, item)| view! {
                            <li>{item_line(&item)}</li>
                        }).collect_view()}
                    </ul>
                </details>
            })}
        </article>
    }
}
