//! LLM calls over HTTP priced as billed: the 1-hour share of cache writes kept (and refused
//! by path when it exceeds the writes), and a team's override applied to the next request.

use serde_json::json;
use telemetry_shared::http::KeyKind;
use telemetry_tests::http_api::Api;

const PROJECT: &str = "swamp__1a2b3c4d";

#[tokio::test]
async fn llm_calls_keep_the_one_hour_cache_writes_and_the_teams_prices() {
    let t = Api::new("http_calls_tiers").await;
    let key = t.key(PROJECT, KeyKind::Secret).await;
    let call = |id: &str, model: &str, write: u64, write_1h: u64| {
        json!({"call_id": id, "ts": "2026-11-22T08:00:00Z", "model": model,
               "tokens_input": 1000, "tokens_output": 100,
               "tokens_cache_write": write, "tokens_cache_write_1h": write_1h})
    };
    let calls = vec![
        call("a", "claude-sonnet-4-5", 10_000, 4_000),
        // More 1-hour writes than writes in all: refused, by path.
        call("b", "claude-sonnet-4-5", 10, 11),
        call("c", "acme-llm", 0, 0),
    ];
    let a = t
        .post("/ingest/llm-calls", &key, &json!({"calls": calls}))
        .await;
    assert_eq!(a.status, 207, "{}", a.body);
    assert_eq!(
        a.body["results"][0]["path"], "$.calls[1].tokens_cache_write_1h",
        "{}",
        a.body
    );
    let c = t.db.client().await;
    // 1,000 x 3 + 6,000 x 3.75 + 4,000 x 6 + 100 x 15 = 51,000 per million.
    let row = c
        .query_one(
            "SELECT cache_write_tokens, cache_write_1h_tokens, estimated_cost::float8
             FROM llm_calls WHERE model = 'claude-sonnet-4-5'",
            &[],
        )
        .await
        .expect("call");
    assert_eq!(
        (
            row.get::<_, i32>(0),
            row.get::<_, i32>(1),
            row.get::<_, f64>(2)
        ),
        (10_000, 4_000, 0.051)
    );
    // The team prices acme-llm; the next post of the same call is priced by it.
    c.execute(
        "INSERT INTO model_prices (model, prices) VALUES
         ('acme-llm', '{\"provider\": \"custom\", \"input\": 1.0, \"output\": 2.0}')",
        &[],
    )
    .await
    .expect("override");
    let again = t
        .post(
            "/ingest/llm-calls",
            &key,
            &json!({"calls": [call("c", "acme-llm", 0, 0)]}),
        )
        .await;
    assert_eq!(again.body["updated"], 1, "{}", again.body);
    let acme = c
        .query_one(
            "SELECT estimated_cost::float8, price_version FROM llm_calls WHERE model = 'acme-llm'",
            &[],
        )
        .await
        .expect("acme");
    // 1,000 x 1 + 100 x 2 per million.
    assert_eq!(acme.get::<_, f64>(0), 0.0012);
    assert!(acme.get::<_, String>(1).starts_with("db:"));
    t.db.drop_db().await;
}

#[tokio::test]
async fn posted_calls_carry_their_attribution_and_a_bad_part_is_refused_by_path() {
    let t = Api::new("http_calls_attribution").await;
    let key = t.key(PROJECT, KeyKind::Secret).await;
    let call = |id: &str, extra: serde_json::Value| {
        let mut c = json!({"call_id": id, "ts": "2026-12-02T08:00:00Z", "model": "claude-sonnet-4-5",
                           "tokens_input": 10, "tokens_output": 10});
        for (k, v) in extra.as_object().expect("object") {
            c[k] = v.clone();
        }
        c
    };
    let calls = vec![
        call(
            "a",
            json!({"tool": "claude_code", "repository": "acme/api", "git_branch": "refs/heads/main",
                         "user_email": "Dev@Example.com", "app_version": "2.1.240"}),
        ),
        call("b", json!({"tool": "vim"})),
        call("c", json!({"repository": "not a repository"})),
        call("d", json!({"git_branch": "fix\u{0}nul"})),
        call("e", json!({"user_id": 42})),
    ];
    let a = t
        .post("/ingest/llm-calls", &key, &json!({"calls": calls}))
        .await;
    assert_eq!(a.status, 207, "{}", a.body);
    let paths: Vec<&str> = a.body["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["path"].as_str())
        .collect();
    assert_eq!(
        paths,
        [
            "$.calls[1].tool",
            "$.calls[2].repository",
            "$.calls[3].git_branch",
            "$.calls[4].user_id"
        ],
        "{}",
        a.body
    );
    let row =
        t.db.client()
            .await
            .query_one(
                "SELECT tool, repository, git_branch, user_id, app_version FROM llm_calls",
                &[],
            )
            .await
            .expect("call");
    assert_eq!(row.get::<_, &str>(0), "claude_code");
    assert_eq!(row.get::<_, Option<&str>>(1), Some("acme/api"));
    assert_eq!(row.get::<_, Option<&str>>(2), Some("main"));
    let user: &str = row.get::<_, Option<&str>>(3).expect("user");
    assert!(user.starts_with("sha256:") && !user.contains('@'), "{user}");
    assert_eq!(row.get::<_, Option<&str>>(4), Some("2.1.240"));
    t.db.drop_db().await;
}
