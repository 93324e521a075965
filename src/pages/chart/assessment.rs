//! Comprehensive assessment: narrative sections (physical, emotional, social), functional status,
//! support system, social determinants, and the standard instruments rendered from core's static
//! tables (`rules::instruments`), scored live with `rules::score`, saved with
//! `Op::RecordInstrument`, with each instrument's latest total and, from two results on, a trend
//! chart with its severity bands and the results as a table (`components::trend`).

use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use tend_core::{
    ids::new_item_id,
    record::{
        FunctionalStatus, InstrumentResponse, ListItem, NarrativeSection, SdohDomain, SocialNeed,
    },
    rules::{self, instruments::Selection, Answer, Instrument},
    trend, ItemList as List, NarrativeTarget, Op, PatientRecord,
};

use super::entries::{removed_lines, Entries};
use super::{overview::FormMessage, today_iso, Chart};
use crate::components::fields::{enum_options, humanize, SelectField, TextField};
use crate::components::form::{trimmed, FormToggle};
use crate::components::narrative::NarrativeEditor;
use crate::components::trend::TrendChart;
use crate::format;

#[component]
pub fn AssessmentSection(chart: Chart) -> impl IntoView {
    let sections = [
        (NarrativeSection::Physical, "Physical health"),
        (
            NarrativeSection::Emotional,
            "Emotional and behavioral health",
        ),
        (NarrativeSection::Social, "Social situation"),
    ];
    let narratives = sections
        .into_iter()
        .map(|(section, label)| {
            let initial = chart.record.with_untracked(|r| match section {
                NarrativeSection::Physical => r.assessments.physical.0.clone(),
                NarrativeSection::Emotional => r.assessments.emotional.0.clone(),
                _ => r.assessments.social.0.clone(),
            });
            let chart = chart.clone();
            // A failed save is shown at the top of the chart.
            let on_edit = move |edit| {
                let target = NarrativeTarget::Section {
                    section: section.clone(),
                };
                let fut = chart.apply(Op::EditNarrative { target, edit });
                spawn_local(async move {
                    let _ = fut.await;
                });
            };
            view! { <NarrativeEditor label=label.to_string() initial=initial on_edit=on_edit /> }
        })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="instruments-title">
            <h2 id="instruments-title">"Standard instruments"</h2>
            <Instruments chart=chart.clone() />
        </section>
        <section class="card" aria-labelledby="narrative-title">
            <h2 id="narrative-title">"Comprehensive assessment"</h2>
            <p class="muted">"Notes save as you type."</p>
            {narratives}
        </section>
        <div class="grid-2">
            <FunctionalForm chart=chart.clone() />
            <SupportSummary chart=chart.clone() />
            <SocialNeeds chart=chart.clone() />
        </div>
    }
}

/// "PHQ-9, 29 Nov 2026: 5 of 27 (Mild depression)" — one recorded instrument, as listed (and as
/// its "Remove" and "History" buttons are named).
fn response_line(r: &InstrumentResponse) -> String {
    let day = format::day(r.date.as_str());
    let Some(instrument) = Instrument::from_id(&r.instrument) else {
        let total = r.total.map(|t| t.to_string()).unwrap_or_default();
        return format!("{}, {day}: {total}", r.instrument);
    };
    let max = instrument.max_total();
    let score = match tend_core::assess::rescore(r) {
        Some(s) if s.band.is_empty() => format!("{} of {max}", s.total),
        Some(s) => format!("{} of {max} ({})", s.total, s.band),
        None => r.total.map(|t| format!("{t} of {max}")).unwrap_or_default(),
    };
    format!("{}, {day}: {score}", short_name(instrument))
}

/// `lines` with `extra(i, line)` in place of each line that is not unique.
fn disambiguate(lines: &[String], extra: impl Fn(usize, &str) -> String) -> Vec<String> {
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            if lines.iter().filter(|l| *l == line).count() > 1 {
                extra(i, line)
            } else {
                line.clone()
            }
        })
        .collect()
}

/// One list's active entries as (id, line), like `entries::active_lines`, but with every line
/// distinct: each entry's "Remove" and "History" buttons are named after its line, so two entries
/// that read the same (two PHQ-9s of 5 on one day) also say when each was recorded, and failing
/// that, which entry it is.
fn distinct_lines<T: ListItem + 'static>(
    record: RwSignal<PatientRecord>,
    pick: fn(&PatientRecord) -> &[T],
    line: fn(&T) -> String,
) -> Signal<Vec<(String, String)>> {
    Signal::derive(move || {
        record.with(|r| {
            let active: Vec<&T> = pick(r).iter().filter(|x| x.is_active()).collect();
            let lines: Vec<String> = active.iter().map(|x| line(x)).collect();
            let timed = disambiguate(&lines, |i, line| match active.get(i) {
                Some(x) => format!(
                    "{line}, recorded {} at {}",
                    format::date(x.recorded().at),
                    format::time_of_day(x.recorded().at)
                ),
                None => line.to_string(),
            });
            let numbered = disambiguate(&timed, |i, line| {
                let nth = timed.iter().take(i + 1).filter(|l| *l == line).count();
                format!("{line} (entry {nth})")
            });
            active
                .iter()
                .zip(numbered)
                .map(|(x, line)| (x.id().to_string(), line))
                .collect()
        })
    })
}

