//! One instrument's results over time as a chart people can read: the score axis with the
//! instrument's severity bands (labelled, shaded from least to most concern), the dates, each
//! result with its value printed beside it, a text alternative naming the range and the latest
//! result, and the same results as a table. What can be decided without pixels (which results,
//! where on the time axis, which labels fit, the shading order, the words) is in
//! `tend_core::trend`, with tests; this only draws.
//!
//! The SVG's coordinate system is the container's width in CSS pixels (measured on mount and on
//! resize), so text stays the same size on a 390 px phone and a 1024 px tablet.

use leptos::{html, prelude::*};
use send_wrapper::SendWrapper;
use tend_core::{
    record::IsoDate,
    rules::Instrument,
    trend::{self, TrendPoint},
};

use crate::format;

/// Total height of the drawing.
const HEIGHT: f64 = 210.0;
/// Top of the plot: room above for the axis caption and a value label at the top of the scale.
const TOP: f64 = 30.0;
/// Bottom of the plot; the dates are below it.
const BOTTOM: f64 = 176.0;
const DATE_BASELINE: f64 = 198.0;
/// Left of the plot: room for the score labels.
const LEFT: f64 = 36.0;
const RIGHT_PAD: f64 = 8.0;
/// Points stay this far inside the plot so a date centred under the first or last one fits.
const X_INSET: f64 = 36.0;
/// Closest two points may sit, so their values stay legible.
const POINT_GAP: f64 = 34.0;
/// Before the container is measured (and if it cannot be).
const DEFAULT_WIDTH: f64 = 640.0;
const MIN_WIDTH: f64 = 280.0;
/// Rough width of one character of a 13 px label, to keep dates from overlapping.
const CHAR_WIDTH: f64 = 7.2;
/// Height of one line of a band's label; a band needs this much room for it.
const BAND_LINE: f64 = 15.0;
/// Rough width of one character of a band's 12 px semibold label.
const BAND_CHAR_WIDTH: f64 = 7.0;
/// A band label may hide this little of the line ([`trend::covered`]: 4 ≈ 8 px of line, never a
/// point); where it would hide more, the bands are listed under the chart instead.
const MAX_HIDDEN: u32 = 4;

/// "7 Dec" for a date on the axis; with the year ("7 Dec 2026") when asked.
fn axis_date(date: &IsoDate, with_year: bool) -> String {
    match date.date() {
        Some(d) if with_year => d.format("%-d %b %Y").to_string(),
        Some(d) => d.format("%-d %b").to_string(),
        None => date.as_str().to_string(),
    }
}

/// The trend of one instrument: heading "{name} trend", the chart (`role="img"`, named by its
/// text alternative) and "Show {name} results as a table". Meant for two or more results.
#[component]
pub fn TrendChart(
    instrument: Instrument,
    /// Short name of the instrument, e.g. "PHQ-9".
    name: String,
    /// Oldest first, as `tend_core::trend::trend_points` gives them.
    points: Vec<TrendPoint>,
) -> impl IntoView {
    let wrap = NodeRef::<html::Div>::new();
    let width = RwSignal::new(DEFAULT_WIDTH);
    let measure = move || {
        let Some(el) = wrap.get_untracked() else {
            return;
        };
        let w = f64::from(el.client_width());
        // 0 while not laid out (e.g. a hidden section): keep the last width.
        if w > 0.0 {
            let w = w.max(MIN_WIDTH).round();
            if width.get_untracked() != w {
                width.set(w);
            }
        }
    };
    Effect::new(move |_| {
        if wrap.get().is_some() {
            measure();
        }
    });
    let on_resize = web_sys::window()
        .map(|w| gloo::events::EventListener::new(&w, "resize", move |_| measure()));
    let on_resize = SendWrapper::new(on_resize);
    on_cleanup(move || drop(on_resize));

    let max_total = instrument.max_total();
    let label = trend::trend_label(&name, max_total, &points, |d| format::day(d.as_str()));
    let heading_id = format!("trend-{}-title", instrument.id());
    let rows = points
        .iter()
        .map(|p| {
            let band = if p.band.is_empty() {
                "No band".to_string()
            } else {
                p.band.clone()
            };
            view! {
                <tr>
                    <th scope="row">{format::day(p.date.as_str())}</th>
                    <td>{format!("{} of {max_total}", p.total)}</td>
                    <td>{band}</td>
                </tr>
            }
        })
        .collect_view();
    let drawing = move || {
        let w = width.get();
        draw(instrument, &points, w, label.clone())
    };
    view! {
        <div class="trend">
            <h3 id=heading_id>{format!("{name} trend")}</h3>
            <div class="trend-chart" node_ref=wrap>
                {drawing}
            </div>
            <details class="trend-details">
                <summary>{format!("Show {name} results as a table")}</summary>
                <div class="table-scroll">
                    <table class="report trend-table">
                        <caption>{format!("{name} results")}</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Date"</th>
                                <th scope="col">"Score"</th>
                                <th scope="col">"Severity"</th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            </details>
        </div>
    }
}

