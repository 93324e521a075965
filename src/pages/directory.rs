//! The community resource directory (`/directory`): organisations and their services, shared by
//! everyone in the workspace (the workspace document, `Session::workspace`). Search and filters
//! first; adding, editing, removing and importing a CSV open on demand. "Refer a patient" opens
//! that patient's referral form with the organisation chosen.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use tend_core::{
    ids::new_item_id,
    record::{IsoDate, RetireReason, SdohDomain},
    workspace::{
        csv::{self, ColumnMapping, ImportPreview, Table},
        directory::ServiceType,
        Organisation, OrganisationChanges, WorkspaceOp,
    },
};

use crate::components::fields::{
    enum_options, humanize, ChosenFile, FileField, SelectField, TextField,
};
use crate::components::form::{trimmed, FormToggle};
use crate::session::Session;

/// The fields of the add and edit forms.
#[derive(Clone, Copy)]
struct OrgFields {
    name: RwSignal<String>,
    service_type: RwSignal<String>,
    domain: RwSignal<String>,
    area: RwSignal<String>,
    eligibility: RwSignal<String>,
    hours: RwSignal<String>,
    phone: RwSignal<String>,
    address: RwSignal<String>,
    website: RwSignal<String>,
    languages: RwSignal<String>,
    notes: RwSignal<String>,
    verified: RwSignal<String>,
}

impl OrgFields {
    fn new() -> Self {
        OrgFields {
            name: RwSignal::new(String::new()),
            service_type: RwSignal::new(String::new()),
            domain: RwSignal::new(String::new()),
            area: RwSignal::new(String::new()),
            eligibility: RwSignal::new(String::new()),
            hours: RwSignal::new(String::new()),
            phone: RwSignal::new(String::new()),
            address: RwSignal::new(String::new()),
            website: RwSignal::new(String::new()),
            languages: RwSignal::new(String::new()),
            notes: RwSignal::new(String::new()),
            verified: RwSignal::new(String::new()),
        }
    }

    fn fill(&self, o: &Organisation) {
        self.name.set(o.name.clone());
        self.service_type.set(
            o.service_types
                .first()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
        );
        self.domain.set(
            o.sdoh_domain
                .as_ref()
                .map(|d| d.as_str().to_string())
                .unwrap_or_default(),
        );
        self.area.set(o.area_served.clone());
        self.eligibility.set(o.eligibility.clone());
        self.hours.set(o.hours.clone());
        self.phone.set(o.phone.clone());
        self.address.set(o.address.clone());
        self.website.set(o.website.clone());
        self.languages.set(o.languages.join(", "));
        self.notes.set(o.notes.clone());
        self.verified.set(
            o.last_verified
                .as_ref()
                .map(|d| d.as_str().to_string())
                .unwrap_or_default(),
        );
    }

    /// The organisation the fields describe (`base` keeps what the form does not show: further
    /// service types, the record stamp), or what to fix.
    fn organisation(&self, base: Organisation) -> Result<Organisation, String> {
        let name = trimmed(self.name);
        if name.is_empty() {
            return Err("Enter the organization's name.".into());
        }
        let verified = trimmed(self.verified);
        let last_verified = if verified.is_empty() {
            None
        } else {
            Some(IsoDate::parse(&verified).ok_or("Enter the last verified date as a full date.")?)
        };
        let kind = trimmed(self.service_type);
        let mut service_types = base.service_types.clone();
        if !kind.is_empty() {
            let first = ServiceType::parse(&kind);
            service_types.retain(|s| s != &first);
            service_types.insert(0, first);
        }
        let domain = trimmed(self.domain);
        Ok(Organisation {
            name,
            service_types,
            sdoh_domain: (!domain.is_empty()).then(|| SdohDomain::parse(&domain)),
            area_served: trimmed(self.area),
            eligibility: trimmed(self.eligibility),
            hours: trimmed(self.hours),
            phone: trimmed(self.phone),
            address: trimmed(self.address),
            website: trimmed(self.website),
            languages: trimmed(self.languages)
                .split([',', ';'])
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
                .collect(),
            notes: trimmed(self.notes),
            last_verified,
            ..base
        })
    }
}

