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

/// The file a person chose in a file field, read as text (`Err`: what to tell them).
pub struct ChosenFile {
    pub name: String,
    pub size: f64,
    file: web_sys::File,
}

impl ChosenFile {
    pub async fn text(&self) -> Result<String, String> {
        wasm_bindgen_futures::JsFuture::from(self.file.text())
            .await
            .ok()
            .and_then(|t| t.as_string())
            .ok_or_else(|| "the file could not be read as text".to_string())
    }
}

/// A labelled file chooser; `on_file` gets the chosen file (nothing when the choice was cleared).
#[component]
pub fn FileField(
    label: &'static str,
    hint: &'static str,
    /// File types offered first, as `<input accept>` takes them.
    accept: &'static str,
    on_file: impl Fn(ChosenFile) + 'static,
) -> impl IntoView {
    use wasm_bindgen::JsCast;
    let on_change = move |ev: leptos::ev::Event| {
        let file = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|input| input.files())
            .and_then(|files| files.get(0));
        if let Some(file) = file {
            on_file(ChosenFile {
                name: file.name(),
                size: file.size(),
                file,
            });
        }
    };
    view! {
        <label class="field">
            <span>{label}</span>
            <span class="hint">{hint}</span>
            <input type="file" accept=accept on:change=on_change />
        </label>
    }
}