const RESPONSE_FIELDS: &[(&str, &str)] = &[("date", "Date"), ("total", "Total")];

#[component]
fn Instruments(chart: Chart) -> impl IntoView {
    let chosen = RwSignal::new(Instrument::Phq9.id().to_string());
    let options = Instrument::ALL
        .iter()
        .map(|i| (i.id().to_string(), i.name().to_string()))
        .collect::<Vec<_>>();
    let chart2 = chart.clone();
    let record = chart.record;
    view! {
        <History chart=chart.clone() />
        <Entries chart=chart.clone() list=List::InstrumentResponses label="Recorded instruments" empty="" what="instruments"
            items=distinct_lines(record, |r| &r.assessments.responses, response_line)
            removed=removed_lines(record, |r| &r.assessments.responses, response_line) fields=RESPONSE_FIELDS />
        <SelectField label="Instrument to administer" value=chosen options=options />
        {move || {
            let instrument = Instrument::from_id(&chosen.get()).unwrap_or(Instrument::Phq9);
            view! { <InstrumentForm chart=chart2.clone() instrument=instrument /> }
        }}
    }
}

/// Each recorded instrument's latest result ("Past scores"), then, for every instrument with two or
/// more results, its trend chart with the severity bands and the results as a table.
#[component]
fn History(chart: Chart) -> impl IntoView {
    let record = chart.record;
    let rows = Memo::new(move |_| {
        record.with(|r| {
            Instrument::ALL
                .iter()
                .map(|inst| (*inst, trend::trend_points(r, *inst)))
                .filter(|(_, points)| !points.is_empty())
                .collect::<Vec<_>>()
        })
    });
    move || {
        let rows = rows.get();
        if rows.is_empty() {
            return view! { <p class="muted">"No instruments recorded yet."</p> }.into_any();
        }
        let latest = rows
            .iter()
            .filter_map(|(inst, points)| {
                let last = points.last()?;
                let band = if last.band.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", last.band)
                };
                let text = format!(
                    "Latest {} of {}{band} on {}",
                    last.total,
                    inst.max_total(),
                    format::day(last.date.as_str())
                );
                Some(view! {
                    <li class="history-row">
                        <span class="history-name">{short_name(*inst)}</span>
                        <span class="history-latest">{text}</span>
                    </li>
                })
            })
            .collect_view();
        let charts = rows
            .into_iter()
            .filter(|(_, points)| points.len() >= 2)
            .map(|(inst, points)| {
                view! { <TrendChart instrument=inst name=short_name(inst) points=points /> }
            })
            .collect_view();
        view! {
            <ul class="history" aria-label="Past scores">{latest}</ul>
            {charts}
        }
        .into_any()
    }
}

/// "PHQ-9" from "Patient Health Questionnaire-9 (PHQ-9)".
fn short_name(inst: Instrument) -> String {
    let name = inst.name();
    match (name.rfind('('), name.rfind(')')) {
        (Some(a), Some(b)) if b > a => name[a + 1..b].to_string(),
        _ => name.to_string(),
    }
}

