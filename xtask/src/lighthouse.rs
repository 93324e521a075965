//! `cargo xtask bench lighthouse`: Lighthouse 12 (npm `lighthouse` 12.8.2, Node API, Debian Chromium)
//! on the release build of the app, served by the relay exactly as in production.
//!
//! Two relays with identical headers run side by side on free ports: one serves the app, one a
//! minimal accessible reference page (`REFERENCE_HTML`) written into a temporary static dir — the
//! baseline, measured in the same run, in the same browser, in the same mode (navigation or
//! snapshot). `end2end/lighthouse.mjs` audits both and prints one JSON object; `entries` turns it
//! into results entries (`value` = score 0–100, `baseline` = the reference page's score, target
//! ≥ 95 for accessibility and best-practices) and `failing_lines` lists what costs points.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use crate::proc::{self, Result};
use crate::run::{build_relay, Profile};
use crate::setup::Tools;
use crate::{build, paths};

/// The issue's target for accessibility and best-practices.
pub const TARGET: f64 = 95.0;

/// The baseline page: what a small, plainly accessible page scores when served by this relay
/// (same headers, same browser, same Lighthouse settings).
pub const REFERENCE_HTML: &str = r#"<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="description" content="Reference page for Tend's Lighthouse baseline" />
    <title>Reference</title>
  </head>
  <body>
    <main>
      <h1>Reference</h1>
      <p>A minimal accessible page served by the same relay as the app.</p>
      <form>
        <label for="name">Name</label>
        <input id="name" type="text" />
        <button type="submit">Save</button>
      </form>
    </main>
  </body>
</html>
"#;

/// Audited screens of the app: (screen in the script's output, entry prefix, reference screen).
const SCREENS: [(&str, &str, &str); 4] = [
    ("first_screen", "lighthouse", "reference_navigation"),
    ("today", "lighthouse_today", "reference_snapshot"),
    ("caseload", "lighthouse_caseload", "reference_snapshot"),
    ("chart", "lighthouse_chart", "reference_snapshot"),
];

/// Categories recorded: (Lighthouse id, entry suffix, has the issue's target).
const CATEGORIES: [(&str, &str, bool); 3] = [
    ("accessibility", "accessibility", true),
    ("best-practices", "best_practices", true),
    ("performance", "performance", false),
];

/// What the run produced: results entries, and a problem that should fail the bench (the flow
/// past the first screen broke) without throwing away what was measured.
pub struct Outcome {
    pub entries: Value,
    pub problem: Option<String>,
}

pub fn bench(tools: &Tools) -> Result<Outcome> {
    println!("\n== bench: lighthouse (Lighthouse 12.8.2, Debian Chromium, release build) ==");
    let dist = build::build_app(tools)?;
    let relay = build_relay(Profile::Release)?;
    let scratch = std::env::temp_dir().join(format!("tend-lighthouse-{}", std::process::id()));
    let _cleanup = RemoveOnDrop(scratch.clone());
    let reference_dir = scratch.join("reference");
    std::fs::create_dir_all(&reference_dir)
        .map_err(|e| format!("cannot create {}: {e}", reference_dir.display()))?;
    std::fs::write(reference_dir.join("index.html"), REFERENCE_HTML)
        .map_err(|e| format!("cannot write the reference page: {e}"))?;

    let app = Relay::start(&relay, &dist, &scratch.join("app-data"))?;
    let reference = Relay::start(&relay, &reference_dir, &scratch.join("reference-data"))?;
    let reports = paths::target().join("bench").join("lighthouse");
    let mut cmd = Command::new("node");
    cmd.arg("lighthouse.mjs")
        .args([
            "--app",
            &app.url,
            "--reference",
            &reference.url,
            "--reports",
        ])
        .arg(&reports)
        .current_dir(paths::root().join("end2end"))
        .env("CHROME_PATH", &tools.chromium)
        .stderr(Stdio::inherit());
    println!("$ {}", proc::describe(&cmd));
    let out = cmd
        .output()
        .map_err(|e| format!("could not run node lighthouse.mjs: {e}"))?;
    drop(app);
    drop(reference);
    if !out.status.success() {
        return Err(format!("lighthouse.mjs failed ({})", out.status));
    }
    let report: Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("lighthouse.mjs printed invalid JSON: {e}"))?;
    let entries = entries(&report)?;
    println!(
        "\nLighthouse {} in {}; full reports in {}",
        str_of(&report["lighthouse"]),
        str_of(&report["chromium"]),
        reports.display()
    );
    for line in failing_lines(&report) {
        println!("{line}");
    }
    let problem = report.get("flow_error").and_then(Value::as_str).map(|e| {
        format!(
            "the audit flow past the first screen failed (only the first screen was audited): {e}"
        )
    });
    Ok(Outcome {
        entries: Value::Object(entries),
        problem,
    })
}

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or("?")
}

