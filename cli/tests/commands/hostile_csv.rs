//! `telemetry ingest csv` on hostile framing, as a user runs it: bare carriage returns, an
//! unclosed quote, a header naming a column twice, an over-long line, a gzip stream cut
//! mid-file and a file whose every row is bad. Each case checks the exit code, the report
//! (whose counts add up) and the rows stored.

use std::io::Write;
use std::path::PathBuf;

use crate::common::{telemetry, telemetry_with};
use serde_json::Value;
use telemetry_tests::TestDb;

const HEADER: &str = "timestamp,model,prompt_tokens,completion_tokens,task_type,notes";

fn file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hostile-csv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

fn row(i: u32) -> String {
    format!(
        "2026-11-01T10:{:02}:{:02}Z,gpt-4o,100,10,plan,row {i}",
        i / 60,
        i % 60
    )
}

fn rows(from: u32, to: u32, end: &str) -> String {
    (from..to).map(|i| row(i) + end).collect()
}

fn report(out: &std::process::Output) -> Value {
    let r: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("a JSON report: {}", String::from_utf8_lossy(&out.stderr)));
    let n = |k: &str| r[k].as_u64().unwrap_or(0);
    assert_eq!(
        n("rows_read"),
        n("inserted") + n("updated") + n("duplicates") + n("rejected") + n("skipped"),
        "counts add up: {r}"
    );
    r
}

/// The report of a run that stored `inserted` rows and rejected one, at `line`, for a
/// reason containing `why`.
fn assert_one_reject(r: &Value, inserted: u64, line: u64, why: &str) {
    assert_eq!(
        (r["inserted"].as_u64(), r["rejected"].as_u64()),
        (Some(inserted), Some(1)),
        "{r}"
    );
    assert_eq!(r["rejects"][0]["line"], line, "{r}");
    let reason = r["rejects"][0]["reason"].as_str().unwrap_or("");
    assert!(reason.contains(why), "{reason}");
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn bare_carriage_returns_end_lines() {
    let db = TestDb::new("hostile_csv_cr").await;
    let path = file(
        "mac.csv",
        format!("{HEADER}\r{}", rows(0, 5, "\r")).as_bytes(),
    );
    let out = telemetry(
        &db,
        &["ingest", "csv", path.to_str().unwrap_or(""), "--json"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let r = report(&out);
    assert_eq!(
        (r["rows_read"].as_u64(), r["inserted"].as_u64()),
        (Some(5), Some(5)),
        "{r}"
    );
    assert_eq!(db.count("llm_calls").await, 5);
    db.drop_db().await;
}

#[tokio::test]
async fn an_unclosed_quote_costs_only_its_line() {
    let db = TestDb::new("hostile_csv_quote").await;
    let body = format!(
        "{HEADER}\n{}2026-11-01T11:00:00Z,gpt-4o,1,1,plan,\"never closed\n{}",
        rows(0, 3, "\n"),
        rows(3, 10, "\n")
    );
    let path = file("quote.csv", body.as_bytes());
    let out = telemetry(
        &db,
        &["ingest", "csv", path.to_str().unwrap_or(""), "--json"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_one_reject(&report(&out), 10, 5, "unclosed quote");
    assert_eq!(db.count("llm_calls").await, 10);

    // An unclosed quote that a later quote "closes": the merged record is not a row, so
    // only its first line is rejected and the lines after it are rows again.
    let db2 = TestDb::new("hostile_csv_quote2").await;
    let body = format!(
        "{HEADER}\n{}2026-11-01T11:00:00Z,gpt-4o,1,1,plan,\"oops\n{}2026-11-01T11:00:01Z,gpt-4o,1,1,plan,a\"b\"\n",
        rows(0, 2, "\n"),
        rows(2, 6, "\n")
    );
    let path = file("quote2.csv", body.as_bytes());
    let out = telemetry(
        &db2,
        &["ingest", "csv", path.to_str().unwrap_or(""), "--json"],
    );
    let r = report(&out);
    assert_eq!(r["rejects"][0]["line"], 4, "{r}");
    assert_eq!(db2.count("llm_calls").await, 7, "{r}");
    db.drop_db().await;
    db2.drop_db().await;
}

#[tokio::test]
async fn a_header_naming_a_column_twice_is_an_error() {
    let db = TestDb::new("hostile_csv_dup").await;
    let path = file(
        "dup.csv",
        format!("{HEADER},Model\n{},other\n", row(0)).as_bytes(),
    );
    let out = telemetry(&db, &["ingest", "csv", path.to_str().unwrap_or("")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("header names column \"model\" twice"),
        "{}",
        stderr(&out)
    );
    assert_eq!(db.count("llm_calls").await, 0);
    db.drop_db().await;
}

#[tokio::test]
async fn a_line_over_the_limit_is_rejected_by_number() {
    let db = TestDb::new("hostile_csv_long").await;
    let long = format!("2026-11-01T12:00:00Z,gpt-4o,1,1,plan,{}", "x".repeat(5000));
    let body = format!("{HEADER}\n{}{long}\n{}", rows(0, 2, "\n"), rows(2, 4, "\n"));
    let path = file("long.csv", body.as_bytes());
    let out = telemetry_with(
        &db,
        &["ingest", "csv", path.to_str().unwrap_or(""), "--json"],
        &[("INGEST_MAX_LINE_BYTES", "1000")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_one_reject(&report(&out), 4, 4, "longer than 1000 bytes");
    db.drop_db().await;
}

#[tokio::test]
async fn a_gzip_cut_mid_file_keeps_the_rows_before_and_says_so() {
    let db = TestDb::new("hostile_csv_gzip").await;
    let body = format!("{HEADER}\n{}", rows(0, 3000, "\n"));
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(body.as_bytes()).expect("gzip");
    let gz = enc.finish().expect("gzip");
    let path = file("cut.csv.gz", &gz[..gz.len() / 2]);
    let out = telemetry(
        &db,
        &["ingest", "file", path.to_str().unwrap_or(""), "--json"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("cut short"), "{}", stderr(&out));
    let r = report(&out);
    let stored = db.count("llm_calls").await;
    assert!(stored > 100 && stored < 3000, "{stored}");
    assert_eq!(r["inserted"].as_i64(), Some(stored), "{r}");
    assert!(r["cut_short"].is_string(), "{r}");
    // Re-run after a full upload: only the missing rows are added.
    let full = file("full.csv", body.as_bytes());
    let out = telemetry(
        &db,
        &["ingest", "csv", full.to_str().unwrap_or(""), "--json"],
    );
    let r = report(&out);
    assert_eq!(r["inserted"].as_i64(), Some(3000 - stored), "{r}");
    assert_eq!(db.count("llm_calls").await, 3000);
    db.drop_db().await;
}

#[tokio::test]
async fn a_file_whose_every_row_is_rejected_exits_non_zero() {
    let db = TestDb::new("hostile_csv_allbad").await;
    let path = file(
        "allbad.csv",
        format!("{HEADER}\nyesterday,gpt-4o,1,1,plan,x\n2026-11-01T10:00:00Z,gpt-4o,-1,1,plan,x\n")
            .as_bytes(),
    );
    let out = telemetry(
        &db,
        &["ingest", "csv", path.to_str().unwrap_or(""), "--json"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("every one of the 2 records was rejected"),
        "{}",
        stderr(&out)
    );
    let r = report(&out);
    assert_eq!(r["rejected"], 2);
    db.drop_db().await;
}
