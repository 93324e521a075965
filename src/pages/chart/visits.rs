//! Visits and calls: start an encounter, write its narrative note (Automerge text, saved as you
//! type), sign it (then it is read-only and later words are addenda), review symptoms, and
//! schedule the next follow-up before leaving.

use leptos::{ev::SubmitEvent, html, prelude::*, task::spawn_local};
use tend_core::{
    ids::new_item_id,
    record::{
        Encounter, EncounterAddendum, EncounterKind, FollowUp, FollowUpKind, FollowUpStatus,
        IsoDate, ListItem, Stamp,
    },
    ItemList, NarrativeTarget, Op,
};

use super::entries::entry;
use super::history::HistoryToggle;
use super::retire::RemoveForm;
use super::review::AlsoSet;
use super::{follow_ups::ScheduleForm, overview::FormMessage, today_iso, Chart};
use crate::components::fields::{
    enum_options, humanize, CheckField, SelectField, TextArea, TextField,
};
use crate::components::form::{changed, edit_of, editable, trimmed, EditToggle, FormToggle};
use crate::components::narrative::NarrativeEditor;
use crate::format;

const SYMPTOMS: &[&str] = &[
    "Pain",
    "Shortness of breath",
    "Chest pain",
    "Dizziness or falls",
    "Swelling",
    "Low mood",
    "Confusion",
    "Problems with medicines",
];

#[component]
pub fn VisitsSection(chart: Chart) -> impl IntoView {
    let record = chart.record;
    let encounter_ids = move || {
        record.with(|r| {
            let mut list: Vec<_> = r.encounters.iter().filter(|e| e.is_active()).collect();
            list.sort_by(|a, b| (&b.date, b.recorded.at).cmp(&(&a.date, a.recorded.at)));
            list.into_iter().map(|e| e.id.clone()).collect::<Vec<_>>()
        })
    };
    let chart_list = chart.clone();
    view! {
        <StartForm chart=chart.clone() />
        <Show when=move || encounter_ids().is_empty()>
            <p class="muted">"No visits or calls recorded yet."</p>
        </Show>
        <For each=encounter_ids key=|id| id.clone() let:id>
            <EncounterCard chart=chart_list.clone() id=id />
        </For>
    }
}

/// An encounter's kind, subject and date, for starting and correcting it.
#[derive(Clone, Copy)]
struct EncounterFields {
    kind: RwSignal<String>,
    subject: RwSignal<String>,
    date: RwSignal<String>,
}

impl EncounterFields {
    fn new() -> Self {
        Self {
            kind: RwSignal::new(String::new()),
            subject: RwSignal::new(String::new()),
            date: RwSignal::new(String::new()),
        }
    }

    fn fill(&self, e: &Encounter) {
        self.kind.set(e.kind.as_str().to_string());
        self.subject.set(e.subject.clone());
        self.date.set(e.date.0.clone());
    }

    fn date(&self) -> Result<IsoDate, String> {
        IsoDate::parse(&self.date.get_untracked())
            .ok_or_else(|| "Enter the date of the visit or call.".to_string())
    }
}

#[component]
fn StartForm(chart: Chart) -> impl IntoView {
    let f = EncounterFields::new();
    let reset = move |_| {
        f.fill(&Encounter {
            kind: EncounterKind::HomeVisit,
            date: today_iso(),
            ..Default::default()
        })
    };
    let build = move || {
        Ok(vec![Op::StartEncounter {
            encounter: Encounter {
                id: new_item_id(),
                kind: EncounterKind::parse(&f.kind.get_untracked()),
                date: f.date()?,
                subject: trimmed(f.subject),
                ..Default::default()
            },
        }])
    };
    view! {
        <div class="card">
            <h2>"Visits and calls"</h2>
            <FormToggle open_label="Start a visit or call" title="Start a visit or call" submit_label="Start note"
                saved_text="Note started: write it below." on_open=Callback::new(reset) changes=build save=move |ops| chart.save(ops)>
                <div class="field-row">
                    <SelectField label="Kind of contact" value=f.kind options=enum_options(EncounterKind::ALL, |k| k.as_str()) />
                    <TextField label="Subject" value=f.subject />
                    <TextField label="Date of contact" value=f.date kind="date" />
                </div>
            </FormToggle>
        </div>
    }
}