/// Lighthouse's 0..1 score as 0..100 (what its report shows).
fn score(screen: &Value, category: &str) -> Option<f64> {
    screen["categories"][category]
        .as_f64()
        .map(|s| (s * 100.0).round())
}

/// Results entries from the script's JSON: one per audited screen and category, each with the
/// reference page's score (same mode) as baseline. Missing reference scores are an error: an entry
/// without its same-run baseline would break the results file's contract.
pub fn entries(report: &Value) -> Result<Map<String, Value>> {
    let screens = &report["screens"];
    let mut out = Map::new();
    for (screen, prefix, reference) in SCREENS {
        let app = &screens[screen];
        if app.is_null() {
            continue;
        }
        let mode = str_of(&app["mode"]);
        for (category, suffix, has_target) in CATEGORIES {
            let Some(value) = score(app, category) else {
                continue;
            };
            let baseline = score(&screens[reference], category).ok_or_else(|| {
                format!("lighthouse: no {category} score for the reference page ({reference})")
            })?;
            let failing: Vec<Value> = app["failing"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|f| f["category"] == category)
                .map(|f| Value::from(failing_text(f)))
                .collect();
            let mut entry = json!({
                "value": value,
                "unit": "score",
                "baseline": baseline,
                "baseline_what": format!("minimal accessible reference page served by an identical relay (Lighthouse {mode})"),
                "screen": screen,
                "mode": mode,
                "failing": failing,
            });
            let obj = entry.as_object_mut().expect("json! object");
            if has_target {
                obj.insert("target".into(), Value::from(format!("≥ {TARGET}")));
                obj.insert("target_met".into(), Value::from(value >= TARGET));
            } else {
                obj.insert(
                    "note".into(),
                    Value::from("informative: Lighthouse's default mobile settings (simulated Slow 4G, 4x CPU slowdown); no target in the issue"),
                );
            }
            out.insert(format!("{prefix}_{suffix}"), entry);
        }
    }
    if out.is_empty() {
        return Err("lighthouse: the script reported no audited app screen".into());
    }
    Ok(out)
}

fn failing_text(f: &Value) -> String {
    let display = str_of(&f["display"]);
    let weight = f["weight"].as_f64().unwrap_or(0.0);
    let mut s = format!("{}: {}", str_of(&f["id"]), str_of(&f["title"]));
    if !display.is_empty() && display != "?" {
        s.push_str(&format!(" ({display})"));
    }
    if weight == 0.0 {
        s.push_str(" [weight 0]");
    }
    s
}

/// Human-readable list of the audits that cost points (and unscored findings), per screen, for
/// accessibility and best-practices (performance opportunities are in the HTML reports).
pub fn failing_lines(report: &Value) -> Vec<String> {
    let mut lines = Vec::new();
    let Some(screens) = report["screens"].as_object() else {
        return lines;
    };
    for (name, screen) in screens {
        for f in screen["failing"].as_array().into_iter().flatten() {
            if f["category"] != "performance" {
                lines.push(format!(
                    "  {name} · {} · FAILING {}",
                    str_of(&f["category"]),
                    failing_text(f)
                ));
            }
        }
        for u in screen["unscored"].as_array().into_iter().flatten() {
            lines.push(format!(
                "  {name} · {} · unscored {}: {} ({} item(s))",
                str_of(&u["category"]),
                str_of(&u["id"]),
                str_of(&u["title"]),
                u["items"].as_u64().unwrap_or(0)
            ));
        }
    }
    if lines.is_empty() {
        lines.push("  no failing accessibility or best-practices audits".into());
    } else {
        lines.insert(
            0,
            "Lighthouse audits that cost points (accessibility, best-practices):".into(),
        );
    }
    lines
}

/// A relay on a free loopback port; stopped (and waited for) when dropped.
struct Relay {
    child: Child,
    url: String,
}

