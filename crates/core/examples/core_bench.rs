//! Patient-document benchmark: a realistic patient with a year of activity (~200 changes);
//! median save / load / apply times and document size, printed as ONE JSON object on stdout.
//!
//! `cargo run --release -p tend-core --example core_bench` (N runs: `CORE_BENCH_RUNS`, default 31).
//! Baseline: serde_json encode/decode of the same hydrated record — what a plain JSON store of the
//! record would cost, without history, merging or attribution.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use common::*;
use serde_json::json;
use tend_core::ops::Op;
use tend_core::{PatientDoc, PatientRecord};

fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(|a, b| a.total_cmp(b));
    times[times.len() / 2]
}

fn metric(value: f64, unit: &str, baseline: Option<(f64, &str)>) -> serde_json::Value {
    let round = |v: f64| (v * 1000.0).round() / 1000.0;
    let mut m = json!({ "value": round(value), "unit": unit });
    if let Some((b, what)) = baseline {
        m["baseline"] = json!({ "value": round(b), "unit": unit, "what": what });
    }
    m
}

fn main() {
    let runs: usize = std::env::var("CORE_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(31)
        .max(1);

    let mut doc = new_patient();
    let created = doc.save();
    let created_heads = doc.heads();
    let changes = year_of_activity(&mut doc) + 1;
    let bytes = doc.save();
    let chunk = doc.save_after(&created_heads);
    let record: PatientRecord = doc.record().expect("record");

    let save = median_ms(runs, || {
        std::hint::black_box(doc.save());
    });
    let load = median_ms(runs, || {
        std::hint::black_box(PatientDoc::load(&bytes).expect("load"));
    });
    // Time only the apply, not the setup load.
    let mut apply_times: Vec<f64> = (0..runs)
        .map(|_| {
            let mut fresh = PatientDoc::load(&created).expect("load");
            let t = Instant::now();
            fresh.apply_changes(&chunk).expect("apply");
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    apply_times.sort_by(|a, b| a.total_cmp(b));
    let apply_only = apply_times[apply_times.len() / 2];

    let mut k = 0u64;
    let op = median_ms(runs, || {
        k += 1;
        let op = Op::ChangeMedication {
            id: "m1".into(),
            name: None,
            indication: None,
            dose: Some(format!("{k} mg")),
            route: None,
            frequency: None,
            prescriber: None,
        };
        doc.apply(op, &author(1), T0 + 500 * DAY_MS + k as i64)
            .expect("op");
    });
    let hydrate = median_ms(runs, || {
        std::hint::black_box(doc.record().expect("record"));
    });

    let json_bytes = serde_json::to_vec(&record).expect("json");
    let json_encode = median_ms(runs, || {
        std::hint::black_box(serde_json::to_vec(&record).expect("json"));
    });
    let json_decode = median_ms(runs, || {
        std::hint::black_box(serde_json::from_slice::<PatientRecord>(&json_bytes).expect("json"));
    });

    let out = json!({
        "core_save_ms": metric(save, "ms", Some((json_encode, "serde_json encode of the same record"))),
        "core_load_ms": metric(load, "ms", Some((json_decode, "serde_json decode of the same record"))),
        "core_apply_200_changes_ms": metric(apply_only, "ms", None),
        "core_doc_bytes": metric(bytes.len() as f64, "bytes", Some((json_bytes.len() as f64, "serde_json of the same record (no history)"))),
        "core_op_ms": metric(op, "ms", None),
        "core_hydrate_ms": metric(hydrate, "ms", None),
        "core_changes": metric(changes as f64, "changes", None),
    });
    println!("{out}");
}
