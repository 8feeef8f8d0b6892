//! OTLP exports in Claude Code's shape, JSON and protobuf, posted to `telemetry serve` over
//! TCP: they land as attributed calls, a re-send changes nothing, a refused record is named
//! in `partialSuccess`; and `telemetry cost --by ...` and `--with-ci` read them back.

use serde_json::{json, Value};
use telemetry_tests::otlp::{claude_resource, claude_session, export, i, protobuf, record, s};
use telemetry_tests::TestDb;

use crate::common::{json as stdout_json, telemetry, Server};

const PROJECT: &str = "api__0a1b2c3d";

async fn counts(db: &TestDb) -> (i64, i64) {
    (
        db.count("llm_calls").await,
        db.count("telemetry_events").await,
    )
}

#[tokio::test]
async fn claude_code_exports_posted_to_serve_land_once_and_cost_reads_them_by_branch() {
    let db = TestDb::new("cli_otlp").await;
    let created = stdout_json(&telemetry(
        &db,
        &["keys", "create", "--project", PROJECT, "--json"],
    ));
    let key = created["key"].as_str().expect("key").to_string();
    let server = Server::start(&db.url, &[]);
    let http = reqwest::Client::new();
    let send = |ct: &'static str, body: Vec<u8>| {
        http.post(server.url("/v1/logs"))
            .bearer_auth(&key)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let json_export = claude_session("e2e-json");
    let proto_export = protobuf(&claude_session("e2e-proto"));
    for _ in 0..2 {
        let a = send("application/json", json_export.to_string().into_bytes())
            .await
            .expect("post");
        assert_eq!(a.status(), 200);
        assert_eq!(a.json::<Value>().await.expect("json"), json!({}));
        let b = send("application/x-protobuf", proto_export.clone())
            .await
            .expect("post");
        assert_eq!(b.status(), 200);
        assert_eq!(b.headers()["content-type"], "application/x-protobuf");
        assert!(
            b.bytes().await.expect("body").is_empty(),
            "an empty response message"
        );
        // Sent twice: stored once.
        assert_eq!(counts(&db).await, (6, 6));
    }
    // One bad record among good ones: 200, the count and the path in partialSuccess.
    let bad = export(
        claude_resource(),
        "com.anthropic.claude_code.events",
        vec![
            record(
                "2026-12-02T08:30:00Z",
                "claude_code.api_request",
                vec![
                    s("event.name", "api_request"),
                    s("session.id", "e2e-bad"),
                    i("event.sequence", 1),
                    s("model", "claude-haiku-4-5"),
                    s("input_tokens", "10"),
                    s("output_tokens", "5"),
                ],
            ),
            record(
                "2026-12-02T08:30:01Z",
                "claude_code.api_request",
                vec![
                    s("event.name", "api_request"),
                    s("session.id", "e2e-bad"),
                    i("event.sequence", 2),
                    s("model", "claude-haiku-4-5"),
                    s("input_tokens", "ten"),
                ],
            ),
        ],
    );
    let p: Value = send("application/json", bad.to_string().into_bytes())
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    assert_eq!(
        p["partialSuccess"]["rejectedLogRecords"]
            .to_string()
            .trim_matches('"'),
        "1",
        "{p}"
    );
    assert!(
        p["partialSuccess"]["errorMessage"]
            .as_str()
            .unwrap_or_default()
            .contains("logRecords[1]: input_tokens"),
        "{p}"
    );
    assert_eq!(counts(&db).await, (7, 6));

    // CI on the branch the calls name: two runs, one failed, 10 + 5 minutes.
    let c = db.client().await;
    c.execute(
        "INSERT INTO workflow_runs (github_run_id, run_attempt, repository, workflow_name,
             branch, status, conclusion, started_at, completed_at, duration_seconds)
         VALUES (1, 1, 'acme/api', 'CI', 'feature/otlp', 'completed', 'failure',
                 '2026-12-02T08:05:00Z', '2026-12-02T08:15:00Z', 600),
                (1, 2, 'acme/api', 'CI', 'feature/otlp', 'completed', 'success',
                 '2026-12-02T08:20:00Z', '2026-12-02T08:25:00Z', 300),
                (2, 1, 'acme/api', 'CI', 'main', 'completed', 'success',
                 '2026-12-02T08:20:00Z', '2026-12-02T08:25:00Z', 300)",
        &[],
    )
    .await
    .expect("runs");
    let stored: f64 = c
        .query_one(
            "SELECT sum(estimated_cost)::float8 FROM llm_calls
             WHERE repository = 'acme/api' AND git_branch = 'feature/otlp'",
            &[],
        )
        .await
        .expect("sum")
        .get(0);
    let ci = stdout_json(&telemetry(
        &db,
        &[
            "cost",
            "--since",
            "2026-12-01",
            "--by",
            "branch",
            "--with-ci",
            "--json",
        ],
    ));
    let branches = ci["branches"].as_array().expect("branches");
    assert_eq!(branches.len(), 1, "{ci}");
    let b = &branches[0];
    assert_eq!(b["keys"], json!(["acme/api", "feature/otlp"]));
    assert_eq!(b["calls"], 7);
    assert_eq!(
        (b["runs"].clone(), b["failed_runs"].clone()),
        (json!(2), json!(1))
    );
    assert_eq!(b["run_minutes"], json!(15.0));
    assert!(
        (b["cost_usd"].as_f64().expect("usd") - stored).abs() < 1e-9,
        "{b} vs {stored}"
    );

    // Grouped any way, the groups add up to the total.
    let by = stdout_json(&telemetry(
        &db,
        &[
            "cost",
            "--since",
            "2026-12-01",
            "--by",
            "project,tool,user",
            "--json",
        ],
    ));
    let groups = by["groups"].as_array().expect("groups");
    let keys: Vec<Value> = groups.iter().map(|g| g["keys"].clone()).collect();
    assert_eq!(
        keys,
        [
            json!([PROJECT, "claude_code", "acct-7b1e5d2c"]),
            json!([PROJECT, "claude_code", "(no user)"])
        ],
        "{by}"
    );
    let sum: i64 = groups
        .iter()
        .map(|g| g["calls"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(json!(sum), by["total"]["calls"]);
    let table = telemetry(
        &db,
        &["cost", "--since", "2026-12-01", "--by", "branch,model"],
    );
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("branch / model")
            && text.contains("feature/otlp / claude-sonnet-4-5-20250929"),
        "{text}"
    );
    let wrong = telemetry(&db, &["cost", "--since", "2026-12-01", "--by", "colour"]);
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("expected project, repository"));
    let lonely = telemetry(&db, &["cost", "--since", "2026-12-01", "--with-ci"]);
    assert!(!lonely.status.success(), "--with-ci needs --by branch");
    db.drop_db().await;
}