/// A link for a website as written: http(s) addresses as they are, anything else as an https
/// address (so a stored `javascript:` or other scheme can never become a live link).
fn web_address(written: &str) -> String {
    let w = written.trim();
    let lower = w.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        w.to_string()
    } else {
        format!("https://{}", w.trim_start_matches('/'))
    }
}

/// The fields that differ, so a concurrent edit of another field survives.
fn changes_between(old: &Organisation, new: &Organisation) -> OrganisationChanges {
    fn diff<T: PartialEq + Clone>(old: &T, new: &T) -> Option<T> {
        (old != new).then(|| new.clone())
    }
    OrganisationChanges {
        name: diff(&old.name, &new.name),
        service_types: diff(&old.service_types, &new.service_types),
        sdoh_domain: diff(&old.sdoh_domain, &new.sdoh_domain),
        area_served: diff(&old.area_served, &new.area_served),
        eligibility: diff(&old.eligibility, &new.eligibility),
        hours: diff(&old.hours, &new.hours),
        phone: diff(&old.phone, &new.phone),
        address: diff(&old.address, &new.address),
        website: diff(&old.website, &new.website),
        languages: diff(&old.languages, &new.languages),
        notes: diff(&old.notes, &new.notes),
        last_verified: diff(&old.last_verified, &new.last_verified),
    }
}

fn service_type_options(none: &str) -> Vec<(String, String)> {
    std::iter::once((String::new(), none.to_string()))
        .chain(
            ServiceType::ALL
                .iter()
                .map(|s| (s.as_str().to_string(), s.label())),
        )
        .collect()
}

fn domain_options(none: &str) -> Vec<(String, String)> {
    std::iter::once((String::new(), none.to_string()))
        .chain(enum_options(SdohDomain::ALL, |d| d.as_str()))
        .collect()
}

#[component]
fn OrgFieldsView(f: OrgFields) -> impl IntoView {
    view! {
        <TextField label="Organization name" value=f.name />
        <SelectField label="Service type" value=f.service_type options=service_type_options("Choose a type") />
        <SelectField label="Social need it addresses" value=f.domain options=domain_options("None chosen") />
        <TextField label="Area served" value=f.area />
        <TextField label="Eligibility" value=f.eligibility />
        <TextField label="Hours" value=f.hours />
        <TextField label="Phone" value=f.phone kind="tel" />
        <TextField label="Address" value=f.address />
        <TextField label="Website" value=f.website kind="url" />
        <TextField label="Languages" value=f.languages hint="Separate them with commas" />
        <TextField label="Notes" value=f.notes />
        <TextField label="Last verified" value=f.verified kind="date" />
    }
}