impl Relay {
    fn start(bin: &Path, static_dir: &Path, data_dir: &Path) -> Result<Relay> {
        let port = free_port()?;
        let addr = format!("127.0.0.1:{port}");
        let child = Command::new(bin)
            .args(["--addr", &addr, "--data-dir"])
            .arg(data_dir)
            .arg("--static-dir")
            .arg(static_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("could not start the relay {}: {e}", bin.display()))?;
        let mut relay = Relay {
            child,
            url: format!("http://{addr}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = relay.child.try_wait() {
                return Err(format!("the relay exited early ({status})"));
            }
            if health_ok(&addr) {
                return Ok(relay);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the relay on {addr} did not answer /api/health in 30 s"
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        // SIGTERM would be gentler, but std has only kill; the relay's data is a throwaway temp dir.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

fn health_ok(addr: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = format!("GET /api/health HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 16];
    let n = stream.read(&mut head).unwrap_or(0);
    is_http_ok(&head[..n])
}

/// "HTTP/1.x 200 ..." status line.
fn is_http_ok(head: &[u8]) -> bool {
    head.starts_with(b"HTTP/1.") && head.get(8..13) == Some(b" 200 ".as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Trimmed output of a real run of end2end/lighthouse.mjs.
    fn fixture() -> Value {
        json!({
            "lighthouse": "12.8.2",
            "chromium": "Chrome/156.0.8078.79",
            "screens": {
                "reference_navigation": {"mode": "navigation", "categories": {"performance": 1, "accessibility": 1, "best-practices": 1}, "failing": [], "unscored": []},
                "reference_snapshot": {"mode": "snapshot", "categories": {"accessibility": 1, "best-practices": 0.96}, "failing": [], "unscored": []},
                "first_screen": {
                    "mode": "navigation",
                    "categories": {"performance": 0.55, "accessibility": 0.917, "best-practices": 1},
                    "failing": [
                        {"id": "color-contrast", "title": "Background and foreground colors do not have a sufficient contrast ratio.", "category": "accessibility", "score": 0, "weight": 7, "display": ""},
                        {"id": "valid-source-maps", "title": "Missing source maps for large first-party JavaScript", "category": "best-practices", "score": 0, "weight": 0, "display": ""},
                        {"id": "largest-contentful-paint", "title": "Largest Contentful Paint", "category": "performance", "score": 0, "weight": 25, "display": "14.6 s"}
                    ],
                    "unscored": [{"id": "csp-xss", "title": "Ensure CSP is effective against XSS attacks", "category": "best-practices", "items": 1}]
                },
                "caseload": {"mode": "snapshot", "categories": {"accessibility": 1, "best-practices": 0.96}, "failing": [], "unscored": []}
            }
        })
    }

    #[test]
    fn first_screen_entries_are_named_plainly_with_target_and_reference_baseline() {
        let e = entries(&fixture()).unwrap();
        let a11y = &e["lighthouse_accessibility"];
        assert_eq!(a11y["value"], Value::from(92.0));
        assert_eq!(a11y["unit"], "score");
        assert_eq!(a11y["baseline"], Value::from(100.0));
        assert_eq!(a11y["target"], "≥ 95");
        assert_eq!(a11y["target_met"], false);
        assert_eq!(
            a11y["failing"],
            json!(["color-contrast: Background and foreground colors do not have a sufficient contrast ratio."])
        );
        let bp = &e["lighthouse_best_practices"];
        assert_eq!(bp["value"], Value::from(100.0));
        assert_eq!(bp["target_met"], true);
        assert_eq!(
            bp["failing"],
            json!(["valid-source-maps: Missing source maps for large first-party JavaScript [weight 0]"])
        );
        // Performance is recorded, but carries a note instead of a target.
        let perf = &e["lighthouse_performance"];
        assert_eq!(perf["value"], Value::from(55.0));
        assert!(perf.get("target").is_none());
        assert!(perf["note"].as_str().unwrap().contains("no target"));
    }

    #[test]
    fn snapshot_screens_use_the_snapshot_reference_and_skip_unaudited_screens() {
        let e = entries(&fixture()).unwrap();
        assert_eq!(
            e["lighthouse_caseload_best_practices"]["baseline"],
            Value::from(96.0)
        );
        assert_eq!(e["lighthouse_caseload_best_practices"]["mode"], "snapshot");
        // Snapshots have no performance category; today/chart were not in this run.
        assert!(!e.contains_key("lighthouse_caseload_performance"));
        assert!(!e.contains_key("lighthouse_chart_accessibility"));
        assert_eq!(e.len(), 5);
    }

    #[test]
    fn a_missing_reference_score_is_an_error_not_a_silent_entry() {
        let mut r = fixture();
        r["screens"]["reference_navigation"]["categories"] = json!({});
        assert!(entries(&r).unwrap_err().contains("reference_navigation"));
        assert!(entries(&json!({"screens": {}})).is_err());
    }

    #[test]
    fn failing_lines_name_screen_category_and_audit_but_not_performance() {
        let lines = failing_lines(&fixture());
        assert!(lines
            .iter()
            .any(|l| l.contains("first_screen · accessibility · FAILING color-contrast")));
        assert!(lines.iter().any(|l| l.contains("unscored csp-xss")));
        assert!(!lines.iter().any(|l| l.contains("largest-contentful-paint")));
        let clean = failing_lines(&json!({"screens": {"x": {"failing": [], "unscored": []}}}));
        assert_eq!(
            clean,
            vec!["  no failing accessibility or best-practices audits".to_string()]
        );
    }

    #[test]
    fn health_check_reads_the_status_line() {
        assert!(is_http_ok(b"HTTP/1.1 200 OK\r\n"));
        assert!(!is_http_ok(b"HTTP/1.1 503 Service"));
        assert!(!is_http_ok(b""));
    }
}
