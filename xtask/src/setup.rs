//! `cargo xtask setup`: checks each tool, installs only what is missing, prints what it does.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::paths;
use crate::proc::{self, Result};
use crate::wasm::Route;

const TRUNK_VERSION: &str = "0.22.1";
const BINARYEN_VERSION: &str = "132.0.0";
/// The independent FHIR R4 validator: fhir.resources 6.1.0 is the last release whose models are
/// FHIR 4.0.1 (later ones are R4B/R5); exact versions in scripts/fhir-requirements.txt.
const FHIR_RESOURCES_VERSION: &str = "6.1.0";

/// Everything later steps need, located.
#[derive(Clone, Debug)]
pub struct Tools {
    pub route: Route,
    pub trunk: PathBuf,
    /// Directory holding wasm-bindgen, wasm-bindgen-test-runner (exact Cargo.lock version).
    pub wasm_bindgen_bin: PathBuf,
    /// Directory holding npm binaryen's wasm-opt.
    pub wasm_opt_bin: PathBuf,
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
    /// A Python with fhir.resources (FHIR R4) for scripts/validate_fhir.py.
    pub fhir_python: PathBuf,
}

impl Tools {
    /// PATH with our tools first, so Trunk finds them and never tries to download its own.
    pub fn path_env(&self) -> String {
        let mut dirs = vec![self.wasm_bindgen_bin.clone(), self.wasm_opt_bin.clone()];
        if let Some(dir) = self.trunk.parent() {
            dirs.push(dir.to_path_buf());
        }
        let rest = std::env::var("PATH").unwrap_or_default();
        let mut joined: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        if let Route::Debian = self.route {
            joined.push("/usr/bin".into());
        }
        joined.push(rest);
        joined.join(":")
    }
}

pub fn setup() -> Result<Tools> {
    let route = Route::detect_or_install()?;
    // Before any offline step (trunk build --offline): the registry must hold every crate it needs.
    println!("setup: fetching the crates the offline wasm32 build needs");
    route.fetch_for_offline(&paths::root())?;
    let wasm_bindgen_version = wasm_bindgen_version()?;
    let wasm_bindgen_bin = cargo_install_tool(
        "wasm-bindgen-cli",
        &wasm_bindgen_version,
        "wasm-bindgen",
        false,
    )?;
    let trunk_bin = cargo_install_tool("trunk", TRUNK_VERSION, "trunk", true)?;
    let wasm_opt_bin = npm_binaryen()?;
    let (chromium, chromedriver) = browser()?;
    pdf_text()?;
    let fhir_python = fhir_validator()?;
    end2end_packages()?;
    println!("setup: ready");
    Ok(Tools {
        route,
        trunk: trunk_bin.join("trunk"),
        wasm_bindgen_bin,
        wasm_opt_bin,
        chromium,
        chromedriver,
        fhir_python,
    })
}

/// The exact `wasm-bindgen` version in Cargo.lock: the CLI must match it byte for byte.
fn wasm_bindgen_version() -> Result<String> {
    let lock = std::fs::read_to_string(paths::root().join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = \""))
            {
                return Ok(v.trim_end_matches('"').to_string());
            }
        }
    }
    Err("Cargo.lock has no wasm-bindgen entry".into())
}

/// `cargo install` into a per-version folder of the tool cache; skipped when the binary exists.
fn cargo_install_tool(krate: &str, version: &str, bin: &str, locked: bool) -> Result<PathBuf> {
    let root = paths::tools_dir().join(format!("{krate}-{version}"));
    let bin_dir = root.join("bin");
    if bin_dir.join(bin).exists() {
        println!("setup: {krate} {version} (installed)");
        return Ok(bin_dir);
    }
    println!(
        "setup: building {krate} {version} from crates.io into {} (one time; minutes)",
        root.display()
    );
    let mut cmd = Command::new("cargo");
    cmd.args(["install", krate, "--version", version, "--root"])
        .arg(&root);
    if locked {
        // trunk declares a newer rust-version than it needs; its lock file resolves here.
        cmd.args(["--locked", "--ignore-rust-version"]);
    }
    // The outer `cargo xtask` sets these; a nested install must use the default toolchain.
    cmd.env_remove("CARGO_TARGET_DIR");
    proc::run(&mut cmd)?;
    Ok(bin_dir)
}

