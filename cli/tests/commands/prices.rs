//! `telemetry prices`, `prices set/unset`, `reprice` and the source comparison of `cost`, as
//! a user runs them against a fresh database.

use std::process::Output;

use crate::common::telemetry;
use telemetry_tests::TestDb;

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_str(&ok(out)).expect("JSON on stdout")
}

fn log_file(name: &str, lines: &[&str]) -> String {
    let path = std::env::temp_dir().join(format!("{name}-{}.jsonl", std::process::id()));
    std::fs::write(&path, lines.join("\n") + "\n").expect("write log");
    path.to_string_lossy().into_owned()
}

#[tokio::test]
async fn prices_show_the_table_and_why_a_name_is_priced() {
    let db = TestDb::new("cli_prices_show").await;
    let summary = json(&telemetry(&db, &["prices", "--json"]));
    assert!(summary["models"].as_u64().unwrap_or(0) > 300, "{summary}");
    assert!(summary["version"]
        .as_str()
        .unwrap_or("")
        .starts_with("litellm-"));
    let bedrock = json(&telemetry(
        &db,
        &[
            "prices",
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "--json",
        ],
    ));
    assert_eq!(bedrock["matched"], "exact name", "{bedrock}");
    assert_eq!(bedrock["prices"]["input"], 3.3);
    let dated = json(&telemetry(
        &db,
        &["prices", "claude-sonnet-4-5-20250929", "--json"],
    ));
    assert_eq!(dated["entry"], "claude-sonnet-4-5");
    assert_eq!(dated["prices"]["cache_write_1h"], 6.0);
    assert_eq!(dated["prices"]["long_context"][0]["above_tokens"], 200_000);
    let text = ok(&telemetry(&db, &["prices", "claude-sonnet-4-5"]));
    assert!(text.contains("prompt > 200k tokens"), "{text}");
    // An unknown model: exit 1, and the way to price it.
    let unknown = telemetry(&db, &["prices", "acme-llm"]);
    assert_eq!(unknown.status.code(), Some(1));
    let said = String::from_utf8_lossy(&unknown.stdout);
    assert!(said.contains("no price"), "{said}");
    assert!(said.contains("prices set acme-llm"), "{said}");
    db.drop_db().await;
}