#[component]
fn InstrumentForm(chart: Chart, instrument: Instrument) -> impl IntoView {
    let items = instrument.items();
    let answers: RwSignal<Vec<Option<Answer>>> = RwSignal::new(vec![None; items.len()]);
    let msg = RwSignal::new(None::<String>);
    let answered = move || answers.with(|a| a.iter().filter(|x| x.is_some()).count());
    let live = move || {
        answers.with(|a| {
            let complete: Option<Vec<Answer>> = a.iter().cloned().collect();
            match complete {
                Some(list) => match rules::score(instrument, &list) {
                    Ok(result) => format!("Score {}", trend::result_summary(&result)),
                    Err(e) => format!("Cannot score: {e}"),
                },
                None => format!(
                    "{} of {} answered",
                    a.iter().filter(|x| x.is_some()).count(),
                    a.len()
                ),
            }
        })
    };
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let list: Option<Vec<Answer>> = answers.get_untracked().into_iter().collect();
        let Some(list) = list else {
            msg.set(Some(format!(
                "Answer every question first ({} of {} answered).",
                answers.with_untracked(|a| a.iter().filter(|x| x.is_some()).count()),
                items.len()
            )));
            return;
        };
        let built = tend_core::assess::instrument_response(
            instrument,
            &list,
            new_item_id(),
            today_iso(),
            chart.author_name(),
        );
        let (response, result) = match built {
            Ok(r) => r,
            Err(e) => {
                msg.set(Some(format!("These answers cannot be scored: {e}")));
                return;
            }
        };
        let saved = format!(
            "Saved {}: {}.",
            short_name(instrument),
            trend::result_summary(&result)
        );
        msg.set(None);
        let n = items.len();
        chart.run(Op::RecordInstrument { response }, move || {
            answers.set(vec![None; n]);
            msg.set(Some(saved));
        });
    };
    let form_id = format!("form-{}", instrument.id());
    view! {
        <form class="instrument" on:submit=submit aria-labelledby=format!("{form_id}-title")>
            <h3 id=format!("{form_id}-title")>{instrument.name()}</h3>
            <p class="instructions">{instrument.instructions()}</p>
            {items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let name = format!("{}-{}", form_id, item.id);
                    let multiple = matches!(item.selection, Selection::Multiple { .. });
                    let exclusive = match item.selection {
                        Selection::Multiple { exclusive } => exclusive,
                        Selection::Single => None,
                    };
                    view! {
                        <fieldset class="question">
                            <legend>
                                {item.domain.map(|d| view! { <span class="domain">{d}": "</span> })}
                                {format!("{}. {}", i + 1, item.text)}
                                {multiple.then(|| view! { <span class="hint">" (choose all that apply)"</span> })}
                            </legend>
                            <div class="options">
                                {item
                                    .options
                                    .iter()
                                    .enumerate()
                                    .map(|(o, opt)| {
                                        let o = o as u32;
                                        let checked = move || {
                                            answers.with(|a| match a.get(i) {
                                                Some(Some(Answer::Choice(c))) => *c == o,
                                                Some(Some(Answer::Choices(cs))) => cs.contains(&o),
                                                _ => false,
                                            })
                                        };
                                        let on_change = move |ev| {
                                            let on = event_target_checked(&ev);
                                            // A new answer starts a new result: the last one's
                                            // "Saved …" (or an error) no longer applies.
                                            if msg.with_untracked(Option::is_some) {
                                                msg.set(None);
                                            }
                                            answers.update(|a| {
                                                let Some(slot) = a.get_mut(i) else { return };
                                                if !multiple {
                                                    *slot = Some(Answer::Choice(o));
                                                    return;
                                                }
                                                let mut list = match slot.take() {
                                                    Some(Answer::Choices(cs)) => cs,
                                                    _ => Vec::new(),
                                                };
                                                if on {
                                                    if exclusive == Some(o) {
                                                        list.clear();
                                                    } else if let Some(ex) = exclusive {
                                                        list.retain(|c| *c != ex);
                                                    }
                                                    list.push(o);
                                                    list.sort_unstable();
                                                    list.dedup();
                                                } else {
                                                    list.retain(|c| *c != o);
                                                }
                                                *slot = (!list.is_empty()).then_some(Answer::Choices(list));
                                            });
                                        };
                                        view! {
                                            <label class="option">
                                                <input
                                                    type=if multiple { "checkbox" } else { "radio" }
                                                    name=name.clone()
                                                    prop:checked=checked
                                                    on:change=on_change
                                                />
                                                <span>{opt.label}</span>
                                            </label>
                                        }
                                    })
                                    .collect_view()}
                            </div>
                        </fieldset>
                    }
                })
                .collect_view()}
            <div class="score-bar">
                <p class="live-score" role="status" aria-live="polite">{live}</p>
                <button type="submit" class="button button-primary">
                    {format!("Save {}", short_name(instrument))}
                </button>
            </div>
            <FormMessage msg=msg />
            <span class="sr-only">{move || format!("{} answered", answered())}</span>
        </form>
    }
}

