//! `telemetry` when the database misbehaves, as a user sees it: a server that never answers
//! costs a bounded wait and a "timed out" exit 1; a missing database names the fix; a run
//! killed mid-file keeps a true account of what it committed, the next run marks it
//! abandoned, and re-running the file completes it without a duplicate.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use telemetry_tests::fake_pg::FakePg;
use telemetry_tests::{admin_url, with_database, TestDb};

const HEADER: &str =
    "timestamp,model,prompt_tokens,completion_tokens,task_success,task_type,duration_ms,notes\n";

fn telemetry(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_telemetry"))
        .args(args)
        .env("DATABASE_URL", url)
        .output()
        .expect("run telemetry")
}

fn csv_file(label: &str, rows: usize) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("telemetry-dbf-{label}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let mut body = String::from(HEADER);
    for i in 0..rows {
        body.push_str(&format!(
            "2026-11-01T{:02}:{:02}:{:02}Z,gpt-4o,{},1,true,plan,1,\n",
            i / 3600 % 24,
            i / 60 % 60,
            i % 60,
            i + 1
        ));
    }
    let p = dir.join("usage.csv");
    std::fs::write(&p, body).expect("write");
    p
}

#[test]
fn a_server_that_never_answers_is_a_timed_out_exit_1_not_a_hang() {
    let silent = FakePg::silent();
    let csv = csv_file("silent", 1);
    let t0 = Instant::now();
    let out = telemetry(
        &silent.url("&connect_timeout=2"),
        &["ingest", "csv", csv.to_str().expect("utf8")],
    );
    assert!(t0.elapsed() < Duration::from_secs(8), "{:?}", t0.elapsed());
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("timed out"), "{err}");
}

#[test]
fn a_missing_database_names_the_command_that_creates_it() {
    let out = telemetry(
        &with_database(&admin_url(), "telemetry_cli_no_such_db"),
        &["stats"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("\"telemetry_cli_no_such_db\" does not exist")
            && err.contains("telemetry migrate --create-database"),
        "{err}"
    );
}

#[tokio::test]
async fn a_run_killed_mid_file_is_accounted_then_marked_abandoned_and_completed() {
    let db = TestDb::new("cli_killed_run").await;
    const ROWS: usize = 150_000;
    let csv = csv_file("killed", ROWS);
    let path = csv.to_str().expect("utf8");
    let mut child = Command::new(env!("CARGO_BIN_EXE_telemetry"))
        .args(["ingest", "csv", path, "--batch-rows", "500"])
        .env("DATABASE_URL", &db.url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let c = db.client().await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let n: i64 = c
            .query_one("SELECT coalesce(max(rows_read), 0) FROM ingest_runs", &[])
            .await
            .expect("progress")
            .get(0);
        if n > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "no progress recorded");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().expect("kill -9");
    child.wait().expect("reaped");
    let (status, recorded): (String, i64) = c
        .query_one("SELECT status, inserted FROM ingest_runs", &[])
        .await
        .map(|r| (r.get(0), r.get(1)))
        .expect("run");
    let stored = db.count("llm_calls").await;
    assert_eq!(status, "running");
    assert!(
        (recorded..=recorded + 500).contains(&stored) && stored < ROWS as i64,
        "killed mid-file: recorded {recorded}, stored {stored}"
    );

    // Twenty minutes later (simulated), the next run marks it abandoned and completes the file.
    c.batch_execute("UPDATE ingest_runs SET heartbeat_at = now() - interval '21 minutes'")
        .await
        .expect("age");
    let out = telemetry(&db.url, &["ingest", "csv", path, "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("report");
    assert_eq!(report["duplicates"], stored);
    assert_eq!(report["inserted"], ROWS as i64 - stored);
    assert_eq!(db.count("llm_calls").await, ROWS as i64);
    let (status, error): (String, String) = c
        .query_one(
            "SELECT status, error FROM ingest_runs ORDER BY id LIMIT 1",
            &[],
        )
        .await
        .map(|r| (r.get(0), r.get(1)))
        .expect("first run");
    assert_eq!(status, "failed");
    assert!(error.starts_with("abandoned"), "{error}");
    drop(c);
    db.drop_db().await;
}
