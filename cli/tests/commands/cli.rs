//! The `telemetry` binary as a user runs it: exit codes, the JSON report on stdout, the
//! summary and errors on stderr, and the rows it leaves in a fresh PostgreSQL database.

use std::path::PathBuf;
use std::process::{Command, Output};

use telemetry_tests::TestDb;

const HEADER: &str =
    "timestamp,model,prompt_tokens,completion_tokens,task_success,task_type,duration_ms,notes\n";

fn telemetry(db_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_telemetry"))
        .args(args)
        .env("DATABASE_URL", db_url)
        .env_remove("TELEMETRY_CSV_PATH")
        .output()
        .expect("run telemetry")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write_csv(dir: &std::path::Path, name: &str, body: &str) -> PathBuf {
    std::fs::create_dir_all(dir).expect("dir");
    let p = dir.join(name);
    std::fs::write(&p, body).expect("write csv");
    p
}

fn tmpdir(label: &str) -> PathBuf {
    std::env::temp_dir().join(format!("telemetry-cli-{label}-{}", std::process::id()))
}

#[tokio::test]
async fn ingest_csv_prints_a_json_report_whose_counts_add_up_and_stats_show_it() {
    let db = TestDb::new("cli_ingest").await;
    let dir = tmpdir("ingest");
    let body = format!(
        "{HEADER}2026-11-01T10:00:00Z,claude-sonnet-4-5,1000,100,true,plan,10,\n\
         2026-11-01T10:00:00Z,claude-sonnet-4-5,1000,100,true,plan,10,\n\
         bad,gpt-4o,1,1,true,plan,10,\n\
         2026-11-02T10:00:00Z,mystery-model,5,5,false,plan,10,oops\n"
    );
    let csv = write_csv(&dir, "usage.csv", &body);
    let path = csv.to_str().expect("utf8");
    let out = telemetry(&db.url, &["ingest", "csv", path, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(report["rows_read"], 4);
    assert_eq!(report["inserted"], 3);
    assert_eq!(report["rejected"], 1);
    assert_eq!(report["rejects"][0]["line"], 4);
    assert!(report["rejects"][0]["reason"]
        .as_str()
        .expect("reason")
        .starts_with("bad timestamp"));
    // 2 x (1000 x $3/M + 100 x $15/M); the unknown model is not $0, it is unpriced.
    assert_eq!(report["cost_usd"], 0.009);
    assert_eq!(report["unknown_models"][0], "mystery-model");
    let err = stderr(&out);
    assert!(
        err.contains("4 rows read: 3 inserted, 0 updated, 0 duplicates, 1 rejected"),
        "{err}"
    );
    assert!(err.contains("warning: line 4: bad timestamp"), "{err}");
    assert_eq!(db.count("llm_calls").await, 3);

    // Re-delivery of the same file writes nothing.
    let again = telemetry(&db.url, &["ingest", "csv", path, "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&again.stdout).expect("json");
    assert_eq!(
        (report["inserted"].as_u64(), report["duplicates"].as_u64()),
        (Some(0), Some(3))
    );
    assert_eq!(db.count("llm_calls").await, 3);

    let stats = telemetry(&db.url, &["stats", "--since", "2026-10-01", "--json"]);
    assert!(stats.status.success(), "{}", stderr(&stats));
    let s: serde_json::Value = serde_json::from_slice(&stats.stdout).expect("stats json");
    assert_eq!(s["llm"]["calls"], 3);
    assert_eq!(s["llm"]["unpriced_calls"], 1);
    assert_eq!(s["llm"]["cost_usd"], 0.009);
    assert_eq!(s["llm_by_day"].as_array().map(Vec::len), Some(2));
    let human = telemetry(&db.url, &["stats", "--since", "2026-10-01"]);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("mystery-model") && text.contains("unknown"),
        "{text}"
    );
    assert!(text.contains("2026-11-02"), "{text}");
    assert!(
        text.contains("(none yet: run `telemetry ingest github`)"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(dir);
    db.drop_db().await;
}

#[tokio::test]
async fn default_path_comes_from_telemetry_csv_path() {
    let db = TestDb::new("cli_default").await;
    let dir = tmpdir("default");
    let csv = write_csv(
        &dir,
        "log.csv",
        &format!("{HEADER}2026-11-01T10:00:00Z,gpt-4o,1,1,,,,\n"),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_telemetry"))
        .args(["ingest", "csv", "--json"])
        .env("DATABASE_URL", &db.url)
        .env("TELEMETRY_CSV_PATH", &csv)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(db.count("llm_calls").await, 1);
    let _ = std::fs::remove_dir_all(dir);
    db.drop_db().await;
}

#[tokio::test]
async fn nothing_ingestible_exits_non_zero_with_one_clear_line() {
    let db = TestDb::new("cli_errors").await;
    let missing = telemetry(&db.url, &["ingest", "csv", "/nonexistent/usage.csv"]);
    assert_eq!(missing.status.code(), Some(1));
    let err = stderr(&missing);
    assert!(
        err.starts_with("error: cannot open /nonexistent/usage.csv"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");

    let dir = tmpdir("errors");
    let bad = write_csv(&dir, "bad.csv", "when,what\n1,2\n");
    let out = telemetry(&db.url, &["ingest", "csv", bad.to_str().expect("utf8")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("header lacks required column(s)"),
        "{}",
        stderr(&out)
    );

    let good = write_csv(
        &dir,
        "good.csv",
        &format!("{HEADER}2026-11-01T10:00:00Z,gpt-4o,1,1,,,,\n"),
    );
    let down = telemetry(
        "postgres://postgres@127.0.0.1:1/x?sslmode=disable",
        &["ingest", "csv", good.to_str().expect("utf8")],
    );
    assert_eq!(down.status.code(), Some(1));
    let err = stderr(&down);
    assert!(err.starts_with("error: cannot reach the database"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    let _ = std::fs::remove_dir_all(dir);
    db.drop_db().await;
}

#[tokio::test]
async fn migrate_is_idempotent_and_a_missing_schema_says_to_migrate() {
    let db = TestDb::new("cli_migrate").await;
    let out = telemetry(&db.url, &["migrate"]);
    assert!(out.status.success());
    assert!(stderr(&out).contains("up to date"), "{}", stderr(&out));

    // A database without the schema: stats points at `telemetry migrate`.
    let admin = telemetry_shared::db::connect_one(&telemetry_tests::admin_url())
        .await
        .expect("admin");
    let bare = format!("{}_bare", db.name);
    admin
        .batch_execute(&format!("CREATE DATABASE {bare}"))
        .await
        .expect("create");
    let bare_url = telemetry_tests::with_database(&telemetry_tests::admin_url(), &bare);
    let out = telemetry(&bare_url, &["stats"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("run `telemetry migrate` first"),
        "{}",
        stderr(&out)
    );
    let out = telemetry(&bare_url, &["migrate"]);
    assert!(
        stderr(&out).contains("applied migration V1__core_schema"),
        "{}",
        stderr(&out)
    );
    admin
        .batch_execute(&format!("DROP DATABASE {bare} WITH (FORCE)"))
        .await
        .expect("drop");
    db.drop_db().await;
}