/// The SVG at width `w` (CSS pixels), and the list of bands when one of them had no room for its
/// label.
fn draw(instrument: Instrument, points: &[TrendPoint], w: f64, label: String) -> impl IntoView {
    let max_total = instrument.max_total();
    let plot_right = (w - RIGHT_PAD).max(LEFT + 2.0 * X_INSET + 1.0);
    let plot_width = plot_right - LEFT;
    // Half a point below 0 and above the maximum, so each whole score sits inside its band.
    let lo = -0.5;
    let hi = f64::from(max_total) + 0.5;
    let y = move |v: f64| BOTTOM - (v.clamp(lo, hi) - lo) / (hi - lo) * (BOTTOM - TOP);

    // Points along the time axis (placed first: the band labels keep clear of them).
    let x0 = LEFT + X_INSET;
    let span = (plot_width - 2.0 * X_INSET).max(1.0);
    let dates: Vec<IsoDate> = points.iter().map(|p| p.date.clone()).collect();
    let xs: Vec<f64> = trend::time_fractions(&dates, POINT_GAP / span)
        .into_iter()
        .map(|f| x0 + f * span)
        .collect();
    let placed: Vec<(f64, f64)> = xs
        .iter()
        .zip(points)
        .map(|(x, p)| (*x, y(f64::from(p.total))))
        .collect();

    // Severity bands from the instrument's table, least concern lightest, each labelled where its
    // label hides no result; when a band has no room for its label, or every place would hide a
    // result, all bands are also listed under the chart with their ranges.
    let bands = instrument.bands();
    let levels = trend::concern_levels(bands.len(), trend::higher_is_worse(instrument));
    let room = plot_width - 12.0;
    let mut unlabelled = false;
    let band_views = bands
        .iter()
        .zip(levels)
        .enumerate()
        .map(|(i, (band, level))| {
            let top = y(f64::from(band.max.min(max_total)) + 0.5);
            let bottom = y(f64::from(band.min) - 0.5);
            let height = (bottom - top).max(0.0);
            let text_width = |t: &str| t.chars().count() as f64 * BAND_CHAR_WIDTH;
            let lines: Vec<String> = if height >= BAND_LINE && text_width(band.label) <= room {
                vec![band.label.to_string()]
            } else {
                let (first, second) = trend::two_lines(band.label);
                let fits = !second.is_empty()
                    && height >= 2.0 * BAND_LINE
                    && text_width(&first).max(text_width(&second)) <= room;
                if fits {
                    vec![first, second]
                } else {
                    Vec::new()
                }
            };
            let width = lines.iter().map(|l| text_width(l)).fold(0.0, f64::max) + 4.0;
            let box_height = BAND_LINE * lines.len() as f64;
            let lower = (bottom - box_height - 1.0).max(top + 1.0);
            let lefts = [
                LEFT + 4.0,
                plot_right - 4.0 - width,
                LEFT + (plot_width - width) / 2.0,
            ];
            let candidates: Vec<trend::Area> = [top + 1.0, lower]
                .iter()
                .flat_map(|t| {
                    lefts.iter().map(move |l| trend::Area {
                        left: *l,
                        top: *t,
                        width,
                        height: box_height,
                    })
                })
                .collect();
            let spot = trend::least_covered(&candidates, &placed)
                .and_then(|i| candidates.get(i).copied())
                .filter(|a| !lines.is_empty() && trend::covered(*a, &placed) <= MAX_HIDDEN);
            unlabelled |= spot.is_none();
            let label_view = spot.map(|spot| {
                let x = spot.left + 2.0;
                let tspans = lines
                    .into_iter()
                    .enumerate()
                    .map(|(n, line)| {
                        let dy = if n == 0 { 0.0 } else { BAND_LINE };
                        view! { <tspan x=x dy=dy>{line}</tspan> }
                    })
                    .collect_view();
                view! {
                    <text class="trend-band-label" x=x y=spot.top + 12.0>{tspans}</text>
                }
            });
            let boundary = (i + 1 < bands.len()).then(|| {
                view! {
                    <line class="trend-boundary" x1=LEFT x2=plot_right y1=top y2=top />
                }
            });
            view! {
                <rect class=format!("trend-band trend-band-{level}") x=LEFT y=top width=plot_width height=height />
                {boundary}
                {label_view}
            }
        })
        .collect_view();
    let legend = unlabelled.then(|| {
        let levels = trend::concern_levels(bands.len(), trend::higher_is_worse(instrument));
        let items = bands
            .iter()
            .zip(levels)
            .map(|(b, level)| {
                let range = if b.min == b.max {
                    b.min.to_string()
                } else {
                    format!("{}–{}", b.min, b.max)
                };
                view! {
                    <li>
                        <span class=format!("trend-swatch trend-swatch-{level}") aria-hidden="true"></span>
                        {format!("{range}: {}", b.label)}
                    </li>
                }
            })
            .collect_view();
        view! {
            <p class="trend-legend-title">"Bands"</p>
            <ul class="trend-legend">{items}</ul>
        }
    });

    // Score axis: 0, where each band starts, the maximum — as many as fit.
    let ticks = trend::score_ticks(instrument);
    let tick_centres: Vec<f64> = ticks.iter().map(|t| BOTTOM - y(f64::from(*t))).collect();
    let keep = trend::fitting_labels(&tick_centres, &vec![12.0; ticks.len()], 2.0);
    let tick_views = ticks
        .iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(t, _)| {
            let ty = y(f64::from(*t));
            view! {
                <line class="trend-axis" x1=LEFT - 4.0 x2=LEFT y1=ty y2=ty />
                <text class="trend-tick" x=LEFT - 7.0 y=ty + 4.5 text-anchor="end">{t.to_string()}</text>
            }
        })
        .collect_view();

    let line = placed
        .iter()
        .map(|(x, py)| format!("{x:.1},{py:.1}"))
        .collect::<Vec<_>>()
        .join(" ");
    let point_views = placed
        .iter()
        .zip(points)
        .map(|((x, py), p)| {
            view! {
                <circle class="trend-point" cx=*x cy=*py r="5.5" />
                <text class="trend-value" x=*x y=py - 10.0 text-anchor="middle">{p.total.to_string()}</text>
            }
        })
        .collect_view();

    // Dates under the points: "1 Oct", "3 Nov", "7 Dec 2026" — the year on the last, or on every
    // date when the results span years; as many as fit, the latest always.
    let years: Vec<i32> = dates
        .iter()
        .filter_map(|d| d.date().map(|d| chrono::Datelike::year(&d)))
        .collect();
    let one_year = years.windows(2).all(|w| w[0] == w[1]);
    let last = dates.len().saturating_sub(1);
    let date_texts: Vec<String> = dates
        .iter()
        .enumerate()
        .map(|(i, d)| axis_date(d, !one_year || i == last))
        .collect();
    let widths: Vec<f64> = date_texts
        .iter()
        .map(|t| t.chars().count() as f64 * CHAR_WIDTH)
        .collect();
    let keep = trend::fitting_labels(&xs, &widths, 8.0);
    let date_views = xs
        .iter()
        .zip(date_texts)
        .zip(keep)
        .map(|((x, text), shown)| {
            view! {
                <line class="trend-axis" x1=*x x2=*x y1=BOTTOM y2=BOTTOM + 5.0 />
                {shown.then(|| view! {
                    <text class="trend-date" x=*x y=DATE_BASELINE text-anchor="middle">{text}</text>
                })}
            }
        })
        .collect_view();

    view! {
        <svg
            class="trend-svg"
            role="img"
            aria-label=label
            viewBox=format!("0 0 {w} {HEIGHT}")
            width="100%"
            height=HEIGHT
            preserveAspectRatio="xMinYMin meet"
        >
            {band_views}
            <line class="trend-axis" x1=LEFT x2=LEFT y1=TOP y2=BOTTOM />
            <line class="trend-axis" x1=LEFT x2=plot_right y1=BOTTOM y2=BOTTOM />
            <text class="trend-caption" x="2" y="14">"Score"</text>
            {tick_views}
            {date_views}
            <polyline class="trend-line" points=line />
            {point_views}
        </svg>
        {legend}
    }
}
