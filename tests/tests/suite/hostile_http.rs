//! Hostile requests to http-ingest at the handler: values PostgreSQL would refuse are
//! rejected per item with their JSON path (207, or 400 when nothing is left), never a 500; a
//! value the database still refuses costs only its item; a clock-skew correction out of
//! range is a reject, not a crash; malformed batches never use up a public token's rate
//! limit; the bearer scheme is case-insensitive; a webhook run with bad values is a 4xx.
//! Real PostgreSQL; every answer is checked against the OpenAPI document.

use serde_json::json;
use telemetry_shared::http::KeyKind;
use telemetry_tests::http_api::{seed_batch, signed, Api, WEBHOOK_SECRET};

const PROJECT: &str = "swamp__1a2b3c4d";

#[tokio::test]
async fn events_with_values_the_columns_refuse_are_rejected_by_path() {
    let t = Api::new("hostile_http_events").await;
    let key = t.key(PROJECT, KeyKind::Secret).await;
    let mut body = seed_batch(5);
    body["batch"][1]["properties"]["note"] = json!("a\u{0}b");
    body["batch"][2]["properties"] = json!({"k\u{0}": 1});
    body["batch"][3]["event"] = json!("cli\u{0}invocation");
    // A client clock so far ahead that the corrected timestamp falls before 4714 BC.
    body["batch"][4]["timestamp"] = json!("0001-01-01T00:00:00Z");
    body["sent_at"] = json!("9999-12-31T23:59:59Z");
    let a = t.post("/ingest", &key, &body).await;
    assert_eq!(a.status, 207, "{}", a.body);
    assert_eq!(a.body["rejected"], 4, "{}", a.body);
    let paths: Vec<&str> = (1..5)
        .map(|i| a.body["results"][i]["path"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        paths,
        [
            "$.batch[1].properties.note",
            "$.batch[2].properties.k\\u0000",
            "$.batch[3].event",
            "$.batch[4].timestamp"
        ]
    );
    assert_eq!(t.events(PROJECT).await, 1);
    t.db.drop_db().await;
}

#[tokio::test]
async fn an_event_the_database_still_refuses_costs_only_itself() {
    let t = Api::new("hostile_http_bisect").await;
    t.db.client()
        .await
        .batch_execute(
            "ALTER TABLE telemetry_events ADD CONSTRAINT no_evil CHECK (event <> 'evil')",
        )
        .await
        .expect("constraint");
    let key = t.key(PROJECT, KeyKind::Secret).await;
    let mut body = seed_batch(4);
    body["batch"][2]["event"] = json!("evil");
    let a = t.post("/ingest", &key, &body).await;
    assert_eq!(a.status, 207, "{}", a.body);
    assert_eq!(
        (a.body["accepted"].as_u64(), a.body["rejected"].as_u64()),
        (Some(3), Some(1))
    );
    assert_eq!(a.body["results"][2]["status"], "rejected");
    assert_eq!(a.body["results"][2]["path"], "$.batch[2]");
    assert!(
        a.body["results"][2]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("no_evil")),
        "{}",
        a.body
    );
    assert_eq!(t.events(PROJECT).await, 3);
    // Re-sent: the three are duplicates, the refused one refused again.
    let again = t.post("/ingest", &key, &body).await;
    assert_eq!(again.status, 207);
    assert_eq!(again.body["duplicate"], 3);
    // Only the refused event: 400, nothing stored.
    let only = json!({"batch": [body["batch"][2]]});
    let a = t.post("/ingest", &key, &only).await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(t.events(PROJECT).await, 3);
    t.db.drop_db().await;
}