#[component]
fn FunctionalForm(chart: Chart) -> impl IntoView {
    let f = chart.record.with_untracked(|r| r.functional.clone());
    let mobility = RwSignal::new(f.mobility.clone());
    let device = RwSignal::new(f.assistive_device.clone());
    let adl = RwSignal::new(f.adl_help.clone());
    let iadl = RwSignal::new(f.iadl_help.clone());
    let falls = RwSignal::new(f.falls_past_year.map(|n| n.to_string()).unwrap_or_default());
    let note = RwSignal::new(f.note.clone());
    let msg = RwSignal::new(None::<String>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let falls_raw = falls.get_untracked();
        let falls_past_year = if falls_raw.trim().is_empty() {
            None
        } else {
            match falls_raw.trim().parse::<u64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    msg.set(Some(
                        "Falls in the past year must be a whole number.".into(),
                    ));
                    return;
                }
            }
        };
        chart.run(
            Op::SetFunctionalStatus {
                functional: FunctionalStatus {
                    mobility: mobility.get_untracked().trim().to_string(),
                    assistive_device: device.get_untracked().trim().to_string(),
                    adl_help: adl.get_untracked().trim().to_string(),
                    iadl_help: iadl.get_untracked().trim().to_string(),
                    falls_past_year,
                    note: note.get_untracked().trim().to_string(),
                },
            },
            move || msg.set(Some("Functional status saved.".into())),
        );
    };
    view! {
        <form class="card form" on:submit=submit aria-labelledby="functional-title">
            <h2 id="functional-title">"Functional status"</h2>
            <TextField label="Mobility" value=mobility />
            <TextField label="Assistive device" value=device />
            <TextField label="Help needed with daily activities (ADLs)" value=adl />
            <TextField label="Help needed with household tasks (IADLs)" value=iadl />
            <TextField label="Falls in the past year" value=falls kind="number" />
            <TextField label="Functional notes" value=note />
            <button type="submit" class="button">"Save functional status"</button>
            <FormMessage msg=msg />
        </form>
    }
}

#[component]
fn SupportSummary(chart: Chart) -> impl IntoView {
    let record = chart.record;
    let text = move || {
        record.with(|r| {
            let living = match r.support.lives_alone {
                Some(true) => "Lives alone.",
                Some(false) => "Lives with others.",
                None => "Living situation not recorded.",
            };
            let carers: Vec<String> = r
                .support
                .caregivers
                .iter()
                .filter(|c| c.is_active())
                .map(|c| {
                    if c.relationship.is_empty() {
                        c.name.clone()
                    } else {
                        format!("{} ({})", c.name, c.relationship)
                    }
                })
                .collect();
            let carers = if carers.is_empty() {
                "No informal caregiver recorded.".to_string()
            } else {
                format!("Caregivers: {}.", carers.join(", "))
            };
            format!("{living} {carers}")
        })
    };
    let href = format!(
        "/patients/{}?section=contacts",
        chart.record.with_untracked(|r| r.id.clone())
    );
    view! {
        <section class="card" aria-labelledby="support-title">
            <h2 id="support-title">"Support system"</h2>
            <p>{text}</p>
            <p><a href=href>"Edit caregivers and living situation"</a></p>
        </section>
    }
}

fn social_need_line(n: &SocialNeed) -> String {
    let mut s = format!(
        "{} — {}",
        humanize(n.domain.as_str()),
        humanize(n.status.as_str())
    );
    if !n.detail.is_empty() {
        s.push_str(&format!(": {}", n.detail));
    }
    if let Some(d) = &n.identified_on {
        s.push_str(&format!(" (since {})", format::day(d.as_str())));
    }
    s
}

const SOCIAL_NEED_FIELDS: &[(&str, &str)] = &[
    ("domain", "Need"),
    ("detail", "Details"),
    ("status", "Status"),
];

#[component]
fn SocialNeeds(chart: Chart) -> impl IntoView {
    let record = chart.record;
    let domain = RwSignal::new(String::new());
    let detail = RwSignal::new(String::new());
    let reset = move |_| {
        domain.set(SdohDomain::FoodInsecurity.as_str().to_string());
        detail.set(String::new());
    };
    let build = move || {
        Ok(vec![Op::AddSocialNeed {
            need: SocialNeed {
                id: new_item_id(),
                domain: SdohDomain::parse(&domain.get_untracked()),
                detail: trimmed(detail),
                identified_on: Some(today_iso()),
                ..Default::default()
            },
        }])
    };
    view! {
        <section class="card" aria-labelledby="sdoh-title">
            <h2 id="sdoh-title">"Social determinants of health"</h2>
            <Entries chart=chart.clone() list=List::SocialNeeds label="Social needs" empty="No social needs recorded." what="social needs"
                items=distinct_lines(record, |r| &r.social_needs, social_need_line)
                removed=removed_lines(record, |r| &r.social_needs, social_need_line) fields=SOCIAL_NEED_FIELDS />
            <FormToggle open_label="Add social need" title="Add a social need" submit_label="Save social need"
                saved_text="Social need added." on_open=Callback::new(reset) changes=build save=move |ops| chart.save(ops)>
                <SelectField label="Need" value=domain options=enum_options(SdohDomain::ALL, |d| d.as_str()) />
                <TextField label="Details" value=detail />
            </FormToggle>
        </section>
    }
}