const ENCOUNTER_FIELDS: &[(&str, &str)] = &[("subject", "Subject"), ("date", "Date")];
/// What "History" lists: the corrections, the signing and each addendum.
const ENCOUNTER_HISTORY: &[(&str, &str)] = &[
    ("subject", "Subject"),
    ("date", "Date"),
    ("signed", "Note signed"),
    ("addenda", "Addendum"),
];

/// Corrects an encounter's subject or date (its kind stays; its note is edited in place).
#[component]
fn EditEncounter(chart: Chart, encounter: Memo<Encounter>, title: Signal<String>) -> impl IntoView {
    let f = EncounterFields::new();
    let build = move || {
        let e = encounter.get_untracked();
        let date = f.date()?;
        edit_of(Op::ChangeEncounter {
            id: e.id.clone(),
            subject: changed(f.subject, &e.subject),
            date: (date != e.date).then_some(date),
        })
    };
    view! {
        <EditToggle what=title saved_text="Visit updated."
            on_open=Callback::new(move |_| f.fill(&encounter.get_untracked())) changes=build save=move |ops| chart.save(ops)>
            <TextField label="Subject" value=f.subject />
            <TextField label="Date of contact" value=f.date kind="date" />
        </EditToggle>
    }
}

fn encounter_title(e: &Encounter) -> String {
    format!(
        "{} — {}{}",
        humanize(e.kind.as_str()),
        format::day(e.date.as_str()),
        if e.subject.is_empty() {
            String::new()
        } else {
            format!(": {}", e.subject)
        }
    )
}

/// How the card's controls name their encounter ("home visit on 7 Dec 2026", with its subject
/// when it has one), so the same control on several cards says which visit it belongs to.
fn encounter_what(e: &Encounter) -> String {
    let subject = e.subject.trim();
    format!(
        "{} on {}{}",
        humanize(e.kind.as_str()).to_lowercase(),
        format::day(e.date.as_str()),
        if subject.is_empty() {
            String::new()
        } else {
            format!(": {subject}")
        }
    )
}

/// "Ana López on 7 Dec 2026 14:02".
fn who_when(stamp: &Stamp) -> String {
    let who = match stamp.user_name.trim() {
        "" => "someone (name not recorded)",
        name => name,
    };
    format!(
        "{who} on {} {}",
        format::date(stamp.at),
        format::time_of_day(stamp.at)
    )
}

/// Multi-line text shown as written (line breaks kept).
const PRE_WRAP: &str = "white-space: pre-wrap";