/// Saves workspace ops through the session.
pub fn saver(
    session: Session,
) -> impl Fn(
    Vec<WorkspaceOp>,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<(), crate::session::EditError>>>,
> + Clone {
    move |ops| {
        let session = session.clone();
        Box::pin(async move { session.edit_workspace(ops).await })
    }
}

#[component]
pub fn DirectoryPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let record = session.workspace_record;
    let load_problem = RwSignal::new(None::<String>);
    {
        let session = session.clone();
        leptos::task::spawn_local(async move {
            if let Err(e) = session.workspace().await {
                load_problem.set(Some(format!("The directory could not be opened: {e}")));
            }
        });
    }
    let query = RwSignal::new(String::new());
    let type_filter = RwSignal::new(String::new());
    let domain_filter = RwSignal::new(String::new());
    let language_filter = RwSignal::new(String::new());
    let results = Memo::new(move |_| {
        record.with(|r| {
            let Some(r) = r else {
                return Vec::new();
            };
            let kind = type_filter.get();
            let kind = (!kind.is_empty()).then(|| ServiceType::parse(&kind));
            let domain = domain_filter.get();
            let domain = (!domain.is_empty()).then(|| SdohDomain::parse(&domain));
            let language = language_filter.get();
            let language = (!language.is_empty()).then_some(language);
            r.search(
                &query.get(),
                kind.as_ref(),
                domain.as_ref(),
                language.as_deref(),
            )
            .into_iter()
            .cloned()
            .collect::<Vec<_>>()
        })
    });
    let languages =
        Memo::new(move |_| record.with(|r| r.as_ref().map(|r| r.languages()).unwrap_or_default()));
    let total = Memo::new(move |_| record.with(|r| r.as_ref().map_or(0, |r| r.active().len())));

    let add = OrgFields::new();
    let save = saver(session.clone());
    let add_changes = move || {
        let base = Organisation {
            id: new_item_id(),
            ..Default::default()
        };
        Ok(vec![WorkspaceOp::AddOrganisation {
            organisation: add.organisation(base)?,
        }])
    };

    view! {
        <section class="page directory" aria-labelledby="directory-title">
            <h1 id="directory-title">"Community resources"</h1>
            <p class="lede">"Shared by everyone in your workspace, on every device, also offline."</p>
            {move || load_problem.get().map(|p| view! { <p class="error" role="alert">{p}</p> })}
            <div class="filters" role="search">
                <label class="field">
                    <span>"Search resources"</span>
                    <input type="search" prop:value=query on:input=move |ev| query.set(event_target_value(&ev)) />
                </label>
                <SelectField label="Service type" value=type_filter options=service_type_options("All types") />
                <SelectField label="Social need" value=domain_filter options=domain_options("All needs") />
                <label class="field">
                    <span>"Language"</span>
                    <select prop:value=language_filter on:change=move |ev| language_filter.set(event_target_value(&ev))>
                        <option value="">"Any language"</option>
                        <For each=move || languages.get() key=|l| l.clone() let:l>
                            <option value=l.clone()>{l.clone()}</option>
                        </For>
                    </select>
                </label>
            </div>
            <div class="actions-row">
                <FormToggle open_label="Add an organization" title="Add an organization" submit_label="Add organization"
                    saved_text="Organization added." on_open=Callback::new(move |_| add.fill(&Organisation::default()))
                    changes=add_changes save=save.clone()>
                    <OrgFieldsView f=add />
                </FormToggle>
                <ImportCsv />
            </div>
            <p role="status" class="count">
                {move || {
                    let (shown, all) = (results.with(Vec::len), total.get());
                    match all {
                        0 => "No organizations yet: add one or import a CSV file.".to_string(),
                        1 if shown == 1 => "1 organization".to_string(),
                        _ => format!("{shown} of {}", crate::format::count(all, "organization", "organizations")),
                    }
                }}
            </p>
            <ul class="cards directory-list">
                <For each=move || results.get() key=|o| o.id.clone() let:org>
                    <OrgCard id=org.id />
                </For>
            </ul>
        </section>
    }
}

