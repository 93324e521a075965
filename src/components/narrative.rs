//! A narrative (Automerge text) editor: a labelled textarea whose changes are handed to its owner
//! as splices (`TextEdit`). Typing only updates local state; the splice from the last-sent text to
//! the current one is flushed after a short pause, on blur, when the page is hidden and when the
//! editor goes away (navigation), so typing never waits for storage and no text is lost.

use std::{cell::RefCell, rc::Rc};

use gloo::{events::EventListener, timers::callback::Timeout};
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use tend_core::record::TextEdit;

/// Pause after the last keystroke before the edit is sent.
const DEBOUNCE_MS: u32 = 600;

struct EditorState {
    /// The text the document holds (as far as this editor has sent).
    sent: String,
    /// What the textarea shows now.
    current: String,
    timer: Option<Timeout>,
}

#[component]
pub fn NarrativeEditor(
    label: String,
    /// The document's text when the editor opens.
    initial: String,
    /// Receives each splice from the last-sent text to the current one (e.g. to send it as
    /// `Op::EditNarrative`); also called while the editor unmounts.
    on_edit: impl Fn(TextEdit) + 'static,
    #[prop(default = 5)] rows: u32,
) -> impl IntoView {
    let state = SendWrapper::new(Rc::new(RefCell::new(EditorState {
        sent: initial.clone(),
        current: initial.clone(),
        timer: None,
    })));

    let flush = {
        let state = state.clone();
        SendWrapper::new(Rc::new(move || {
            let edit = {
                let mut s = state.borrow_mut();
                s.timer = None;
                let edit = TextEdit::between(&s.sent, &s.current);
                if edit.is_some() {
                    s.sent = s.current.clone();
                }
                edit
            };
            if let Some(edit) = edit {
                on_edit(edit);
            }
        }) as Rc<dyn Fn()>)
    };

    let on_input = {
        let state = state.clone();
        let flush = flush.clone();
        move |ev| {
            let flush = Rc::clone(&flush);
            let mut s = state.borrow_mut();
            s.current = event_target_value(&ev);
            // Replacing the timer cancels the previous one.
            s.timer = Some(Timeout::new(DEBOUNCE_MS, move || flush()));
        }
    };
    let on_blur = {
        let flush = flush.clone();
        move |_| flush()
    };
    // Leaving the page or switching apps (tablets suspend background tabs) also flushes.
    let listeners = SendWrapper::new(
        web_sys::window()
            .map(|w| {
                let on_hide = Rc::clone(&flush);
                let on_hidden = Rc::clone(&flush);
                let mut out = vec![EventListener::new(&w, "pagehide", move |_| on_hide())];
                if let Some(doc) = w.document() {
                    out.push(EventListener::new(&doc, "visibilitychange", move |_| {
                        on_hidden()
                    }));
                }
                out
            })
            .unwrap_or_default(),
    );
    on_cleanup({
        let flush = flush.clone();
        move || {
            drop(listeners);
            flush()
        }
    });

    view! {
        <label class="field field-wide">
            <span>{label}</span>
            <textarea rows=rows on:input=on_input on:blur=on_blur>{initial}</textarea>
        </label>
    }
}