#[component]
fn EncounterCard(chart: Chart, id: String) -> impl IntoView {
    let encounter = entry(chart.record, |r| &r.encounters, id.clone());
    let e = encounter.get_untracked();
    let title = Signal::derive(move || encounter.with(encounter_title));
    let what = Memo::new(move |_| encounter.with(encounter_what));
    let signed = Memo::new(move |_| encounter.with(|e| e.signed.clone()));
    // A memo: the derived signal would wake the note (and rebuild its editor) at every save.
    let may_edit = editable();
    let editable = Memo::new(move |_| may_edit.get());
    // Set when this person signs here, so the signed note, once shown, takes the focus.
    let just_signed = RwSignal::new(false);
    let heading_id = format!("enc-{id}");
    let record = chart.record;
    let next = move || {
        let today = today_iso();
        record.with(|r| {
            r.follow_ups
                .iter()
                .filter(|f| {
                    f.is_active() && f.status == FollowUpStatus::Scheduled && f.due >= today
                })
                .min_by(|a, b| a.due.cmp(&b.due))
                .map(|f| {
                    format!(
                        "Next follow-up: {} {}{}",
                        humanize(f.kind.as_str()),
                        format::day(f.due.as_str()),
                        if f.reason.is_empty() {
                            String::new()
                        } else {
                            format!(" — {}", f.reason)
                        }
                    )
                })
        })
    };
    let follow_kind = match e.kind {
        EncounterKind::Call | EncounterKind::Message => FollowUpKind::Call,
        EncounterKind::Video => FollowUpKind::Video,
        _ => FollowUpKind::Visit,
    };
    let edit_chart = chart.clone();
    let note_chart = chart.clone();
    let note_id = id.clone();
    // The note: written and signed here, then read-only with its addenda. Rebuilt only when it is
    // signed, the chart becomes (un)editable or the visit is renamed — not while typing.
    let note = move || {
        let what = what.get();
        let chart = note_chart.clone();
        let id = note_id.clone();
        match signed.get() {
            Some(stamp) => view! {
                <SignedNote chart=chart encounter=encounter what=what stamp=stamp just_signed=just_signed />
            }
            .into_any(),
            None if editable.get() => view! {
                <NarrativeEditor
                    label=format!("Note for {what}")
                    initial=encounter.with_untracked(|e| e.note.0.clone())
                    on_edit={
                        let chart = chart.clone();
                        let id = id.clone();
                        move |edit| {
                            let target = NarrativeTarget::EncounterNote { id: id.clone() };
                            // A failed save is shown at the top of the chart.
                            let fut = chart.apply(Op::EditNarrative { target, edit });
                            spawn_local(async move {
                                let _ = fut.await;
                            });
                        }
                    }
                    rows=8
                />
                <SignNote chart=chart encounter=encounter what=what just_signed=just_signed />
            }
            .into_any(),
            None => view! {
                <section class="encounter-note" aria-label=format!("Note for {what}")>
                    <h3>"Note"</h3>
                    {move || {
                        let text = encounter.with(|e| e.note.0.clone());
                        if text.trim().is_empty() {
                            view! { <p class="muted">"No note written."</p> }.into_any()
                        } else {
                            view! { <p style=PRE_WRAP>{text}</p> }.into_any()
                        }
                    }}
                    <p class="entry-meta">"Not signed yet."</p>
                </section>
            }
            .into_any(),
        }
    };
    let review_chart = chart.clone();
    let review_kind = follow_kind.clone();
    view! {
        <article class="card encounter" aria-labelledby=heading_id.clone()>
            <h2 id=heading_id.clone()>{title}</h2>
            <div class="entry-actions">
                // A signed visit is closed: it is not corrected, only added to (or removed).
                <Show when=move || signed.with(Option::is_none)>
                    <EditEncounter chart=edit_chart.clone() encounter=encounter title=title />
                </Show>
                <RemoveForm chart=chart.clone() list=ItemList::Encounters id=id.clone() name=title />
                <HistoryToggle chart=chart.clone() base=format!("encounters/{id}") fields=ENCOUNTER_HISTORY name=title />
            </div>
            <AlsoSet chart=chart.clone() base=format!("encounters/{id}") fields=ENCOUNTER_FIELDS />
            {note}
            <Show when=move || editable.get()>
                <SymptomReview chart=review_chart.clone() kind=review_kind.clone() subject=title.get_untracked() what=what />
            </Show>
            <section class="before-leaving" aria-label=move || format!("Before you leave: {}", what.get())>
                <h3>"Before you leave"</h3>
                {move || match next() {
                    Some(text) => view! { <p class="ok">{text}</p> }.into_any(),
                    None => view! { <p class="warn">"No follow-up scheduled yet — schedule one before you leave."</p> }.into_any(),
                }}
                <ScheduleForm chart=chart.clone() default_kind=follow_kind />
            </section>
        </article>
    }
}

