//! The chart's one form pattern: content first, forms on demand.
//!
//! [`FormToggle`] is a button ("Add medication", "Edit", "Stop") that opens a form in place.
//! Opening moves focus into the form's first field; submitting first runs the caller's typed
//! validation (`build`: the ops to send, or a message naming what to fix — nothing is sent), then
//! saves through a Leptos local action, one save at a time. While it runs the form says so; a
//! refusal says "Not allowed: …" or "Not saved: …" (from [`EditError`]); success closes the form,
//! gives focus back to the button that opened it and says what was saved. Cancel closes it
//! without saving. Every later screen builds its forms on this instead of its own submit handler.

use std::{future::Future, rc::Rc};

use leptos::{ev::SubmitEvent, html, prelude::*};
use send_wrapper::SendWrapper;
use tend_core::{record::IsoDate, Op};
use wasm_bindgen::JsCast;

use crate::session::EditError;

/// What one submit asks for: the ops to save (several ops are one change, all or none), or a
/// message for the user when the fields do not make a valid change yet.
pub type Built = Result<Vec<Op>, String>;

/// Provided by a screen whose content the person may read but not change (a chart outside
/// their caseload): forms then do not offer to open.
#[derive(Clone, Copy)]
pub struct ReadOnly(pub Signal<bool>);

/// Whether forms here may open (no [`ReadOnly`] context: they may).
pub fn editable() -> Signal<bool> {
    match use_context::<ReadOnly>() {
        Some(ReadOnly(read_only)) => Signal::derive(move || !read_only.get()),
        None => Signal::derive(|| true),
    }
}

/// A form's shared state: open or closed, the last message, and the save in flight.
#[derive(Clone, Copy)]
struct FormState {
    open: RwSignal<bool>,
    /// `(text, is_error)` of the last outcome.
    message: RwSignal<Option<(String, bool)>>,
}

#[component]
pub fn FormToggle<O, B, S, Fut>(
    /// Visible text of the opening button, e.g. "Edit".
    #[prop(into)]
    open_label: String,
    /// Accessible name of the opening button when its text alone is ambiguous in a list
    /// ("Edit Metformin"); must contain the visible text.
    /// (Signals, so the names follow the entry when it is renamed.)
    #[prop(into, optional)]
    open_name: Option<Signal<String>>,
    /// Heading of the open form, e.g. "Edit Metformin".
    #[prop(into)]
    title: Signal<String>,
    /// Text of the submit button, e.g. "Save changes".
    #[prop(into)]
    submit_label: String,
    /// What a successful save says afterwards, e.g. "Medication updated."
    #[prop(into)]
    saved_text: String,
    /// Runs when the form opens: reset the fields to the record's current values here.
    #[prop(optional, into)]
    on_open: Option<Callback<()>>,
    /// Typed validation: the ops to save (a patient's `Op`s or the workspace's), or what to fix.
    changes: B,
    /// Saves the ops (the chart's `save`).
    save: S,
    /// Marks the opening button as the quiet kind (per-item actions) instead of a primary one.
    #[prop(optional)]
    quiet: bool,
    /// Opens the form at once (a link that asked for it, e.g. "Start referral").
    #[prop(optional)]
    start_open: bool,
    /// The fields.
    children: ChildrenFn,
) -> impl IntoView
where
    O: Clone + Send + Sync + 'static,
    B: Fn() -> Result<Vec<O>, String> + 'static,
    S: Fn(Vec<O>) -> Fut + 'static,
    Fut: Future<Output = Result<(), EditError>> + 'static,
{
    let state = FormState {
        open: RwSignal::new(false),
        message: RwSignal::new(None),
    };
    let opener = NodeRef::<html::Button>::new();
    let form_ref = NodeRef::<html::Form>::new();
    let saved_text = StoredValue::new(saved_text);
    let editable = editable();
    // The form's handlers live inside `Show` (which wants Send + Sync); the app is one thread.
    let changes = SendWrapper::new(Rc::new(changes));

    let action = Action::new_local(move |ops: &Vec<O>| {
        let fut = save(ops.clone());
        async move {
            let result = fut.await;
            match &result {
                // The save may have changed what shows this form (a revoked device's row loses
                // its "Revoke"): nothing here may touch what is gone.
                Ok(()) => {
                    state.open.try_set(false);
                    if let Some(text) = saved_text.try_get_value() {
                        state.message.try_set(Some((text, false)));
                    }
                    if let Some(button) = opener.try_get_untracked().flatten() {
                        let _ = button.focus();
                    }
                }
                Err(e) => {
                    state.message.try_set(Some((e.to_string(), true)));
                }
            }
            result.map_err(|e| e.to_string())
        }
    });
    let busy = action.pending();

    let open_form = move || {
        if let Some(cb) = on_open {
            cb.run(());
        }
        state.message.set(None);
        state.open.set(true);
    };
    // Focus the first field once the form is in the page.
    Effect::new(move |_| {
        if let Some(form) = form_ref.get() {
            focus_first_field(&form);
        }
    });
    if start_open {
        open_form();
    }
    let cancel = move |_| {
        state.open.set(false);
        state.message.set(None);
        if let Some(button) = opener.get_untracked() {
            let _ = button.focus();
        }
    };
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        match (changes)() {
            Err(problem) => state.message.set(Some((problem, true))),
            Ok(ops) if ops.is_empty() => {
                // Nothing changed: close as if saved, without writing a change.
                state.open.set(false);
                state
                    .message
                    .set(Some(("Nothing was changed.".into(), false)));
                if let Some(button) = opener.get_untracked() {
                    let _ = button.focus();
                }
            }
            Ok(ops) => {
                state.message.set(None);
                action.dispatch(ops);
            }
        }
    };

    let button_class = if quiet {
        "button button-quiet"
    } else {
        "button"
    };
    let submit_label = StoredValue::new(submit_label);
    let message = move || {
        state.message.get().map(|(text, is_error)| {
            if is_error {
                view! { <p class="error" role="alert">{text}</p> }.into_any()
            } else {
                view! { <p class="saved-note" role="status">{text}</p> }.into_any()
            }
        })
    };
    view! {
        <div class="form-toggle">
            <Show when=move || !state.open.get() && editable.get()>
                <button
                    type="button"
                    class=button_class
                    node_ref=opener
                    aria-label=move || open_name.map(|n| n.get())
                    aria-expanded="false"
                    on:click=move |_| open_form()
                >
                    {open_label.clone()}
                </button>
            </Show>
            <Show when=move || state.open.get()>
                <form class="form form-open" node_ref=form_ref on:submit=submit.clone() aria-label=move || title.get()>
                    <h3 class="form-title">{move || title.get()}</h3>
                    {children()}
                    <div class="form-actions">
                        <button type="submit" class="button button-primary" disabled=move || busy.get()>
                            {move || if busy.get() { "Saving…".to_string() } else { submit_label.get_value() }}
                        </button>
                        <button type="button" class="button" on:click=cancel>"Cancel"</button>
                    </div>
                </form>
            </Show>
            {message}
        </div>
    }
}