#[tokio::test]
async fn llm_calls_with_values_the_columns_refuse_are_rejected_by_path() {
    let t = Api::new("hostile_http_calls").await;
    let key = t.key(PROJECT, KeyKind::Secret).await;
    let call = |i: u32| {
        json!({"ts": format!("2026-11-22T08:00:{i:02}Z"), "model": "gpt-4o",
               "tokens_input": 1000, "tokens_output": 100})
    };
    let mut calls: Vec<_> = (0..5).map(call).collect();
    calls[1]["model"] = json!("m".repeat(101));
    calls[2]["session_id"] = json!("s\u{0}");
    calls[3]["estimated_cost_usd"] = json!(5e6);
    let a = t
        .post("/ingest/llm-calls", &key, &json!({"calls": calls}))
        .await;
    assert_eq!(a.status, 207, "{}", a.body);
    assert_eq!(a.body["inserted"], 2);
    let paths: Vec<&str> = (0..3)
        .map(|i| a.body["results"][i]["path"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        paths,
        [
            "$.calls[1].model",
            "$.calls[2].session_id",
            "$.calls[3].estimated_cost_usd"
        ]
    );
    assert_eq!(t.db.count("llm_calls").await, 2);

    // A refusal the column checks do not know: isolated to its call.
    t.db.client()
        .await
        .batch_execute("ALTER TABLE llm_calls ADD CONSTRAINT no_evil CHECK (model <> 'evil')")
        .await
        .expect("constraint");
    let mut calls: Vec<_> = (10..14).map(call).collect();
    calls[1]["model"] = json!("evil");
    let a = t
        .post("/ingest/llm-calls", &key, &json!({"calls": calls}))
        .await;
    assert_eq!(a.status, 207, "{}", a.body);
    assert_eq!(a.body["inserted"], 3);
    assert_eq!(a.body["results"][0]["index"], 1);
    assert_eq!(t.db.count("llm_calls").await, 5);
    t.db.drop_db().await;
}

#[tokio::test]
async fn malformed_batches_do_not_use_up_a_public_tokens_limit() {
    // The test API allows a public token 5 events a minute.
    let t = Api::new("hostile_http_rate").await;
    telemetry_tests::http_api::within_one_minute().await;
    let token = t.key(PROJECT, KeyKind::Public).await;
    let path = format!("/p/{token}/ingest");
    let post = |body: serde_json::Value| {
        let path = path.clone();
        let t = &t;
        async move {
            t.call(
                "POST",
                &path,
                &[("content-type", "application/json")],
                body.to_string().as_bytes(),
            )
            .await
        }
    };
    // 500 items: over the batch limit (413), and none of them counts.
    let many: Vec<_> = (0..500).map(|_| json!({"event": "e"})).collect();
    assert_eq!(post(json!({"batch": many})).await.status, 413);
    // Every event invalid: 400, none counts.
    let bad: Vec<_> = (0..4).map(|_| json!({"event": ""})).collect();
    assert_eq!(post(json!({"batch": bad})).await.status, 400);
    // The five allowed events still go through.
    let a = post(seed_batch(5)).await;
    assert_eq!(a.status, 202, "{}", a.body);
    let mut sixth = seed_batch(1);
    sixth["batch"][0]["properties"]["command"] = json!("model method list");
    assert_eq!(post(sixth).await.status, 429);
    t.db.drop_db().await;
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let t = Api::new("hostile_http_bearer").await;
    let key = t.key(PROJECT, KeyKind::Secret).await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let auth = format!("{scheme} {key}");
        let a = t
            .call(
                "POST",
                "/ingest",
                &[
                    ("content-type", "application/json"),
                    ("authorization", &auth),
                ],
                seed_batch(1).to_string().as_bytes(),
            )
            .await;
        assert!(a.status == 202, "{scheme}: {} {}", a.status, a.body);
    }
    let a = t
        .call(
            "POST",
            "/ingest",
            &[("authorization", &format!("Basic {key}"))],
            b"{}",
        )
        .await;
    assert_eq!(a.status, 401);
    t.db.drop_db().await;
}