/// "Sign note", asked once more before it is done: signing cannot be undone.
#[component]
fn SignNote(
    chart: Chart,
    encounter: Memo<Encounter>,
    /// The visit, as the control names end ("home visit on 7 Dec 2026").
    what: String,
    just_signed: RwSignal<bool>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let opener = NodeRef::<html::Button>::new();
    let keep_editing = NodeRef::<html::Button>::new();
    let action = Action::new_local(move |op: &Op| {
        let fut = chart.apply(op.clone());
        async move {
            // On success the note is shown signed and this control goes away.
            if let Err(e) = fut.await {
                just_signed.try_set(false);
                error.try_set(Some(e.to_string()));
            }
        }
    });
    let busy = action.pending();
    // Opening the question puts the focus on the way back ("Keep editing"): signing is final.
    Effect::new(move |_| {
        if let Some(button) = keep_editing.get() {
            let _ = button.focus();
        }
    });
    let close = move |_| {
        open.set(false);
        if let Some(button) = opener.get_untracked() {
            let _ = button.focus();
        }
    };
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let (id, empty) = encounter.with_untracked(|e| (e.id.clone(), e.note.0.trim().is_empty()));
        if empty {
            error.set(Some("Write the note before signing it.".into()));
            return;
        }
        error.set(None);
        just_signed.set(true);
        action.dispatch(Op::SignEncounterNote { id });
    };
    let name = format!("Sign note for {what}");
    let form_name = name.clone();
    let question_id = encounter.with_untracked(|e| format!("sign-question-{}", e.id));
    let (q1, q2) = (question_id.clone(), question_id.clone());
    view! {
        <div class="form-toggle">
            <Show when=move || !open.get()>
                <button
                    type="button"
                    class="button"
                    node_ref=opener
                    aria-label=name.clone()
                    aria-expanded="false"
                    on:click=move |_| {
                        error.set(None);
                        open.set(true);
                    }
                >
                    "Sign note"
                </button>
            </Show>
            <Show when=move || open.get()>
                <form class="form form-open" aria-label=form_name.clone() on:submit=submit>
                    <p id=question_id.clone()>
                        "Sign this note? It cannot be changed afterwards; later additions are addenda."
                    </p>
                    <div class="form-actions">
                        <button type="submit" class="button button-primary" aria-describedby=q1.clone()
                            disabled=move || busy.get()>
                            {move || if busy.get() { "Signing…" } else { "Sign" }}
                        </button>
                        <button type="button" class="button" aria-describedby=q2.clone()
                            node_ref=keep_editing on:click=close>
                            "Keep editing"
                        </button>
                    </div>
                </form>
            </Show>
            {move || error.get().map(|text| view! { <p class="error" role="alert">{text}</p> })}
        </div>
    }
}

/// A signed note: its text (read-only), who signed it and when, its addenda, and "Add addendum".
#[component]
fn SignedNote(
    chart: Chart,
    encounter: Memo<Encounter>,
    what: String,
    stamp: Stamp,
    just_signed: RwSignal<bool>,
) -> impl IntoView {
    let signed_line = NodeRef::<html::P>::new();
    Effect::new(move |_| {
        if let Some(p) = signed_line.get() {
            if just_signed.get_untracked() {
                just_signed.set(false);
                let _ = p.focus();
            }
        }
    });
    let text = move || encounter.with(|e| e.note.0.clone());
    let addenda = move || {
        let mut list = encounter.with(|e| e.addenda.clone());
        list.sort_by(|a, b| (a.recorded.at, &a.id).cmp(&(b.recorded.at, &b.id)));
        list
    };
    let has_addenda = move || encounter.with(|e| !e.addenda.is_empty());
    let list_name = format!("Addenda to note for {what}");
    let id = encounter.with_untracked(|e| e.id.clone());
    let region_name = format!("Note for {what}");
    view! {
        <section class="encounter-note signed-note" aria-label=region_name>
            <h3>"Note"</h3>
            <p style=PRE_WRAP>{text}</p>
            <p class="entry-meta" tabindex="-1" node_ref=signed_line>
                {format!("Signed by {}", who_when(&stamp))}
            </p>
            <Show when=has_addenda>
                <h4>"Addenda"</h4>
                <ol class="addenda" aria-label=list_name.clone()>
                    <For each=addenda key=|a| a.id.clone() let:a>
                        <li>
                            <p style=PRE_WRAP>{a.text.clone()}</p>
                            <p class="entry-meta">{format!("Added by {}", who_when(&a.recorded))}</p>
                        </li>
                    </For>
                </ol>
            </Show>
            <AddAddendum chart=chart encounter_id=id what=what />
        </section>
    }
}

