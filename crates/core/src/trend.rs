//! An instrument's results over time as the chart's trend shows them, and the words for one
//! result. Pure, so the page only draws: which results, in which order, where they sit on the
//! time axis, which tick labels fit, how the severity bands are shaded, and what the text
//! alternative says. Band boundaries and labels come from the instrument tables
//! ([`Instrument::bands`]), never from the page.

use crate::assess::rescore;
use crate::record::{IsoDate, ListItem, PatientRecord};
use crate::rules::instruments::band_label;
use crate::rules::{Flag, Instrument, InstrumentResult};

/// One result on the trend.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrendPoint {
    pub date: IsoDate,
    pub total: u32,
    /// The severity band's label ("" when the instrument has no band for the total).
    pub band: String,
}

/// The active results of `instrument`, oldest first (same day: in the order recorded). The total
/// is rescored from the stored answers where they still fit the instrument, else the stored total;
/// a result with neither (or a negative stored total) is left out rather than drawn as 0.
pub fn trend_points(record: &PatientRecord, instrument: Instrument) -> Vec<TrendPoint> {
    let mut rows: Vec<(&IsoDate, i64, TrendPoint)> = record
        .assessments
        .responses
        .iter()
        .filter(|r| r.is_active() && r.instrument == instrument.id())
        .filter_map(|r| {
            let point = match rescore(r) {
                Some(scored) => TrendPoint {
                    date: r.date.clone(),
                    total: scored.total,
                    band: scored.band,
                },
                None => {
                    let total = r.total.and_then(|t| u32::try_from(t).ok())?;
                    TrendPoint {
                        date: r.date.clone(),
                        total,
                        band: band_label(instrument.bands(), total).to_string(),
                    }
                }
            };
            Some((&r.date, r.recorded.at, point))
        })
        .collect();
    rows.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    rows.into_iter().map(|(_, _, p)| p).collect()
}

/// Whether a higher total means more concern (PHQ-9: more depression). The function scales (Katz
/// ADL, Lawton IADL) count what the person can still do: there a higher total is better.
pub fn higher_is_worse(instrument: Instrument) -> bool {
    !matches!(instrument, Instrument::KatzAdl | Instrument::LawtonIadl)
}

/// Number of shading steps [`concern_levels`] uses (0 = least concern).
pub const CONCERN_STEPS: usize = 5;

/// A shading step for each of `bands` bands (listed lowest total first): spread over
/// `0..CONCERN_STEPS`, least concern 0, most concern `CONCERN_STEPS - 1`.
pub fn concern_levels(bands: usize, higher_is_worse: bool) -> Vec<usize> {
    let top = CONCERN_STEPS - 1;
    (0..bands)
        .map(|i| {
            let level = if bands <= 1 {
                0
            } else {
                // Rounded i * top / (bands - 1), in integers.
                (2 * i * top + (bands - 1)) / (2 * (bands - 1))
            };
            if higher_is_worse {
                level
            } else {
                top - level
            }
        })
        .collect()
}

/// Values to label on the score axis: 0, where each band starts, and the highest total; without
/// bands, 0, the middle and the highest. Ascending, without duplicates.
pub fn score_ticks(instrument: Instrument) -> Vec<u32> {
    let max = instrument.max_total();
    let mut ticks = vec![0, max];
    if instrument.bands().is_empty() {
        ticks.push(max / 2);
    } else {
        ticks.extend(
            instrument
                .bands()
                .iter()
                .map(|b| b.min)
                .filter(|m| *m <= max),
        );
    }
    ticks.sort_unstable();
    ticks.dedup();
    ticks
}

