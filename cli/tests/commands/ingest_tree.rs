//! `telemetry ingest jsonl|file PATH...` over directories and patterns, `--claude` /
//! `--codex` from the agents' environment variables, and `telemetry ingest all`.

use std::path::{Path, PathBuf};

use telemetry_tests::TestDb;

use crate::common::{json, telemetry_with};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name)
}

/// A home with a Claude Code config dir and a Codex home, each with one session.
fn home(label: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("cli-tree-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let claude = root.join("claude-config/projects/-work-app");
    let codex = root.join("codex-home/sessions/2026/11/21");
    std::fs::create_dir_all(&claude).expect("mkdir");
    std::fs::create_dir_all(&codex).expect("mkdir");
    std::fs::copy(fixture("claude_code.jsonl"), claude.join("a.jsonl")).expect("copy");
    std::fs::copy(fixture("codex.jsonl"), codex.join("rollout-1.jsonl")).expect("copy");
    root
}

fn env_of(root: &Path) -> Vec<(String, String)> {
    vec![
        ("HOME".into(), root.join("nohome").display().to_string()),
        (
            "CLAUDE_CONFIG_DIR".into(),
            root.join("claude-config").display().to_string(),
        ),
        (
            "CODEX_HOME".into(),
            root.join("codex-home").display().to_string(),
        ),
        (
            "TELEMETRY_CSV_PATH".into(),
            root.join("usage.csv").display().to_string(),
        ),
        ("GITHUB_TOKEN".into(), String::new()),
        ("GITHUB_PERSONAL_TOKEN".into(), String::new()),
    ]
}

fn run(db: &TestDb, root: &Path, args: &[&str]) -> std::process::Output {
    let env = env_of(root);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    telemetry_with(db, args, &env)
}

#[tokio::test]
async fn a_directory_and_a_pattern_are_one_run_with_each_files_counts() {
    let db = TestDb::new("cli_tree_dir").await;
    let root = home("dir");
    let dir = root.display().to_string();
    let r = json(&run(&db, &root, &["ingest", "jsonl", &dir, "--json"]));
    assert_eq!(r["files"].as_array().map(Vec::len), Some(2), "{r}");
    let rows: u64 = r["files"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| f["rows_read"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(r["rows_read"].as_u64(), Some(rows));
    assert_eq!(db.count("ingest_runs").await, 1, "one run for the tree");
    assert_eq!(r["inserted"].as_i64(), Some(db.count("llm_calls").await));
    assert!(db.count("llm_calls").await >= 4);

    // The same files by pattern: unchanged, nothing read.
    let pattern = format!("{dir}/*/*/*/*/*/*.jsonl");
    let again = json(&run(&db, &root, &["ingest", "jsonl", &pattern, "--json"]));
    assert_eq!(again["files_unchanged"].as_u64(), Some(1), "{again}");
    assert_eq!(again["rows_read"].as_u64(), Some(0));

    // Nothing there is an error naming the path.
    let missing = run(&db, &root, &["ingest", "jsonl", "/nonexistent/dir"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/dir"));
    db.drop_db().await;
    let _ = std::fs::remove_dir_all(&root);
}

#[tokio::test]
async fn claude_and_codex_flags_read_the_agents_trees() {
    let db = TestDb::new("cli_tree_agents").await;
    let root = home("agents");
    let r = json(&run(&db, &root, &["ingest", "jsonl", "--claude", "--json"]));
    assert_eq!(r["files"].as_array().map(Vec::len), Some(1), "{r}");
    assert!(r["files"][0]["path"]
        .as_str()
        .unwrap_or("")
        .contains("claude-config/projects"));
    let r = json(&run(&db, &root, &["ingest", "jsonl", "--codex", "--json"]));
    assert!(r["files"][0]["path"]
        .as_str()
        .unwrap_or("")
        .contains("codex-home/sessions"));
    std::fs::remove_dir_all(root.join("codex-home")).expect("rm");
    let none = run(&db, &root, &["ingest", "jsonl", "--codex"]);
    assert!(!none.status.success());
    assert!(String::from_utf8_lossy(&none.stderr).contains("no Codex transcripts"));
    db.drop_db().await;
    let _ = std::fs::remove_dir_all(&root);
}

#[tokio::test]
async fn ingest_all_runs_what_is_there_and_notes_what_is_not() {
    let db = TestDb::new("cli_ingest_all").await;
    let root = home("all");
    let out = run(
        &db,
        &root,
        &["ingest", "all", "--claude", "--codex", "--json"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json(&out);
    let skipped: Vec<String> = r["skipped"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| s.as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        skipped.iter().any(|s| s.starts_with("github: no token")),
        "{r}"
    );
    assert!(skipped.iter().any(|s| s.starts_with("csv: no file")), "{r}");
    assert_eq!(r["transcripts"]["files"].as_array().map(Vec::len), Some(2));
    assert!(r["github"].is_null() && r["csv"].is_null());

    // With a usage.csv it is read too, in the same report.
    std::fs::write(
        root.join("usage.csv"),
        "timestamp,model,prompt_tokens,completion_tokens\n2026-11-20T09:00:00Z,gpt-4o,10,10\n",
    )
    .expect("csv");
    let r = json(&run(&db, &root, &["ingest", "all", "--json"]));
    assert_eq!(r["csv"]["inserted"].as_u64(), Some(1), "{r}");
    assert!(r["transcripts"].is_null(), "no tree asked for: {r}");
    db.drop_db().await;
    let _ = std::fs::remove_dir_all(&root);
}