#[tokio::test]
async fn a_webhook_run_with_values_the_columns_refuse_is_a_4xx() {
    let t = Api::new("hostile_http_webhook").await;
    let run = |branch: &str, name: &str| {
        json!({
            "action": "completed",
            "workflow_run": {
                "id": 30_433_642, "name": name, "head_branch": branch,
                "head_sha": "acb5820ced9479c074f688cc328bf03f341a511d", "event": "push",
                "status": "completed", "conclusion": "success", "run_attempt": 1,
                "created_at": "2026-11-22T07:50:00Z", "updated_at": "2026-11-22T07:50:41Z",
                "run_started_at": "2026-11-22T07:50:00Z",
                "html_url": "https://github.com/octo-org/octo-repo/actions/runs/30433642"
            },
            "repository": {"full_name": "octo-org/octo-repo"}
        })
        .to_string()
    };
    for (body, field) in [
        (run(&"b".repeat(300), "Build"), "branch"),
        (run("main", "Bu\u{0}ild"), "workflow_name"),
    ] {
        let sig = signed(body.as_bytes(), WEBHOOK_SECRET);
        let a = t
            .call(
                "POST",
                "/github/webhook",
                &[
                    ("x-github-event", "workflow_run"),
                    ("x-github-delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
                    ("x-hub-signature-256", &sig),
                ],
                body.as_bytes(),
            )
            .await;
        assert_eq!(a.status, 400, "{}", a.body);
        assert!(
            a.body["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(field)),
            "{}",
            a.body
        );
    }
    assert_eq!(t.db.count("workflow_runs").await, 0);
    t.db.drop_db().await;
}

#[tokio::test]
async fn a_projects_key_never_rewrites_another_projects_calls_or_coverage() {
    let t = Api::new("hostile_http_scope").await;
    let (a, b) = ("alpha__1a2b3c4d", "bravo__5e6f7a8b");
    let key_a = t.key(a, KeyKind::Secret).await;
    let key_b = t.key(b, KeyKind::Secret).await;
    let call = |tokens: u32, session: &str| {
        json!({"calls": [{"ts": "2026-11-22T08:00:00Z", "model": "gpt-4o", "call_id": "c-1",
                          "tokens_input": tokens, "tokens_output": 10, "session_id": session}]})
    };
    assert_eq!(
        t.post("/ingest/llm-calls", &key_a, &call(1000, "a-session"))
            .await
            .status,
        202
    );
    // Project B posts the same call id with other values: a row of its own.
    let r = t
        .post("/ingest/llm-calls", &key_b, &call(5, "b-session"))
        .await;
    assert_eq!(
        (r.status, r.body["inserted"].as_u64()),
        (202, Some(1)),
        "{}",
        r.body
    );
    let rows =
        t.db.client()
            .await
            .query(
                "SELECT project_id, input_tokens, session_id FROM llm_calls ORDER BY project_id",
                &[],
            )
            .await
            .expect("rows");
    let got: Vec<(String, i32, String)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        got,
        [
            (a.to_string(), 1000, "a-session".to_string()),
            (b.to_string(), 5, "b-session".to_string())
        ]
    );

    let report = |lines: &str| {
        json!({"coverage": [{"repository": "acme/api", "commit": "3f2a9c1", "format": "lcov",
                             "report": format!("SF:a.rs\n{lines}end_of_record\n")}]})
    };
    let r = t
        .post("/ingest", &key_a, &report("DA:1,1\nDA:2,1\nLF:2\nLH:2\n"))
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let r = t
        .post("/ingest", &key_b, &report("DA:1,0\nDA:2,0\nLF:2\nLH:0\n"))
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let rows =
        t.db.client()
            .await
            .query(
                "SELECT project_id, lines_covered FROM coverage_snapshots ORDER BY project_id",
                &[],
            )
            .await
            .expect("rows");
    let got: Vec<(String, i32)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(got, [(a.to_string(), 2), (b.to_string(), 0)]);
    t.db.drop_db().await;
}

#[tokio::test]
async fn numbers_in_properties_are_stored_exactly_and_told_apart() {
    let t = Api::new("hostile_http_numbers").await;
    let key = t.key(PROJECT, KeyKind::Secret).await;
    // Sent as raw text: beyond u64 and f64, and two ids that are one f64.
    let body = r#"{"batch": [
        {"event": "n", "distinct_id": "d", "timestamp": "2026-11-22T08:04:00Z",
         "properties": {"big": 123456789012345678901234567890, "pi": 3.14159265358979323846264338327950288,
                        "id": 9007199254740993}},
        {"event": "n", "distinct_id": "d", "timestamp": "2026-11-22T08:04:00Z",
         "properties": {"big": 123456789012345678901234567890, "pi": 3.14159265358979323846264338327950288,
                        "id": 9007199254740992}}
    ]}"#;
    let auth = format!("Bearer {key}");
    let a = t
        .call(
            "POST",
            "/ingest",
            &[
                ("content-type", "application/json"),
                ("authorization", &auth),
            ],
            body.as_bytes(),
        )
        .await;
    assert_eq!(a.status, 202, "{}", a.body);
    assert_eq!(a.body["accepted"], 2, "two events, not one: {}", a.body);
    let rows =
        t.db.client()
            .await
            .query(
                "SELECT properties->>'big', properties->>'pi', properties->>'id'
             FROM telemetry_events ORDER BY properties->>'id'",
                &[],
            )
            .await
            .expect("rows");
    let got: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let big = "123456789012345678901234567890".to_string();
    let pi = "3.14159265358979323846264338327950288".to_string();
    assert_eq!(
        got,
        [
            (big.clone(), pi.clone(), "9007199254740992".to_string()),
            (big, pi, "9007199254740993".to_string())
        ]
    );
    t.db.drop_db().await;
}
