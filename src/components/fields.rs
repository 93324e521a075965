//! Labelled form fields: every input has a visible label, and every target is at least 44 px
//! (style/main.css `.field`).

use leptos::prelude::*;

/// A text-like input (`kind`: "text", "date", "number", "tel", ...) bound to `value`.
#[component]
pub fn TextField(
    label: &'static str,
    value: RwSignal<String>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] autofocus: bool,
) -> impl IntoView {
    view! {
        <label class="field">
            <span>{label}</span>
            {hint.map(|h| view! { <span class="hint">{h}</span> })}
            <input
                type=kind
                autofocus=autofocus
                autocomplete="off"
                prop:value=value
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        </label>
    }
}

/// A select bound to `value`; `options` are (value, label) pairs.
#[component]
pub fn SelectField(
    label: &'static str,
    value: RwSignal<String>,
    options: Vec<(String, String)>,
) -> impl IntoView {
    view! {
        <label class="field">
            <span>{label}</span>
            <select on:change=move |ev| value.set(event_target_value(&ev)) prop:value=value>
                {options
                    .into_iter()
                    .map(|(v, l)| {
                        let selected = value.get_untracked() == v;
                        view! { <option value=v selected=selected>{l}</option> }
                    })
                    .collect_view()}
            </select>
        </label>
    }
}

/// A checkbox with its label to the right, sized as a touch target.
#[component]
pub fn CheckField(label: &'static str, value: RwSignal<bool>) -> impl IntoView {
    view! {
        <label class="check">
            <input type="checkbox" prop:checked=value on:change=move |ev| value.set(event_target_checked(&ev)) />
            <span>{label}</span>
        </label>
    }
}

/// Human label for a machine id ("care_manager" → "Care manager").
pub fn humanize(id: &str) -> String {
    let s = id.replace('_', " ");
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

/// (value, label) pairs for a core string enum's known values.
pub fn enum_options<'a, T: 'a>(all: &'a [T], id: impl Fn(&T) -> &str) -> Vec<(String, String)> {
    all.iter()
        .map(|v| (id(v).to_string(), humanize(id(v))))
        .collect()
}

/// A person's role as screens say it ("Physician, NP or PA" for the billing practitioner).
pub fn role_label(r: &tend_core::record::PersonRole) -> String {
    use tend_core::record::PersonRole;
    match r {
        PersonRole::Practitioner => "Physician, NP or PA".into(),
        other => humanize(other.as_str()),
    }
}

/// Every known role as (value, label) options.
pub fn role_options() -> Vec<(String, String)> {
    tend_core::record::PersonRole::ALL
        .iter()
        .map(|r| (r.as_str().to_string(), role_label(r)))
        .collect()
}

/// A multi-line text field bound to `value` (a statement, a note).
#[component]
pub fn TextArea(
    label: &'static str,
    value: RwSignal<String>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(default = 4)] rows: u32,
) -> impl IntoView {
    view! {
        <label class="field">
            <span>{label}</span>
            {hint.map(|h| view! { <span class="hint">{h}</span> })}
            <textarea rows=rows prop:value=value on:input=move |ev| value.set(event_target_value(&ev))></textarea>
        </label>
    }
}