#[tokio::test]
async fn an_override_then_reprice_changes_stored_costs_once() {
    let db = TestDb::new("cli_reprice").await;
    let log = log_file(
        "reprice",
        &[
            r#"{"kind":"api_call","call_id":"a","ts":"2026-11-20T08:00:00Z","model":"acme-llm","tokens_input":1000000,"tokens_output":1000000}"#,
            r#"{"kind":"api_call","call_id":"b","ts":"2026-11-20T08:01:00Z","model":"claude-sonnet-4-5","tokens_input":1000,"tokens_output":100}"#,
            r#"{"kind":"api_call","call_id":"c","ts":"2026-11-20T08:02:00Z","model":"mystery-llm","tokens_input":10,"tokens_output":10,"estimated_cost_usd":0.5}"#,
        ],
    );
    ok(&telemetry(&db, &["ingest", "jsonl", &log, "--json"]));
    let nothing = json(&telemetry(&db, &["reprice", "--json"]));
    assert_eq!(nothing["report"]["examined"], 3, "{nothing}");
    assert_eq!(nothing["report"]["changed"], 0);
    assert_eq!(nothing["report"]["unpriced"], 1);
    assert_eq!(nothing["report"]["kept_from_source"], 1);

    // Bad rates are refused before anything is stored.
    for bad in ["--input=-1", "--input=NaN", "--input=20000"] {
        let out = telemetry(&db, &["prices", "set", "acme-llm", bad, "--output", "1"]);
        assert!(!out.status.success(), "{bad} accepted");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains("USD per million"), "{bad}: {said}");
    }
    ok(&telemetry(
        &db,
        &[
            "prices", "set", "acme-llm", "--input", "1", "--output", "2", "--note", "ours",
        ],
    ));
    let dry = json(&telemetry(&db, &["reprice", "--dry-run", "--json"]));
    assert_eq!(dry["report"]["changed"], 1, "{dry}");
    assert_eq!(dry["report"]["newly_priced"], 1);
    assert_eq!(dry["report"]["after_usd"], 3.0);
    let still = json(&telemetry(
        &db,
        &["cost", "--since", "2026-11-20", "--json"],
    ));
    assert_eq!(
        still["total"]["unpriced_calls"], 1,
        "the dry run wrote nothing"
    );

    // Only the model asked for.
    let other = json(&telemetry(
        &db,
        &["reprice", "--model", "claude-sonnet-4-5-20250929", "--json"],
    ));
    assert_eq!(other["report"]["examined"], 1, "{other}");
    assert_eq!(other["report"]["changed"], 0);

    let done = json(&telemetry(&db, &["reprice", "--json"]));
    assert_eq!(done["report"]["changed"], 1, "{done}");
    // The call whose cost only its source knew keeps it.
    assert_eq!(done["report"]["kept_from_source"], 1);
    let cost = json(&telemetry(
        &db,
        &["cost", "--since", "2026-11-20", "--json"],
    ));
    assert_eq!(cost["total"]["unpriced_calls"], 0, "{cost}");
    // 1M x $1 + 1M x $2, plus 1,000 x $3/M + 100 x $15/M, plus the source's $0.50.
    assert!((cost["total"]["cost_usd"].as_f64().unwrap_or(0.0) - 3.5045).abs() < 1e-9);
    let twice = json(&telemetry(&db, &["reprice", "--json"]));
    assert_eq!(twice["report"]["changed"], 0, "idempotent: {twice}");

    // A re-ingest after the reprice finds every call unchanged: the file is not even read
    // again unless asked, and read whole it stores nothing new.
    let again = json(&telemetry(&db, &["ingest", "jsonl", &log, "--json"]));
    assert_eq!(
        (
            again["files_unchanged"].as_u64(),
            again["rows_read"].as_u64()
        ),
        (Some(1), Some(0)),
        "{again}"
    );
    let again = json(&telemetry(
        &db,
        &["ingest", "jsonl", &log, "--full", "--json"],
    ));
    assert_eq!(again["duplicates"], 3, "{again}");

    ok(&telemetry(&db, &["prices", "unset", "acme-llm"]));
    let back = json(&telemetry(&db, &["reprice", "--json"]));
    assert_eq!(back["report"]["changed"], 1, "{back}");
    assert_eq!(back["report"]["unpriced"], 1);
    assert!(!telemetry(&db, &["prices", "unset", "acme-llm"])
        .status
        .success());
    db.drop_db().await;
}

#[tokio::test]
async fn cost_shows_the_sources_own_figure_beside_the_tables() {
    let db = TestDb::new("cli_cost_source").await;
    let log = log_file(
        "source-cost",
        &[
            r#"{"kind":"api_call","call_id":"a","ts":"2026-11-20T08:00:00Z","model":"claude-sonnet-4-5","tokens_input":1000,"tokens_output":100,"estimated_cost_usd":0.01}"#,
            r#"{"kind":"api_call","call_id":"b","ts":"2026-11-20T08:01:00Z","model":"claude-sonnet-4-5","tokens_input":1000,"tokens_output":100}"#,
        ],
    );
    ok(&telemetry(&db, &["ingest", "jsonl", &log, "--json"]));
    let c = json(&telemetry(
        &db,
        &["cost", "--since", "2026-11-20", "--json"],
    ));
    let t = &c["total"];
    assert_eq!(t["sourced_calls"], 1, "{c}");
    assert_eq!(t["source_cost_usd"], 0.01);
    assert_eq!(t["table_cost_of_sourced_usd"], 0.0045);
    assert_eq!(t["cost_usd"], 0.009);
    let text = ok(&telemetry(&db, &["cost", "--since", "2026-11-20"]));
    assert!(
        text.contains("the source says $0.0100, the price table $0.0045 (-$0.0055, -55.0%)"),
        "{text}"
    );
    db.drop_db().await;
}