/// Where each result sits on the time axis, as a fraction 0..=1 of its width: in proportion to
/// the days between results, but never closer than `min_gap` to its neighbour (so every point and
/// its value stay legible), order kept. Evenly spaced when a date does not parse or all results
/// share one day; a single result sits in the middle.
pub fn time_fractions(dates: &[IsoDate], min_gap: f64) -> Vec<f64> {
    let n = dates.len();
    if n == 0 {
        return Vec::new();
    }
    if n == 1 {
        return vec![0.5];
    }
    let steps = (n - 1) as f64;
    let even = || (0..n).map(|i| i as f64 / steps).collect::<Vec<f64>>();
    let days: Option<Vec<f64>> = dates
        .iter()
        .map(|d| {
            d.date()
                .map(|d| f64::from(chrono::Datelike::num_days_from_ce(&d)))
        })
        .collect();
    let Some(days) = days else { return even() };
    let first = days.iter().copied().fold(f64::INFINITY, f64::min);
    let last = days.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = last - first;
    if !span.is_finite() || span <= 0.0 {
        return even();
    }
    let mut xs: Vec<f64> = days.iter().map(|d| (d - first) / span).collect();
    let gap = if min_gap.is_finite() {
        min_gap.clamp(0.0, 1.0 / steps)
    } else {
        0.0
    };
    // Forward: at least `gap` after the previous; backward: at least `gap` before the next and
    // never past 1. With gap <= 1 / (n - 1) both hold at once, and 0 <= x <= 1.
    for i in 1..n {
        let prev = xs[i - 1];
        if xs[i] < prev + gap {
            xs[i] = prev + gap;
        }
    }
    let mut next = 1.0 + gap;
    for x in xs.iter_mut().rev() {
        if *x > next - gap {
            *x = next - gap;
        }
        next = *x;
    }
    xs.into_iter().map(|x| x.clamp(0.0, 1.0)).collect()
}

/// Which of a row of labels to show so that none overlap: `centres` ascending, each label
/// `sizes[i]` wide, at least `space` apart. The first is kept, then each that fits after the last
/// kept; the last label always shows (it is the latest result, or the top of the scale), dropping
/// the kept labels it would overlap.
pub fn fitting_labels(centres: &[f64], sizes: &[f64], space: f64) -> Vec<bool> {
    let n = centres.len().min(sizes.len());
    let mut keep = vec![false; n];
    let size = |i: usize| sizes.get(i).copied().unwrap_or(0.0);
    let fits =
        |a: usize, b: usize| centres[b] - size(b) / 2.0 >= centres[a] + size(a) / 2.0 + space;
    let mut last_kept: Option<usize> = None;
    for (i, kept) in keep.iter_mut().enumerate() {
        if last_kept.is_none_or(|k| fits(k, i)) {
            *kept = true;
            last_kept = Some(i);
        }
    }
    if let Some(last) = n.checked_sub(1) {
        if !keep[last] {
            for i in (0..last).rev() {
                if keep[i] && !fits(i, last) {
                    keep[i] = false;
                }
            }
            keep[last] = true;
        }
    }
    keep
}

/// A label's box in drawing units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Area {
    pub left: f64,
    pub top: f64,
    pub width: f64,
    pub height: f64,
}

/// How much of the data a label at `area` would hide: each point (with its value printed above it)
/// it touches counts 10, each 2-unit step of the line through `points` (ascending x) running
/// through it counts 1. 0 when the label hides nothing.
pub fn covered(area: Area, points: &[(f64, f64)]) -> u32 {
    let (left, right) = (area.left, area.left + area.width);
    let (top, bottom) = (area.top, area.top + area.height);
    // A point's footprint: its circle, and its value centred above it.
    let hits_point = |(x, y): (f64, f64)| {
        x + 11.0 >= left && x - 11.0 <= right && y + 7.0 >= top && y - 25.0 <= bottom
    };
    let mut score = 10 * points.iter().filter(|p| hits_point(**p)).count() as u32;
    for pair in points.windows(2) {
        let [(x1, y1), (x2, y2)] = pair else { continue };
        let from = x1.max(left);
        let to = x2.min(right);
        let mut x = from;
        while x <= to {
            let t = if x2 > x1 { (x - x1) / (x2 - x1) } else { 0.0 };
            let y = y1 + t * (y2 - y1);
            if y >= top - 2.0 && y <= bottom + 2.0 {
                score += 1;
            }
            x += 2.0;
        }
    }
    score
}