#[tokio::test]
async fn claude_transcripts_carry_their_branch_and_version_into_cost() {
    let db = TestDb::new("cli_transcript_branch").await;
    let dir = std::env::temp_dir().join(format!("transcript-branch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let line = |id: &str, branch: &str, ts: &str| {
        json!({"type": "assistant", "sessionId": "sess-b", "requestId": format!("req_{id}"),
               "timestamp": ts, "gitBranch": branch, "cwd": "/home/dev/api", "version": "2.1.240",
               "message": {"id": format!("msg_{id}"), "model": "claude-sonnet-4-5-20250929",
                           "usage": {"input_tokens": 10, "output_tokens": 20}}})
        .to_string()
    };
    let file = dir.join("session.jsonl");
    std::fs::write(
        &file,
        [
            line("a", "fix/retry", "2026-12-02T09:00:00Z"),
            line("b", "HEAD", "2026-12-02T09:01:00Z"),
        ]
        .join("\n"),
    )
    .expect("transcript");
    stdout_json(&telemetry(
        &db,
        &["ingest", "jsonl", file.to_str().expect("utf8"), "--json"],
    ));
    let by = stdout_json(&telemetry(
        &db,
        &[
            "cost",
            "--since",
            "2026-12-01",
            "--by",
            "branch,tool",
            "--json",
        ],
    ));
    let keys: Vec<Value> = by["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| g["keys"].clone())
        .collect();
    // A detached HEAD is no branch.
    assert!(keys.contains(&json!(["fix/retry", "claude_code"])), "{by}");
    assert!(
        keys.contains(&json!(["(no branch)", "claude_code"])),
        "{by}"
    );
    let version: String = db
        .client()
        .await
        .query_one("SELECT DISTINCT app_version FROM llm_calls", &[])
        .await
        .expect("version")
        .get(0);
    assert_eq!(version, "2.1.240");
    std::fs::remove_dir_all(&dir).ok();
    db.drop_db().await;
}
