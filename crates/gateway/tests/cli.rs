//! The `branchline` binary as an operator runs it: bad database URLs fail fast
//! with a message naming what failed, `migrate` creates the SQLite file, and
//! `openapi` prints the committed contract.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_branchline");

/// Runs the binary with a clean `BRANCHLINE_*` environment, under coreutils'
/// `timeout` so a hang fails the test instead of stalling the suite.
fn run(args: &[&str], env: &[(&str, &str)], dir: &std::path::Path) -> (Output, Duration) {
    let mut cmd = Command::new("timeout");
    cmd.arg("60")
        .arg(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null());
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("BRANCHLINE_")) {
        cmd.env_remove(k);
    }
    cmd.envs(env.iter().copied());
    let started = Instant::now();
    let out = cmd.output().expect("run branchline");
    (out, started.elapsed())
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("branchline-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn unreachable_postgres_fails_fast_naming_it() {
    let dir = temp_dir("unreachable");
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    let (out, elapsed) = run(
        &["migrate"],
        &[(
            "BRANCHLINE_DATABASE_URL",
            "postgres://branchline:s3cret@127.0.0.1:1/branchline",
        )],
        &dir,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot connect to postgres://branchline:***@127.0.0.1:1/branchline"),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cret"), "the password leaked: {stderr}");
    // The regression this guards against is a 30-second pool time-out.
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");
}

#[test]
fn unsupported_url_is_a_configuration_error() {
    let dir = temp_dir("unsupported");
    let (out, _) = run(
        &["serve"],
        &[("BRANCHLINE_DATABASE_URL", "mysql://root:pw@localhost/db")],
        &dir,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("BRANCHLINE_DATABASE_URL is invalid"),
        "{stderr}"
    );
    assert!(!stderr.contains("pw@"), "{stderr}");
}

#[test]
fn sqlite_directory_that_cannot_exist_is_named() {
    let dir = temp_dir("blocked");
    std::fs::write(
        dir.join("data"),
        "a file where the data directory should be",
    )
    .unwrap();
    let (out, _) = run(&["migrate"], &[], &dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("sqlite://data/branchline.db"), "{stderr}");
}

#[test]
fn migrate_creates_the_default_sqlite_database() {
    let dir = temp_dir("migrate");
    let (out, _) = run(&["migrate"], &[], &dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("data/branchline.db").is_file());
    // A second run finds nothing to do and succeeds.
    let (again, _) = run(&["migrate"], &[], &dir);
    assert!(again.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn openapi_command_prints_the_committed_contract() {
    let dir = temp_dir("openapi");
    let (out, _) = run(&["openapi"], &[], &dir);
    assert!(out.status.success());
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../openapi/openapi.json"
    ))
    .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout) == committed,
        "openapi/openapi.json is stale: run scripts/openapi.sh"
    );
}
