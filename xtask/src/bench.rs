//! `cargo xtask bench`: measures and writes target/bench/results.json, one entry per measure:
//! `{"<measure>": {"value", "unit", "baseline", "ratio"}}`, each baseline measured in the same run.

use serde_json::{Map, Value};

use crate::proc::Result;
use crate::run::native_cargo;
use crate::{paths, setup};

pub fn bench(_args: &[String]) -> Result<()> {
    let _tools = setup::setup()?;
    let mut results = Map::new();
    merge(&mut results, core_bench()?);
    write(&results)
}

/// Core document benchmark (release build, native).
fn core_bench() -> Result<Value> {
    println!("\n== bench: core documents ==");
    let out = native_cargo()
        .args([
            "run",
            "--release",
            "-q",
            "-p",
            "tend-core",
            "--example",
            "core_bench",
        ])
        .current_dir(paths::root())
        .output()
        .map_err(|e| format!("could not run core_bench: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "core_bench failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("core_bench printed invalid JSON: {e}"))
}

fn merge(into: &mut Map<String, Value>, from: Value) {
    if let Value::Object(map) = from {
        for (k, v) in map {
            into.insert(k, with_ratio(v));
        }
    }
}

/// Adds `ratio = value / baseline` where a baseline was measured.
fn with_ratio(mut entry: Value) -> Value {
    let value = entry.get("value").and_then(Value::as_f64);
    let baseline = entry.get("baseline").and_then(Value::as_f64);
    if let (Some(v), Some(b), Some(obj)) = (value, baseline, entry.as_object_mut()) {
        if b > 0.0 {
            obj.insert(
                "ratio".into(),
                Value::from((v / b * 1000.0).round() / 1000.0),
            );
        }
    }
    entry
}

fn write(results: &Map<String, Value>) -> Result<()> {
    let dir = paths::target().join("bench");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let file = dir.join("results.json");
    let text = serde_json::to_string_pretty(results).map_err(|e| e.to_string())?;
    std::fs::write(&file, text + "\n")
        .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    println!("\nbench results written to {}", file.display());
    for (k, v) in results {
        println!("  {k}: {v}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_is_value_over_baseline() {
        let e = with_ratio(serde_json::json!({"value": 30.0, "unit": "ms", "baseline": 20.0}));
        assert_eq!(e["ratio"], Value::from(1.5));
    }

    #[test]
    fn no_baseline_no_ratio() {
        let e = with_ratio(serde_json::json!({"value": 30.0, "unit": "ms"}));
        assert!(e.get("ratio").is_none());
    }
}