#[component]
fn OrgCard(id: String) -> impl IntoView {
    let session = expect_context::<Session>();
    let save = saver(session.clone());
    let record = session.workspace_record;
    let org_id = id.clone();
    // Read from the record, so an edit here or from another device updates the card in place
    // (its forms and their messages stay).
    let org = Memo::new(move |_| {
        record.with(|r| {
            r.as_ref()
                .and_then(|r| r.organisations.get(&org_id).cloned())
                .unwrap_or_default()
        })
    });
    let heading_id = format!("org-{id}");
    let details = move || {
        let o = org.get();
        let types = o
            .service_types
            .iter()
            .map(|s| s.label())
            .collect::<Vec<_>>()
            .join(", ");
        let line = |label: &'static str, value: String| {
            (!value.is_empty()).then(|| {
                view! { <div class="row"><dt>{label}</dt><dd>{value}</dd></div> }
            })
        };
        view! {
            {(!types.is_empty()).then(|| view! { <p class="tags">{types.clone()}</p> })}
            <dl class="facts">
                {line("Social need", o.sdoh_domain.as_ref().map(|d| humanize(d.as_str())).unwrap_or_default())}
                {line("Area served", o.area_served.clone())}
                {line("Eligibility", o.eligibility.clone())}
                {line("Hours", o.hours.clone())}
                {(!o.phone.is_empty()).then(|| {
                    let tel = format!("tel:{}", o.phone.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect::<String>());
                    view! { <div class="row"><dt>"Phone"</dt><dd><a href=tel>{o.phone.clone()}</a></dd></div> }
                })}
                {line("Address", o.address.clone())}
                {(!o.website.is_empty()).then(|| {
                    let href = web_address(&o.website);
                    view! { <div class="row"><dt>"Website"</dt><dd><a href=href target="_blank" rel="noopener noreferrer">{o.website.clone()}</a></dd></div> }
                })}
                {line("Languages", o.languages.join(", "))}
                {line("Notes", o.notes.clone())}
                {line("Last verified", o.last_verified.as_ref().map(|d| crate::format::day(d.as_str())).unwrap_or_default())}
            </dl>
        }
    };
    let edit = OrgFields::new();
    let edit_changes = move || {
        let current = org.get_untracked();
        let new = edit.organisation(current.clone())?;
        let changes = changes_between(&current, &new);
        Ok(if changes.is_empty() {
            Vec::new()
        } else {
            vec![WorkspaceOp::ChangeOrganisation {
                id: current.id,
                changes,
            }]
        })
    };
    let reason = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let retire_changes = move || {
        Ok(vec![WorkspaceOp::RetireOrganisation {
            id: org.get_untracked().id,
            reason: RetireReason::parse(&reason.get_untracked()),
            note: trimmed(note),
        }])
    };
    let name_sig = Signal::derive(move || org.with(|o| o.name.clone()));
    let refer_patient = RwSignal::new(String::new());
    let navigate = use_navigate();
    let caseload = session.caseload;
    let refer = move |_| {
        let patient = refer_patient.get_untracked();
        if !patient.is_empty() {
            navigate(
                &format!(
                    "/patients/{patient}?section=coordination&refer={}",
                    org.get_untracked().id
                ),
                Default::default(),
            );
        }
    };
    let patient_options = move || {
        caseload.with(|all| {
            all.iter()
                .map(|s| (s.id.clone(), s.display_name.clone()))
                .collect::<Vec<_>>()
        })
    };
    view! {
        <li class="card org" aria-labelledby=heading_id.clone()>
            <h2 id=heading_id.clone()>{move || name_sig.get()}</h2>
            {details}
            <div class="item-actions">
                <div class="refer">
                    <label class="field">
                        <span>{move || format!("Refer a patient to {}", name_sig.get())}</span>
                        <select prop:value=refer_patient on:change=move |ev| refer_patient.set(event_target_value(&ev))>
                            <option value="">"Choose a patient"</option>
                            {move || patient_options().into_iter().map(|(id, n)| view! { <option value=id>{n}</option> }).collect_view()}
                        </select>
                    </label>
                    <button type="button" class="button" on:click=refer
                        aria-label=move || format!("Start referral to {}", name_sig.get())>"Start referral"</button>
                </div>
                <FormToggle open_label="Edit" open_name=Signal::derive(move || format!("Edit {}", name_sig.get()))
                    title=Signal::derive(move || format!("Edit {}", name_sig.get())) submit_label="Save changes"
                    saved_text="Organization updated." quiet=true
                    on_open=Callback::new(move |_| edit.fill(&org.get_untracked()))
                    changes=edit_changes save=save.clone()>
                    <OrgFieldsView f=edit />
                </FormToggle>
                <FormToggle open_label="Remove" open_name=Signal::derive(move || format!("Remove {}", name_sig.get()))
                    title=Signal::derive(move || format!("Remove {} from the directory", name_sig.get()))
                    submit_label="Remove from directory" saved_text="Organization removed." quiet=true
                    on_open=Callback::new(move |_| {
                        reason.set(RetireReason::NoLongerApplicable.as_str().to_string());
                        note.set(String::new());
                    })
                    changes=retire_changes save=save>
                    <p>"Referrals already made to it keep its name."</p>
                    <SelectField label="Reason" value=reason options=vec![
                        (RetireReason::NoLongerApplicable.as_str().to_string(), "Closed or no longer offers this".to_string()),
                        (RetireReason::Duplicate.as_str().to_string(), "Duplicate".to_string()),
                        (RetireReason::EnteredInError.as_str().to_string(), "Entered in error".to_string()),
                    ] />
                    <TextField label="Note" value=note />
                </FormToggle>
            </div>
        </li>
    }
}

