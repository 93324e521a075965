//! A throwaway PostgreSQL server for the tests: found (or apt-installed), initdb'd into a temp dir,
//! listening only on a unix socket there, run as the `postgres` user when we are root, and stopped by a
//! watchdog when the test process exits. One server per test binary; one database per test.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

pub struct PgServer {
    pub dir: PathBuf,
    pub port: u16,
}

static SERVER: OnceLock<Result<PgServer, String>> = OnceLock::new();
static NEXT_DB: AtomicUsize = AtomicUsize::new(0);

/// True when PostgreSQL tests are explicitly switched off.
pub fn skip() -> bool {
    std::env::var("TEND_SKIP_POSTGRES")
        .map(|v| v == "1")
        .unwrap_or(false)
}

fn find_bin_dir() -> Option<PathBuf> {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let p = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if p.join("initdb").exists() && p.join("pg_ctl").exists() {
            return Some(p);
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("initdb").exists() && b.join("pg_ctl").exists())
        .collect();
    found.sort();
    found.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?} failed: {}\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn as_pg_user(root: bool, bin: &Path, prog: &str) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join(prog));
        c
    } else {
        Command::new(bin.join(prog))
    }
}

fn start() -> Result<PgServer, String> {
    let bin = match find_bin_dir() {
        Some(b) => b,
        None => {
            if !is_root() {
                return Err(
                    "PostgreSQL (initdb/pg_ctl) not found and not root to install it".into(),
                );
            }
            eprintln!("installing postgresql with apt-get for the relay tests...");
            let _ = run(Command::new("apt-get").arg("update"));
            run(Command::new("apt-get")
                .args(["install", "-y", "postgresql"])
                .env("DEBIAN_FRONTEND", "noninteractive"))?;
            find_bin_dir().ok_or("postgresql installed but initdb not found")?
        }
    };
    let root = is_root();
    let dir = tempfile::Builder::new()
        .prefix("tend-pg-")
        .tempdir_in("/tmp")
        .map_err(|e| e.to_string())?
        .keep();
    if root {
        run(Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir))?;
    }
    let data = dir.join("data");
    run(as_pg_user(root, &bin, "initdb")
        .args(["-A", "trust", "-U", "tend", "-E", "UTF8", "--no-sync", "-D"])
        .arg(&data))?;
    // Unix socket only (no TCP), in our temp dir; the port only names the socket file.
    let port = 50000 + (std::process::id() % 10000) as u16;
    let opts = format!(
        "-p {port} -k {} -c listen_addresses='' -c fsync=off -c max_connections=300",
        dir.display()
    );
    run(as_pg_user(root, &bin, "pg_ctl")
        .args(["-w", "-t", "60", "-D"])
        .arg(&data)
        .args(["-l"])
        .arg(dir.join("log"))
        .args(["-o", &opts, "start"]))?;
    // Watchdog: stop the server and remove its files when this test process is gone.
    let stop = if root {
        format!("runuser -u postgres -- {}/pg_ctl", bin.display())
    } else {
        format!("{}/pg_ctl", bin.display())
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} -D {data} -m immediate stop >/dev/null 2>&1; rm -rf {dir}",
        pid = std::process::id(),
        data = data.display(),
        dir = dir.display()
    );
    Command::new("setsid")
        .args(["sh", "-c", &script])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("watchdog: {e}"))?;
    Ok(PgServer { dir, port })
}

pub fn server() -> &'static PgServer {
    match SERVER.get_or_init(start) {
        Ok(s) => s,
        Err(e) => panic!(
            "PostgreSQL test server could not start (set TEND_SKIP_POSTGRES=1 to skip these tests): {e}"
        ),
    }
}

impl PgServer {
    pub fn url(&self, db: &str) -> String {
        format!(
            "host={} port={} user=tend dbname={db}",
            self.dir.display(),
            self.port
        )
    }
}

/// A fresh, empty database on the shared test server; returns its connection string.
pub async fn fresh_database() -> String {
    let s = server();
    let name = format!(
        "t_{}_{}",
        std::process::id(),
        NEXT_DB.fetch_add(1, Ordering::SeqCst)
    );
    let (client, conn) = tokio_postgres::connect(&s.url("postgres"), tokio_postgres::NoTls)
        .await
        .expect("connect to the test PostgreSQL server");
    let h = tokio::spawn(conn);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    drop(client);
    let _ = h.await;
    s.url(&name)
}