fn focus_first_field(form: &web_sys::HtmlFormElement) {
    let first = form
        .query_selector("input, select, textarea")
        .ok()
        .flatten()
        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(el) = first {
        let _ = el.focus();
    }
}

/// The text of a field, trimmed.
pub fn trimmed(value: RwSignal<String>) -> String {
    value.get_untracked().trim().to_string()
}

/// `Some(new)` when the trimmed field differs from `current` (a field the user changed), else
/// `None` — so an edit form sends only what changed and a concurrent edit of another field stays.
pub fn changed(value: RwSignal<String>, current: &str) -> Option<String> {
    let new = trimmed(value);
    (new != current.trim()).then_some(new)
}

/// The "Edit" of one entry: a quiet [`FormToggle`] whose button is named "Edit <what>" and whose
/// heading follows the entry when it is renamed; it saves with "Save changes".
#[component]
pub fn EditToggle<B, S, Fut>(
    /// What is edited, as the names end: "Metformin", "goal No falls".
    what: Signal<String>,
    /// What a successful save says, e.g. "Goal updated."
    #[prop(into)]
    saved_text: String,
    /// Fills the fields from the record.
    on_open: Callback<()>,
    changes: B,
    save: S,
    children: ChildrenFn,
) -> impl IntoView
where
    B: Fn() -> Built + 'static,
    S: Fn(Vec<Op>) -> Fut + 'static,
    Fut: Future<Output = Result<(), EditError>> + 'static,
{
    let name = Signal::derive(move || format!("Edit {}", what.get()));
    view! {
        <FormToggle open_label="Edit" open_name=name title=name submit_label="Save changes"
            saved_text=saved_text quiet=true on_open=on_open changes=changes save=save>
            {children()}
        </FormToggle>
    }
}

/// What an edit form saves: its `Change…` op, or nothing when no field differs from the record
/// (the form then closes saying so, and no change is written).
pub fn edit_of(op: Op) -> Built {
    Ok(if op.changes_nothing() {
        Vec::new()
    } else {
        vec![op]
    })
}

/// A date field that may be left empty: `Ok(None)` when empty, else the date or what to fix.
pub fn optional_date(value: RwSignal<String>, what: &str) -> Result<Option<IsoDate>, String> {
    let raw = trimmed(value);
    if raw.is_empty() {
        Ok(None)
    } else {
        IsoDate::parse(&raw)
            .map(Some)
            .ok_or_else(|| format!("Enter the {what} as a full date."))
    }
}

/// A date an edit form changes: `Some(new)` when the field holds a date other than `current`,
/// `None` when unchanged or left empty (dates are moved, not removed), or what to fix.
pub fn changed_date(
    value: RwSignal<String>,
    current: Option<&IsoDate>,
    what: &str,
) -> Result<Option<IsoDate>, String> {
    Ok(optional_date(value, what)?.filter(|new| Some(new) != current))
}

/// A change that needs no fields, only a confirmation (resolve, mark missed, cancel, keep this
/// value): a quiet [`FormToggle`] whose form explains what will happen (`children`) and sends `ops`.
#[component]
pub fn ConfirmToggle<S, Fut>(
    #[prop(into)] open_label: String,
    #[prop(into)] open_name: Signal<String>,
    #[prop(into)] title: Signal<String>,
    #[prop(into)] submit_label: String,
    #[prop(into)] saved_text: String,
    /// What confirming sends.
    ops: Vec<Op>,
    save: S,
    children: ChildrenFn,
) -> impl IntoView
where
    S: Fn(Vec<Op>) -> Fut + 'static,
    Fut: Future<Output = Result<(), EditError>> + 'static,
{
    view! {
        <FormToggle
            open_label=open_label
            open_name=open_name
            title=title
            submit_label=submit_label
            saved_text=saved_text
            quiet=true
            changes=move || Ok(ops.clone())
            save=save
        >
            {children()}
        </FormToggle>
    }
}