/// "Import from CSV": choose a file, check how its columns map, see what was read and which rows
/// could not be; importing adds every organisation in one change, or nothing at all.
#[component]
fn ImportCsv() -> impl IntoView {
    let session = expect_context::<Session>();
    let save = saver(session.clone());
    let table = RwSignal::new(None::<Result<Table, String>>);
    let mapping = RwSignal::new(ColumnMapping::default());
    let file_name = RwSignal::new(String::new());
    let session_record = session.workspace_record;
    let author = session.author();
    let preview = Memo::new(move |_| {
        let table = table.get()?;
        let table = table.ok()?;
        Some(csv::import_preview(
            &table,
            &mapping.get(),
            &author,
            crate::clock::now_ms(),
            new_item_id,
        ))
    });
    let on_file = move |file: ChosenFile| {
        file_name.set(file.name.clone());
        leptos::task::spawn_local(async move {
            let parsed = match file.text().await {
                Err(e) => Err(e),
                Ok(text) => csv::parse_csv(&text).map_err(|e| e.to_string()),
            };
            if let Ok(t) = &parsed {
                mapping.set(csv::guess_mapping(&t.headers));
            }
            table.set(Some(parsed));
        });
    };
    let changes = move || -> Result<Vec<WorkspaceOp>, String> {
        match table.get_untracked() {
            None => return Err("Choose a CSV file first.".into()),
            Some(Err(e)) => return Err(format!("Nothing was imported: {e}")),
            Some(Ok(_)) => {}
        }
        let Some(p) = preview.get_untracked() else {
            return Err("Choose a CSV file first.".into());
        };
        if !p.is_clean() {
            return Err(format!(
                "Nothing was imported: {} could not be read. Fix them in the file (or change the column choices) and try again.",
                rows(p.bad_rows.len())
            ));
        }
        if p.organisations.is_empty() {
            return Err("Nothing was imported: the file has no organizations.".into());
        }
        Ok(p.ops())
    };
    let reset = Callback::new(move |_| {
        table.set(None);
        file_name.set(String::new());
    });
    view! {
        <FormToggle open_label="Import from CSV" title="Import organizations from a CSV file" submit_label="Import"
            saved_text="Organizations imported." on_open=reset changes=changes save=save>
            <FileField label="CSV file" hint="A 211 export or a spreadsheet saved as CSV, with a header row"
                accept=".csv,text/csv" on_file=on_file.clone() />
            {move || match table.get() {
                None => ().into_any(),
                Some(Err(e)) => view! { <p class="error" role="alert">{format!("This file could not be read: {e}. Nothing will be imported.")}</p> }.into_any(),
                Some(Ok(t)) => view! { <MappingView table=t mapping=mapping /> }.into_any(),
            }}
            {move || preview.get().map(|p| {
                let already = session_record.with(|r| {
                    r.as_ref()
                        .map(|r| p.already_listed(r).into_iter().map(|o| o.name.clone()).collect::<Vec<_>>())
                        .unwrap_or_default()
                });
                view! { <PreviewView preview=p already=already /> }
            })}
        </FormToggle>
    }
}

fn rows(n: usize) -> String {
    if n == 1 {
        "1 row".into()
    } else {
        format!("{n} rows")
    }
}