/// wasm-opt from npm's binaryen (Debian's binaryen 108 produces modules that fail at runtime).
fn npm_binaryen() -> Result<PathBuf> {
    let prefix = paths::tools_dir().join(format!("binaryen-{BINARYEN_VERSION}"));
    let bin = prefix.join("node_modules").join(".bin");
    if bin.join("wasm-opt").exists() {
        println!("setup: wasm-opt (npm binaryen {BINARYEN_VERSION}) (installed)");
        return Ok(bin);
    }
    ensure_npm()?;
    println!("setup: installing npm binaryen {BINARYEN_VERSION} for wasm-opt");
    std::fs::create_dir_all(&prefix)
        .map_err(|e| format!("cannot create {}: {e}", prefix.display()))?;
    proc::run(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&prefix)
            .arg(format!("binaryen@{BINARYEN_VERSION}")),
    )?;
    if bin.join("wasm-opt").exists() {
        Ok(bin)
    } else {
        Err(format!(
            "npm installed binaryen but {} has no wasm-opt",
            bin.display()
        ))
    }
}

fn ensure_npm() -> Result<()> {
    if proc::output(Command::new("npm").arg("--version")).is_none() {
        proc::apt_install(&["nodejs", "npm"], "wasm-opt and the end-to-end tests")?;
    }
    Ok(())
}

/// Debian's Chromium and ChromeDriver (never a browser downloaded by a test tool).
fn browser() -> Result<(PathBuf, PathBuf)> {
    let chromium = Path::new("/usr/bin/chromium");
    let driver = Path::new("/usr/bin/chromedriver");
    if chromium.exists() && driver.exists() {
        println!("setup: chromium + chromedriver (installed)");
    } else {
        proc::apt_install(&["chromium", "chromium-driver"], "browser tests")?;
    }
    Ok((chromium.to_path_buf(), driver.to_path_buf()))
}

/// Debian's `pdftotext` (poppler-utils): the end-to-end tests read the printed handout's text.
fn pdf_text() -> Result<()> {
    if Path::new("/usr/bin/pdftotext").exists() {
        println!("setup: pdftotext (installed)");
        Ok(())
    } else {
        proc::apt_install(
            &["poppler-utils"],
            "reading printed PDFs in the end-to-end tests",
        )
    }
}

/// A virtualenv in the tool cache with fhir.resources (FHIR R4 4.0.1, pinned), which the tests
/// use to validate every exported Bundle with a library that is not ours.
fn fhir_validator() -> Result<PathBuf> {
    let venv = paths::tools_dir().join(format!("fhir-resources-{FHIR_RESOURCES_VERSION}"));
    let python = venv.join("bin").join("python");
    let ready = |python: &Path| {
        proc::output(Command::new(python).args([
            "-c",
            "import fhir.resources as f, pydantic; assert f.__fhir_version__ == '4.0.1'; print(f.__version__)",
        ]))
        .is_some_and(|v| v.trim() == FHIR_RESOURCES_VERSION)
    };
    if ready(&python) {
        println!(
            "setup: fhir.resources {FHIR_RESOURCES_VERSION} for FHIR R4 validation (installed)"
        );
        return Ok(python);
    }
    println!(
        "setup: installing fhir.resources {FHIR_RESOURCES_VERSION} (FHIR R4 validation) into {}",
        venv.display()
    );
    let venv_works = |venv: &Path| {
        let _ = std::fs::remove_dir_all(venv);
        proc::run(Command::new("python3").args(["-m", "venv"]).arg(venv)).is_ok()
            && venv.join("bin").join("pip").exists()
    };
    if !venv_works(&venv) {
        proc::apt_install(
            &["python3", "python3-venv"],
            "validating FHIR exports in the tests",
        )?;
        if !venv_works(&venv) {
            return Err(format!(
                "python3 -m venv {} did not make a virtualenv with pip",
                venv.display()
            ));
        }
    }
    proc::run(
        Command::new(venv.join("bin").join("pip"))
            .args([
                "install",
                "--no-input",
                "--disable-pip-version-check",
                "-q",
                "-r",
            ])
            .arg(paths::root().join("scripts").join("fhir-requirements.txt")),
    )?;
    if ready(&python) {
        Ok(python)
    } else {
        Err(format!(
            "{} has no working fhir.resources {FHIR_RESOURCES_VERSION}",
            venv.display()
        ))
    }
}

/// The Playwright harness's npm packages, exactly as locked.
fn end2end_packages() -> Result<()> {
    npm_packages(&paths::root().join("end2end"), "end2end")
}

/// `npm ci` in `dir` unless its node_modules already matches its package-lock.json.
pub fn npm_packages(dir: &Path, what: &str) -> Result<()> {
    let lock = std::fs::metadata(dir.join("package-lock.json")).and_then(|m| m.modified());
    let installed = std::fs::metadata(dir.join("node_modules").join(".package-lock.json"))
        .and_then(|m| m.modified());
    if matches!((lock, installed), (Ok(l), Ok(i)) if i >= l) {
        println!("setup: {what} npm packages (installed)");
        return Ok(());
    }
    ensure_npm()?;
    println!("setup: installing {what} npm packages (npm ci)");
    proc::run(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(dir),
    )
}
