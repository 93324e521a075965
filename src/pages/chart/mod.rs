//! Patient chart. At this stage: the header from the patient's own document, loaded from storage.

use leptos::{prelude::*, task::spawn_local};
use leptos_router::{components::A, hooks::use_params_map};
use tend_core::{PatientId, PatientRecord};

use crate::pages::format;
use crate::session::Session;

#[derive(Clone)]
enum Chart {
    Loading,
    Ready(PatientRecord),
    Missing(String),
}

#[component]
pub fn PatientPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let params = use_params_map();
    let chart = RwSignal::new(Chart::Loading);

    Effect::new(move |_| {
        let raw = params.with(|p| p.get("id").unwrap_or_default());
        let session = session.clone();
        chart.set(Chart::Loading);
        spawn_local(async move {
            let Some(id) = PatientId::parse(&raw) else {
                chart.set(Chart::Missing(
                    "This link does not point to a patient.".into(),
                ));
                return;
            };
            let result = session.open_patient(&id).await;
            chart.set(match result {
                Ok(open) => match open.borrow().doc.record() {
                    Ok(record) => Chart::Ready(record),
                    Err(e) => {
                        Chart::Missing(format!("This patient's record could not be read: {e}"))
                    }
                },
                Err(e) => Chart::Missing(e.to_string()),
            });
        });
    });

    view! {
        <section class="page">
            <p><A href="/">"← Caseload"</A></p>
            {move || match chart.get() {
                Chart::Loading => view! { <p class="muted">"Opening…"</p> }.into_any(),
                Chart::Missing(reason) => view! {
                    <h1>"Patient not available"</h1>
                    <p role="alert">{reason}</p>
                }.into_any(),
                Chart::Ready(record) => view! {
                    <header class="chart-header">
                        <h1>{record.name.display()}</h1>
                        <p class="muted">"On this device since " {format::date(record.created_at)}</p>
                    </header>
                }.into_any(),
            }}
        </section>
    }
}
