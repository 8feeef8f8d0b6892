//! `telemetry ingest github` and `telemetry github add|list|remove` as a user runs them,
//! against a local GitHub (wiremock with recorded-shape answers) and a fresh database.

use std::process::{Command, Output};

use chrono::{Duration, Utc};
use telemetry_tests::github::{FakeGitHub, TOKEN};
use telemetry_tests::TestDb;

fn telemetry(db: &TestDb, gh: &FakeGitHub, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_telemetry"));
    cmd.args(args)
        .env("DATABASE_URL", &db.url)
        .env("GITHUB_API_URL", &gh.url)
        .env_remove("GITHUB_TOKEN")
        .env_remove("GITHUB_PERSONAL_TOKEN")
        .env_remove("GITHUB_REPOSITORIES");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run telemetry")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test]
async fn ingest_github_reports_per_repository_and_stats_show_the_runs() {
    let db = TestDb::new("cli_github").await;
    let gh = FakeGitHub::start("acme/api").await;
    gh.add_day(Utc::now().date_naive() - Duration::days(3), 12, 1);
    gh.add_run(500, Utc::now() - Duration::days(40), 75, "success");
    let env = [
        ("GITHUB_PERSONAL_TOKEN", TOKEN),
        ("GITHUB_REPOSITORIES", "acme/api"),
    ];

    let out = telemetry(&db, &gh, &env, &["ingest", "github", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(report["complete"], true);
    assert_eq!(report["repositories"][0]["inserted"], 12);
    assert_eq!(report["repositories"][0]["windows_total"], 31);

    // Older than the default 30 days: only with --since.
    let since = (Utc::now() - Duration::days(41))
        .format("%Y-%m-%d")
        .to_string();
    let out = telemetry(
        &db,
        &gh,
        &env,
        &["ingest", "github", "--since", &since, "--repo", "acme/api"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(
        table.contains("acme/api") && table.contains("304s"),
        "{table}"
    );
    assert!(table.contains("counted against the rate limit"), "{table}");
    assert_eq!(db.count("workflow_runs").await, 13);

    let out = telemetry(&db, &gh, &env, &["stats", "--since", &since, "--json"]);
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stats JSON");
    assert_eq!(stats["workflows"][0]["workflow"], "CI", "{stats}");
    assert_eq!(stats["workflows"][0]["runs"], 13, "{stats}");
    db.drop_db().await;
}

#[tokio::test]
async fn repositories_can_be_listed_in_the_database() {
    let db = TestDb::new("cli_github_repos").await;
    let gh = FakeGitHub::start("acme/api").await;
    gh.add_day(Utc::now().date_naive(), 2, 1);
    let token = [("GITHUB_TOKEN", TOKEN)];

    let out = telemetry(&db, &gh, &token, &["ingest", "github"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no repositories to sync"),
        "{}",
        text(&out.stderr)
    );

    let out = telemetry(&db, &gh, &[], &["github", "add", "acme/api"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("acme/api added"));
    let out = telemetry(&db, &gh, &[], &["github", "add", "acme"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("not an owner/name"),
        "{}",
        text(&out.stderr)
    );

    let out = telemetry(&db, &gh, &token, &["ingest", "github", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = telemetry(&db, &gh, &[], &["github", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON list");
    assert_eq!(list[0]["repository"], "acme/api");
    assert_eq!(list[0]["from"], "table");
    assert_eq!(list[0]["last_sync_complete"], true);
    assert_eq!(list[0]["runs_stored"], 2);

    let out = telemetry(&db, &gh, &[], &["github", "remove", "acme/api"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = telemetry(&db, &gh, &[], &["github", "list"]);
    assert!(
        text(&out.stdout).contains("(no rows)"),
        "{}",
        text(&out.stdout)
    );
    db.drop_db().await;
}

#[tokio::test]
async fn a_missing_or_refused_token_is_one_clear_line() {
    let db = TestDb::new("cli_github_token").await;
    let gh = FakeGitHub::start("acme/api").await;
    let repos = ("GITHUB_REPOSITORIES", "acme/api");

    let out = telemetry(&db, &gh, &[repos], &["ingest", "github"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("GITHUB_TOKEN") && err.contains("GITHUB_PERSONAL_TOKEN"),
        "{err}"
    );

    let out = telemetry(
        &db,
        &gh,
        &[repos, ("GITHUB_TOKEN", "ghp_expired")],
        &["ingest", "github"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("rejected the token") && !err.contains("ghp_expired"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    db.drop_db().await;
}

#[tokio::test]
async fn ingest_all_syncs_github_and_reads_the_csv_in_one_report_and_a_failing_source_fails_it() {
    let db = TestDb::new("cli_ingest_all_github").await;
    let gh = FakeGitHub::start("acme/api").await;
    gh.add_day(Utc::now().date_naive() - Duration::days(2), 5, 1);
    let dir = std::env::temp_dir().join(format!("ingest-all-gh-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let csv = dir.join("usage.csv");
    std::fs::write(
        &csv,
        "timestamp,model,prompt_tokens,completion_tokens\n2026-11-20T09:00:00Z,gpt-4o,10,10\n",
    )
    .expect("csv");
    let csv = csv.display().to_string();
    let home = dir.display().to_string();
    let env = [
        ("GITHUB_PERSONAL_TOKEN", TOKEN),
        ("GITHUB_REPOSITORIES", "acme/api"),
        ("TELEMETRY_CSV_PATH", csv.as_str()),
        ("HOME", home.as_str()),
    ];
    let out = telemetry(&db, &gh, &env, &["ingest", "all", "--claude", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(r["github"]["repositories"][0]["inserted"], 5, "{r}");
    assert_eq!(r["csv"]["inserted"], 1, "{r}");
    assert!(r["skipped"][0]
        .as_str()
        .unwrap_or("")
        .starts_with("Claude Code: no transcripts"));

    // GitHub refuses the token: the command fails and says why, and the CSV was still read.
    std::fs::write(
        dir.join("usage.csv"),
        "timestamp,model,prompt_tokens,completion_tokens\n2026-11-20T09:00:00Z,gpt-4o,10,10\n2026-11-20T09:01:00Z,gpt-4o,20,20\n",
    )
    .expect("csv");
    let bad = [
        (
            "GITHUB_PERSONAL_TOKEN",
            "ghp_000000000000000000000000000000000000",
        ),
        ("GITHUB_REPOSITORIES", "acme/api"),
        ("TELEMETRY_CSV_PATH", csv.as_str()),
        ("HOME", home.as_str()),
    ];
    let out = telemetry(&db, &gh, &bad, &["ingest", "all", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("github"),
        "{}",
        text(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(r["csv"]["inserted"], 1, "{r}");
    assert_eq!(r["failed"].as_array().map(Vec::len), Some(1), "{r}");
    db.drop_db().await;
    let _ = std::fs::remove_dir_all(&dir);
}
