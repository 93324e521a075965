//! The monthly billing report (`/billing?month=2026-11`): every patient enrolled in CCM, PCM or
//! BHI that month with minutes, codes reached and what blocks billing; totals; CSV download and
//! print. Built from the caseload summaries alone (their `billing` facts), never a document.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_query_map, NavigateOptions};
use tend_core::{
    billing::{self, program_months, program_name, report_csv, totals, ReportRow},
    rules::programs::YearMonth,
};

use crate::clock::today;
use crate::session::Session;

fn or_dash(codes: String) -> String {
    if codes.is_empty() {
        "—".into()
    } else {
        codes
    }
}

#[component]
pub fn BillingPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let caseload = session.caseload;
    let query = use_query_map();
    let navigate = leptos_router::hooks::use_navigate();
    let this_month = YearMonth::of(today());
    let month = Memo::new(move |_| {
        query
            .with(|q| q.get("month"))
            .and_then(|m| billing::parse_month(&m))
            .unwrap_or(this_month)
    });
    let rows = Memo::new(move |_| {
        let month = month.get();
        caseload.with(|all| {
            let mut rows: Vec<ReportRow> = all
                .iter()
                .flat_map(|s| {
                    program_months(&s.billing, month)
                        .into_iter()
                        .map(|m| ReportRow {
                            patient_id: s.id.clone(),
                            patient: s.display_name.clone(),
                            month: m,
                        })
                })
                .collect();
            rows.sort_by(|a, b| {
                a.patient
                    .to_lowercase()
                    .cmp(&b.patient.to_lowercase())
                    .then_with(|| a.patient_id.cmp(&b.patient_id))
            });
            rows
        })
    });
    let sums = Memo::new(move |_| rows.with(|r| totals(r)));
    let csv_href = move || {
        let csv = rows.with(|r| report_csv(r));
        format!(
            "data:text/csv;charset=utf-8,{}",
            String::from(js_sys::encode_uri_component(&csv))
        )
    };
    let file_name = move || format!("tend-billing-{}.csv", billing::month_id(month.get()));
    let on_month = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        if let Some(m) = billing::parse_month(&value) {
            navigate(
                &format!("/billing?month={}", billing::month_id(m)),
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    };
    let print = move |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };

    view! {
        <section class="page" aria-labelledby="billing-title">
            <h1 id="billing-title">{move || format!("Billing report: {}", billing::month_label(month.get()))}</h1>
            <div class="toolbar">
                <label class="field">
                    <span>"Month"</span>
                    <input type="month" prop:value=move || billing::month_id(month.get()) on:change=on_month />
                </label>
                <a class="button" href=csv_href download=file_name>"Download CSV"</a>
                <button type="button" class="button" on:click=print>"Print"</button>
            </div>
            <section class="card" aria-labelledby="totals-title">
                <h2 id="totals-title">"Totals"</h2>
                {move || {
                    let t = sums.get();
                    let units = if t.units.is_empty() {
                        "None".to_string()
                    } else {
                        t.units.iter().map(|(c, n)| format!("{c} ×{n}")).collect::<Vec<_>>().join(", ")
                    };
                    view! {
                        <dl class="facts">
                            <dt>"Patients enrolled"</dt><dd>{t.patients}</dd>
                            <dt>"Minutes counted"</dt><dd>{t.minutes_counted}</dd>
                            <dt>"Ready to bill"</dt><dd>{t.billable_rows}</dd>
                            <dt>"Not billable"</dt><dd>{t.blocked_rows}</dd>
                            <dt>"Units ready to bill"</dt><dd>{units}</dd>
                        </dl>
                    }
                }}
            </section>
            <section class="card" aria-labelledby="report-title">
                <h2 id="report-title">"Patients"</h2>
                <Show
                    when=move || !rows.with(Vec::is_empty)
                    fallback=|| view! { <p class="empty">"No patient was enrolled in CCM, PCM or BHI this month."</p> }
                >
                    <div class="table-scroll">
                        <table class="report">
                            <caption class="sr-only">"Billing by patient and program"</caption>
                            <thead>
                                <tr>
                                    <th scope="col">"Patient"</th>
                                    <th scope="col">"Program"</th>
                                    <th scope="col">"Minutes"</th>
                                    <th scope="col">"Codes"</th>
                                    <th scope="col">"Billable"</th>
                                    <th scope="col">"What blocks billing"</th>
                                </tr>
                            </thead>
                            <tbody>
                                <For each=move || rows.get() key=|r| format!("{r:?}") let:r>
                                    <tr class=if r.month.billable() { "" } else { "row-warn" }>
                                        <th scope="row">
                                            <A href=format!("/patients/{}?section=programs", r.patient_id)>{r.patient.clone()}</A>
                                        </th>
                                        <td>{format!("{}{}", program_name(&r.month.program), if r.month.complex { " (complex)" } else { "" })}</td>
                                        <td>{if r.month.minutes_logged == r.month.minutes_counted {
                                            r.month.minutes_counted.to_string()
                                        } else {
                                            format!("{} of {}", r.month.minutes_counted, r.month.minutes_logged)
                                        }}</td>
                                        <td>{or_dash(r.month.codes_text())}</td>
                                        <td>{if r.month.billable() { "Yes" } else { "No" }}</td>
                                        <td>{r.month.blockers.iter().map(|b| b.text()).collect::<Vec<_>>().join("; ")}</td>
                                    </tr>
                                </For>
                            </tbody>
                        </table>
                    </div>
                </Show>
            </section>
        </section>
    }
}