/// "Add addendum" to a signed note (offered only where the chart may be changed).
#[component]
fn AddAddendum(chart: Chart, encounter_id: String, what: String) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let build = move || {
        let words = trimmed(text);
        if words.is_empty() {
            return Err("Write the addendum first.".to_string());
        }
        Ok(vec![Op::AddEncounterAddendum {
            encounter_id: encounter_id.clone(),
            addendum: EncounterAddendum {
                id: new_item_id(),
                text: words,
                ..Default::default()
            },
        }])
    };
    view! {
        <FormToggle
            open_label="Add addendum"
            open_name=format!("Add addendum to note for {what}")
            title=format!("Addendum to note for {what}")
            submit_label="Save addendum"
            saved_text="Addendum saved."
            quiet=true
            on_open=Callback::new(move |_| text.set(String::new()))
            changes=build
            save=move |ops| chart.save(ops)
        >
            <TextArea label="Addendum" value=text rows=4 />
        </FormToggle>
    }
}

/// Symptom review: recorded on today's due follow-up when there is one, otherwise on a follow-up
/// recorded as this contact (scheduled and completed today), so the review lives with the contact.
#[component]
fn SymptomReview(
    chart: Chart,
    kind: FollowUpKind,
    subject: String,
    /// The visit, for the form's and its button's accessible names.
    what: Memo<String>,
) -> impl IntoView {
    let checks: Vec<(&'static str, RwSignal<bool>)> = SYMPTOMS
        .iter()
        .map(|s| (*s, RwSignal::new(false)))
        .collect();
    let other = RwSignal::new(String::new());
    let msg = RwSignal::new(None::<String>);
    let checks_for_submit = checks.clone();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let mut found: Vec<String> = checks_for_submit
            .iter()
            .filter(|(_, on)| on.get_untracked())
            .map(|(s, _)| s.to_string())
            .collect();
        let extra = other.get_untracked().trim().to_string();
        if !extra.is_empty() {
            found.push(extra);
        }
        let review = if found.is_empty() {
            "No symptoms reported".to_string()
        } else {
            format!("Reported: {}", found.join(", "))
        };
        let today = today_iso();
        let due_now = chart.record.with_untracked(|r| {
            r.follow_ups
                .iter()
                .filter(|f| {
                    f.is_active() && f.status == FollowUpStatus::Scheduled && f.due <= today
                })
                .min_by(|a, b| a.due.cmp(&b.due))
                .map(|f| f.id.clone())
        });
        let id = match due_now {
            Some(id) => id,
            None => {
                let id = new_item_id();
                chart.run(
                    Op::ScheduleFollowUp {
                        follow_up: FollowUp {
                            id: id.clone(),
                            kind: kind.clone(),
                            due: today.clone(),
                            reason: subject.clone(),
                            ..Default::default()
                        },
                    },
                    || {},
                );
                id
            }
        };
        let checks = checks_for_submit.clone();
        chart.run(
            Op::CompleteFollowUp {
                id,
                completed_on: today,
                outcome: format!("Contact made: {subject}"),
                symptom_review: review.clone(),
            },
            move || {
                for (_, on) in &checks {
                    on.set(false);
                }
                other.set(String::new());
                msg.set(Some(format!("Symptom review saved: {review}.")));
            },
        );
    };
    view! {
        <form class="form symptom-review" on:submit=submit aria-label=move || format!("Symptom review for {}", what.get())>
            <fieldset>
                <legend>"Symptom review"</legend>
                <div class="checks">
                    {checks.into_iter().map(|(label, on)| view! { <CheckField label=label value=on /> }).collect_view()}
                </div>
                <TextField label="Other symptoms" value=other />
            </fieldset>
            <button type="submit" class="button" aria-label=move || format!("Save symptom review for {}", what.get())>"Save symptom review"</button>
            <FormMessage msg=msg />
        </form>
    }
}