/// Of the places a label could go (in order of preference), the first that hides no data, else
/// the one hiding least. `None` only when there is no candidate.
pub fn least_covered(candidates: &[Area], points: &[(f64, f64)]) -> Option<usize> {
    let scores: Vec<u32> = candidates.iter().map(|a| covered(*a, points)).collect();
    let best = scores.iter().copied().min()?;
    scores.iter().position(|s| *s == best)
}

/// A label in two lines, broken at the space nearest its middle ("Moderately severe" /
/// "depression"); a label without a space stays whole on the first line.
pub fn two_lines(label: &str) -> (String, String) {
    let middle = label.chars().count() / 2;
    let best = label
        .char_indices()
        .filter(|(_, c)| *c == ' ')
        .map(|(byte, _)| (label[..byte].chars().count().abs_diff(middle), byte))
        .min();
    match best {
        Some((_, byte)) => (
            label[..byte].trim_end().to_string(),
            label[byte..].trim_start().to_string(),
        ),
        None => (label.to_string(), String::new()),
    }
}

/// The chart's text alternative: "PHQ-9 trend: 4 results from 1 Oct 2026 to 7 Dec 2026, latest
/// 12 of 27 (Moderate depression), previous 9 on 3 Nov 2026". `day` formats a stored date.
pub fn trend_label(
    name: &str,
    max_total: u32,
    points: &[TrendPoint],
    day: impl Fn(&IsoDate) -> String,
) -> String {
    let value = |p: &TrendPoint| {
        if p.band.is_empty() {
            format!("{} of {max_total}", p.total)
        } else {
            format!("{} of {max_total} ({})", p.total, p.band)
        }
    };
    let (Some(first), Some(latest)) = (points.first(), points.last()) else {
        return format!("{name} trend: no results");
    };
    if points.len() == 1 {
        return format!(
            "{name} trend: 1 result on {}, {}",
            day(&latest.date),
            value(latest)
        );
    }
    let previous = points.get(points.len() - 2).unwrap_or(first);
    format!(
        "{name} trend: {} results from {} to {}, latest {}, previous {} on {}",
        points.len(),
        day(&first.date),
        day(&latest.date),
        value(latest),
        previous.total,
        day(&previous.date),
    )
}

/// What a flag asks the care manager to do, as said next to a score.
pub fn flag_note(flag: Flag) -> &'static str {
    match flag {
        Flag::SafetyRisk => "item 9 positive: safety assessment needed today",
        other => other.label(),
    }
}