/// The directory fields a CSV column can fill, as the mapping shows them.
const MAPPED: &[&str] = &[
    "Name",
    "Service type",
    "Area served",
    "Eligibility",
    "Hours",
    "Phone",
    "Address",
    "Website",
    "Languages",
    "Notes",
    "Last verified",
];

fn column_of(m: &ColumnMapping, field: &str) -> Option<usize> {
    match field {
        "Name" => m.name,
        "Service type" => m.service_types,
        "Area served" => m.area_served,
        "Eligibility" => m.eligibility,
        "Hours" => m.hours,
        "Phone" => m.phone,
        "Address" => m.address.first().copied(),
        "Website" => m.website,
        "Languages" => m.languages,
        "Notes" => m.notes,
        _ => m.last_verified,
    }
}

fn set_column(m: &mut ColumnMapping, field: &str, column: Option<usize>) {
    let slot = match field {
        "Name" => &mut m.name,
        "Service type" => &mut m.service_types,
        "Area served" => &mut m.area_served,
        "Eligibility" => &mut m.eligibility,
        "Hours" => &mut m.hours,
        "Phone" => &mut m.phone,
        "Address" => {
            // A guess may join several address columns; choosing one replaces them.
            if m.address.first().copied() != column {
                m.address = column.into_iter().collect();
            }
            return;
        }
        "Website" => &mut m.website,
        "Languages" => &mut m.languages,
        "Notes" => &mut m.notes,
        _ => &mut m.last_verified,
    };
    *slot = column;
}

#[component]
fn MappingView(table: Table, mapping: RwSignal<ColumnMapping>) -> impl IntoView {
    let headers = table.headers.clone();
    view! {
        <fieldset class="mapping">
            <legend>"Which column holds what"</legend>
            {MAPPED
                .iter()
                .map(|field| {
                    let field: &'static str = field;
                    let value = RwSignal::new(
                        mapping.with_untracked(|m| column_of(m, field)).map(|c| c.to_string()).unwrap_or_default(),
                    );
                    let options: Vec<(String, String)> = std::iter::once((String::new(), "Not in this file".to_string()))
                        .chain(headers.iter().enumerate().map(|(i, h)| (i.to_string(), h.clone())))
                        .collect();
                    let on_change = move |ev| {
                        let chosen = event_target_value(&ev);
                        value.set(chosen.clone());
                        mapping.update(|m| set_column(m, field, chosen.parse::<usize>().ok()));
                    };
                    view! {
                        <label class="field">
                            <span>{field}</span>
                            <select prop:value=value on:change=on_change>
                                {options.into_iter().map(|(v, l)| {
                                    let selected = value.get_untracked() == v;
                                    view! { <option value=v selected=selected>{l}</option> }
                                }).collect_view()}
                            </select>
                        </label>
                    }
                })
                .collect_view()}
        </fieldset>
    }
}

#[component]
fn PreviewView(preview: ImportPreview, already: Vec<String>) -> impl IntoView {
    let read = preview.organisations.len();
    let bad = preview.bad_rows.clone();
    let names = preview
        .organisations
        .iter()
        .take(10)
        .map(|o| o.name.clone())
        .collect::<Vec<_>>();
    view! {
        <div class="preview" role="status">
            <p>{format!("{} read{}.", crate::format::count(read, "organization", "organizations"), if bad.is_empty() { String::new() } else { format!(", {} could not be", rows(bad.len())) })}</p>
            <ul class="plain">
                {names.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
                {(read > 10).then(|| view! { <li>{format!("and {} more", read - 10)}</li> })}
            </ul>
            {(!already.is_empty()).then(|| view! {
                <p class="warn">{format!("Already in the directory with the same name: {}. Importing adds them again.", already.join(", "))}</p>
            })}
            {(!bad.is_empty()).then(|| view! {
                <h4>"Rows that could not be read"</h4>
                <ul class="plain bad-rows">
                    {bad.into_iter().map(|b| view! { <li>{format!("Line {}: {}", b.line, b.reason)}</li> }).collect_view()}
                </ul>
            })}
        </div>
    }
}
