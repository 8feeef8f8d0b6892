//! The dashboard as a user opens it: `telemetry serve`, a read key typed once, the LLM and CI
//! views drawn in Debian's Chromium (playwright-core, `tests/browser/dashboard.mjs`) with
//! tables equal to what was stored, the page under its CSP with no console error, and
//! `telemetry report --html` read offline with the same numbers.

mod live;
mod seed;

use std::path::Path;
use std::process::Command;

use chrono::Utc;
use serde_json::Value;
use telemetry_tests::TestDb;

use crate::common::{telemetry, Server};

/// Where the browser's screenshots are kept for CI: `target/dashboard-screenshots/<test>/`.
pub(super) fn shots(test: &str) -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("dashboard-screenshots").join(test);
    std::fs::create_dir_all(&dir).expect("screenshot directory");
    dir
}

/// The browser script's findings; its screenshots go to `shots`.
pub(super) fn browse(shots: &Path, args: &[&str]) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/browser/dashboard.mjs");
    let out = Command::new("node")
        .arg(&script)
        .args(args)
        .env("SHOTS", shots)
        .output()
        .expect("node runs (scripts/test installs it, with playwright-core and chromium)");
    assert!(
        out.status.success(),
        "the browser script failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the script prints JSON")
}

pub(super) fn rows(seen: &Value, view: &str, table: &str) -> Vec<Vec<String>> {
    seen[view]["tables"][table]["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("no table {table} in {view}: {seen}"))
        .iter()
        .map(|r| {
            r.as_array()
                .expect("row")
                .iter()
                .map(|c| c.as_str().expect("cell").to_string())
                .collect()
        })
        .collect()
}

/// (day, model, calls, cost as the page prints it) per stored group of `project` (or every
/// project), from the database.
pub(super) async fn stored_cost_rows(
    db: &TestDb,
    since: chrono::DateTime<Utc>,
    project: Option<&str>,
) -> Vec<Vec<String>> {
    let c = db.client().await;
    c.query(
        "SELECT (timestamp AT TIME ZONE 'UTC')::date::text, model, count(*)::text,
                CASE WHEN sum(estimated_cost) IS NULL THEN 'unknown'
                     ELSE '$' || to_char(round(sum(estimated_cost), 4), 'FM999990.0000') END
         FROM llm_calls WHERE timestamp >= $1 AND ($2::text IS NULL OR project_id = $2)
         GROUP BY 1, 2 ORDER BY 1, 2",
        &[&since, &project],
    )
    .await
    .expect("stored")
    .iter()
    .map(|r| (0..4).map(|i| r.get::<_, String>(i)).collect())
    .collect()
}

pub(super) fn key_of(db: &TestDb, args: &[&str]) -> String {
    let mut all = vec!["keys", "create"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = telemetry(db, &all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    v["key"].as_str().expect("key").to_string()
}

/// The page and its files: their types and security headers, and 404 for a file it lacks.
#[tokio::test]
async fn the_page_and_its_files_are_served_under_the_csp() {
    let db = TestDb::new("cli_dashboard_files").await;
    let server = Server::start(&db.url, &[]);
    let http = reqwest::Client::new();
    let mut total = 0;
    for (path, kind) in [
        ("/dashboard", "text/html"),
        ("/dashboard/app.js", "text/javascript"),
        ("/dashboard/uPlot.iife.min.js", "text/javascript"),
        ("/dashboard/uPlot.min.css", "text/css"),
    ] {
        let resp = http.get(server.url(path)).send().await.expect("get");
        assert_eq!(resp.status(), 200, "{path}");
        let h = resp.headers();
        assert!(
            h["content-type"]
                .to_str()
                .is_ok_and(|t| t.starts_with(kind)),
            "{path}"
        );
        assert!(h["content-security-policy"]
            .to_str()
            .is_ok_and(|c| c.contains("default-src 'none'")));
        assert_eq!(h["x-content-type-options"], "nosniff");
        total += resp.bytes().await.expect("body").len();
    }
    assert!(total < 200_000, "{total} bytes uncompressed");
    for missing in [
        "/dashboard/../Cargo.toml",
        "/dashboard/nope.js",
        "/dashboard/%2e%2e%2fapp.js",
    ] {
        let resp = http.get(server.url(missing)).send().await.expect("get");
        assert_eq!(resp.status(), 404, "{missing}");
    }
    let wrong = http
        .post(server.url("/dashboard"))
        .send()
        .await
        .expect("post");
    assert_eq!(wrong.status(), 405);
    drop(server);
    db.drop_db().await;
}

/// An empty database: every view says what to run to fill it.
#[tokio::test]
async fn every_view_of_an_empty_database_says_what_to_run() {
    let db = TestDb::new("cli_dashboard_empty").await;
    let read = key_of(&db, &["--project", "shop__1a2b3c4d", "--read"]);
    let server = Server::start(&db.url, &[]);
    let seen = browse(&shots("empty"), &["empty", server.url("").as_str(), &read]);
    assert!(
        seen["problems"].as_array().is_some_and(Vec::is_empty),
        "{seen}"
    );
    for (view, says) in [
        ("llm", "telemetry ingest all"),
        ("ci", "telemetry github add"),
        ("coverage", "uploads/coverage/"),
        ("events", "POST /ingest"),
        ("fleet", "briefings"),
    ] {
        let texts = seen["empty"][view].as_array().expect("texts");
        assert!(
            texts
                .iter()
                .any(|t| t.as_str().is_some_and(|t| t.contains(says))),
            "{view}: {texts:?}"
        );
    }
    assert!(server.stop().success());
    db.drop_db().await;
}

/// The CI view's jobs card: the queue per label, the flaky re-run, the minutes, and each day's
/// cost as stored.
pub(super) async fn jobs_card_shows_what_is_stored(seen: &Value, db: &TestDb) {
    // Their jobs: the queue per label, the flaky re-run, the minutes and cost as stored.
    assert_eq!(
        rows(seen, "ci", "ci-job-queue"),
        [["ubuntu-latest", "7", "20 s", "20 s"]]
    );
    assert_eq!(
        rows(seen, "ci", "ci-job-failing"),
        [["acme/shop / test", "7", "1", "14.3%", "1"]]
    );
    let billed: (u64, Vec<String>) =
        rows(seen, "ci", "ci-job-billing")
            .iter()
            .fold((0, Vec::new()), |(m, mut c), r| {
                c.push(r[4].clone());
                (m + r[3].parse::<u64>().expect("minutes"), c)
            });
    assert_eq!(billed.0, 24, "1 + ... + 6 minutes, and run 3's again");
    let stored: Vec<String> = db
        .client()
        .await
        .query(
            "SELECT to_char(sum(estimated_cost_usd), 'FM0.0000') AS c FROM workflow_jobs
             GROUP BY (coalesce(started_at, github_created_at) AT TIME ZONE 'UTC')::date ORDER BY 1",
            &[],
        )
        .await
        .expect("stored cost")
        .iter()
        .map(|r| format!("${}", r.get::<_, String>("c")))
        .collect();
    let mut shown = billed.1.clone();
    shown.sort();
    let mut stored = stored;
    stored.sort();
    assert_eq!(shown, stored, "the page shows each day's stored cost");
}