/// One scored result in words: "9 of 27 (Mild depression) — item 9 positive: safety assessment
/// needed today", "3 of 27 (Minimal depression, negative screen)". A screen is never called
/// negative while a flag is raised, and is not named twice when the band already names it.
pub fn result_summary(result: &InstrumentResult) -> String {
    let mut parts: Vec<&str> = Vec::new();
    if !result.band.is_empty() {
        parts.push(&result.band);
    }
    let band_names_screen = result.band.to_lowercase().contains("screen");
    match result.positive {
        Some(true) if !band_names_screen => parts.push("positive screen"),
        Some(false) if !band_names_screen && result.flags.is_empty() => {
            parts.push("negative screen")
        }
        _ => {}
    }
    let mut s = format!("{} of {}", result.total, result.max_total);
    if !parts.is_empty() {
        s.push_str(&format!(" ({})", parts.join(", ")));
    }
    if !result.flags.is_empty() {
        let notes: Vec<&str> = result.flags.iter().map(|f| flag_note(*f)).collect();
        s.push_str(" — ");
        s.push_str(&notes.join("; "));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::instrument_response;
    use crate::record::{InstrumentResponse, Retirement, Stamp};
    use crate::rules::{score, Answer};

    fn choices(indices: &[u32]) -> Vec<Answer> {
        indices.iter().map(|i| Answer::Choice(*i)).collect()
    }

    fn phq9(date: &str, indices: [u32; 9], at: i64) -> InstrumentResponse {
        let (mut r, _) = instrument_response(
            Instrument::Phq9,
            &choices(&indices),
            format!("r-{date}-{at}"),
            IsoDate(date.into()),
            "Ana".into(),
        )
        .expect("valid answers");
        r.recorded = Stamp {
            at,
            ..Default::default()
        };
        r
    }

    fn dates(list: &[&str]) -> Vec<IsoDate> {
        list.iter().map(|d| IsoDate((*d).to_string())).collect()
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn points_are_active_results_of_one_instrument_oldest_first() {
        let mut record = PatientRecord::default();
        let later = phq9("2026-12-07", [3, 3, 3, 3, 0, 0, 0, 0, 0], 5);
        let first = phq9("2026-10-01", [1, 1, 1, 1, 0, 0, 0, 0, 0], 9);
        let same_day_second = phq9("2026-11-03", [2, 2, 2, 2, 1, 0, 0, 0, 0], 8);
        let same_day_first = phq9("2026-11-03", [1, 1, 0, 0, 0, 0, 0, 0, 0], 7);
        let mut removed = phq9("2026-11-20", [3; 9], 1);
        removed.retired = Some(Retirement::default());
        let (gad, _) = instrument_response(
            Instrument::Gad7,
            &choices(&[1; 7]),
            "g".into(),
            IsoDate("2026-11-01".into()),
            String::new(),
        )
        .expect("valid answers");
        // Answers that no longer fit: the stored total counts, banded by the table; without a
        // total (or with a negative one) the result is not drawn.
        let mut odd = phq9("2026-11-10", [0; 9], 3);
        odd.answers.clear();
        odd.total = Some(16);
        let mut no_total = odd.clone();
        no_total.total = None;
        let mut negative = odd.clone();
        negative.total = Some(-2);
        record.assessments.responses = vec![
            later,
            removed,
            gad,
            first,
            same_day_second,
            same_day_first,
            odd,
            no_total,
            negative,
        ];

        let points = trend_points(&record, Instrument::Phq9);
        let got: Vec<(&str, u32, &str)> = points
            .iter()
            .map(|p| (p.date.as_str(), p.total, p.band.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("2026-10-01", 4, "Minimal depression"),
                ("2026-11-03", 2, "Minimal depression"),
                ("2026-11-03", 9, "Mild depression"),
                ("2026-11-10", 16, "Moderately severe depression"),
                ("2026-12-07", 12, "Moderate depression"),
            ]
        );
        assert_eq!(trend_points(&record, Instrument::Gad7).len(), 1);
        assert!(trend_points(&record, Instrument::KatzAdl).is_empty());
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn phq9_ticks_are_the_band_starts_from_the_table() {
        assert_eq!(score_ticks(Instrument::Phq9), vec![0, 5, 10, 15, 20, 27]);
        assert_eq!(score_ticks(Instrument::Gad7), vec![0, 5, 10, 15, 21]);
        for inst in Instrument::ALL {
            let ticks = score_ticks(inst);
            assert_eq!(ticks.first(), Some(&0), "{inst:?}");
            assert_eq!(ticks.last(), Some(&inst.max_total()), "{inst:?}");
            assert!(ticks.windows(2).all(|w| w[0] < w[1]), "{inst:?}");
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn shading_runs_from_least_to_most_concern() {
        assert_eq!(concern_levels(5, true), vec![0, 1, 2, 3, 4]);
        assert_eq!(concern_levels(4, true), vec![0, 1, 3, 4]);
        assert_eq!(concern_levels(3, true), vec![0, 2, 4]);
        assert_eq!(concern_levels(2, true), vec![0, 4]);
        assert_eq!(concern_levels(1, true), vec![0]);
        assert!(concern_levels(0, true).is_empty());
        // Katz: 0-2 is severe impairment, 6 full function.
        assert_eq!(concern_levels(3, false), vec![4, 2, 0]);
        assert!(!higher_is_worse(Instrument::KatzAdl));
        assert!(!higher_is_worse(Instrument::LawtonIadl));
        assert!(higher_is_worse(Instrument::Phq9));
        assert!(higher_is_worse(Instrument::Lace));
        // The direction agrees with the tables: the Katz band at 0 is the impairment.
        let katz_low = band_label(Instrument::KatzAdl.bands(), 0);
        assert!(katz_low.contains("impairment"), "{katz_low}");
        let phq_high = band_label(Instrument::Phq9.bands(), 27);
        assert!(phq_high.contains("Severe"), "{phq_high}");
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn time_axis_is_proportional_to_days() {
        let xs = time_fractions(&dates(&["2026-10-01", "2026-10-11", "2026-11-10"]), 0.0);
        assert_eq!(xs.len(), 3);
        assert!((xs[0] - 0.0).abs() < 1e-9);
        assert!((xs[1] - 0.25).abs() < 1e-9, "{xs:?}");
        assert!((xs[2] - 1.0).abs() < 1e-9);
        assert_eq!(time_fractions(&dates(&["2026-10-01"]), 0.1), vec![0.5]);
        assert!(time_fractions(&[], 0.1).is_empty());
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn crowded_results_are_pushed_apart_in_order() {
        // Three results within a week, one a year later: the three would overlap.
        let d = dates(&["2025-01-01", "2025-01-03", "2025-01-05", "2026-01-01"]);
        let xs = time_fractions(&d, 0.1);
        assert!(xs.windows(2).all(|w| w[1] - w[0] >= 0.1 - 1e-9), "{xs:?}");
        assert!(xs.iter().all(|x| (0.0..=1.0).contains(x)), "{xs:?}");
        assert!((xs[3] - 1.0).abs() < 1e-9);
        // A gap too large for the count is shrunk to even spacing.
        let xs = time_fractions(&d, 0.9);
        let even = [0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0];
        assert!(
            xs.iter().zip(even).all(|(a, b)| (a - b).abs() < 1e-9),
            "{xs:?}"
        );
        // Same day, or an unreadable date: evenly spaced.
        assert_eq!(
            time_fractions(&dates(&["2026-10-01", "2026-10-01"]), 0.0),
            vec![0.0, 1.0]
        );
        assert_eq!(
            time_fractions(&dates(&["2026-10-01", "soon", "2026-12-01"]), f64::NAN),
            vec![0.0, 0.5, 1.0]
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn overlapping_labels_are_dropped_but_the_last_stays() {
        // Labels 40 wide at 0, 30, 60, 100, 110: 30 overlaps 0; 110 overlaps 100 and is kept.
        let keep = fitting_labels(&[0.0, 30.0, 60.0, 100.0, 110.0], &[40.0; 5], 4.0);
        assert_eq!(keep, vec![true, false, true, false, true]);
        assert_eq!(
            fitting_labels(&[0.0, 100.0], &[40.0; 2], 4.0),
            vec![true, true]
        );
        // The last does not fit after 60: 60 makes way, 0 stays.
        let keep = fitting_labels(&[0.0, 30.0, 60.0, 75.0], &[40.0; 4], 4.0);
        assert_eq!(keep, vec![true, false, false, true]);
        // Two on one spot: only the last.
        assert_eq!(
            fitting_labels(&[50.0, 50.0], &[40.0; 2], 4.0),
            vec![false, true]
        );
        assert!(fitting_labels(&[], &[], 4.0).is_empty());
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn a_label_goes_where_it_hides_no_data() {
        // A line rising from (50, 150) to (250, 50), points at both ends.
        let points = [(50.0, 150.0), (250.0, 50.0)];
        let area = |left, top| Area {
            left,
            top,
            width: 60.0,
            height: 16.0,
        };
        // Across the line's middle (x 150 is at y 100).
        assert!(covered(area(120.0, 92.0), &points) > 0);
        // On the first point (and its value).
        assert!(covered(area(30.0, 140.0), &points) >= 10);
        // Beside the line, above it on the left.
        assert_eq!(covered(area(60.0, 40.0), &points), 0);
        // Past the end of the line.
        assert_eq!(covered(area(300.0, 92.0), &points), 0);
        let candidates = [area(120.0, 92.0), area(30.0, 140.0), area(60.0, 40.0)];
        assert_eq!(least_covered(&candidates, &points), Some(2));
        assert_eq!(least_covered(&candidates[..2], &points), Some(0));
        assert_eq!(least_covered(&[], &points), None);
        // No data: the first candidate.
        assert_eq!(least_covered(&candidates, &[]), Some(0));
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn long_labels_break_near_the_middle() {
        assert_eq!(
            two_lines("Moderately severe depression"),
            ("Moderately severe".to_string(), "depression".to_string())
        );
        assert_eq!(
            two_lines("Needs help with some instrumental activities"),
            (
                "Needs help with some".to_string(),
                "instrumental activities".to_string()
            )
        );
        assert_eq!(
            two_lines("Index 1–2"),
            ("Index".to_string(), "1–2".to_string())
        );
        assert_eq!(two_lines("Word"), ("Word".to_string(), String::new()));
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn text_alternative_names_range_latest_and_previous() {
        let p = |date: &str, total: u32, band: &str| TrendPoint {
            date: IsoDate(date.into()),
            total,
            band: band.into(),
        };
        let day = |d: &IsoDate| format!("<{}>", d.as_str());
        let points = [
            p("2026-10-01", 4, "Minimal depression"),
            p("2026-11-03", 9, "Mild depression"),
            p("2026-11-20", 9, "Mild depression"),
            p("2026-12-07", 12, "Moderate depression"),
        ];
        assert_eq!(
            trend_label("PHQ-9", 27, &points, day),
            "PHQ-9 trend: 4 results from <2026-10-01> to <2026-12-07>, latest 12 of 27 \
             (Moderate depression), previous 9 on <2026-11-20>"
        );
        assert_eq!(
            trend_label("PHQ-9", 27, &points[..2], day),
            "PHQ-9 trend: 2 results from <2026-10-01> to <2026-11-03>, latest 9 of 27 \
             (Mild depression), previous 4 on <2026-10-01>"
        );
        assert_eq!(
            trend_label("X", 5, &[p("2026-10-01", 3, "")], day),
            "X trend: 1 result on <2026-10-01>, 3 of 5"
        );
        assert_eq!(trend_label("X", 5, &[], day), "X trend: no results");
    }

    fn scored(instrument: Instrument, indices: &[u32]) -> InstrumentResult {
        score(instrument, &choices(indices)).expect("valid answers")
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn a_raised_flag_is_never_called_a_negative_screen() {
        // PHQ-9 of 9 with item 9 positive: below the cut-off of 10, but flagged.
        let r = scored(Instrument::Phq9, &[1, 1, 1, 1, 1, 1, 1, 1, 1]);
        assert_eq!((r.total, r.positive), (9, Some(false)));
        let s = result_summary(&r);
        assert_eq!(
            s,
            "9 of 27 (Mild depression) — item 9 positive: safety assessment needed today"
        );
        assert!(!s.contains("negative"), "{s}");

        let r = scored(Instrument::Phq9, &[2, 2, 2, 2, 1, 1, 1, 0, 1]);
        assert_eq!(
            result_summary(&r),
            "12 of 27 (Moderate depression, positive screen) — item 9 positive: safety \
             assessment needed today"
        );
        let r = scored(Instrument::Phq9, &[1, 1, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            result_summary(&r),
            "3 of 27 (Minimal depression, negative screen)"
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn a_band_that_names_the_screen_is_not_repeated() {
        let r = scored(Instrument::Phq2, &[1, 1]);
        assert_eq!(result_summary(&r), "2 of 6 (Negative screen)");
        let r = scored(Instrument::Phq2, &[3, 1]);
        assert_eq!(
            result_summary(&r),
            "4 of 6 (Positive screen: administer PHQ-9)"
        );
        // Without a screen cut-off, only the band.
        let r = scored(Instrument::KatzAdl, &[0, 0, 0, 0, 0, 0]);
        assert!(
            !result_summary(&r).contains("screen"),
            "{}",
            result_summary(&r)
        );
    }
}
