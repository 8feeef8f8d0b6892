//! Running the `telemetry` binary against a test database, shared by the CLI test files.

use std::process::{Command, Output};

use telemetry_tests::TestDb;

/// Runs `telemetry args...` with `DATABASE_URL` pointing at `db`.
pub fn telemetry(db: &TestDb, args: &[&str]) -> Output {
    telemetry_with(db, args, &[])
}

/// [`telemetry`] with more environment variables.
pub fn telemetry_with(db: &TestDb, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_telemetry"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .envs(env.iter().copied())
        .output()
        .expect("run telemetry")
}

/// The JSON a successful run printed on stdout (the run's stderr when it failed).
pub fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}
