//! The read API (`GET /api/v1/...`) as a script or the dashboard uses it: read keys read their
//! project only and write nothing, an admin read key reads everything, figures equal what was
//! stored, lists page through every row once, and hostile queries are refused by parameter.

mod activity;
mod agents_fleet;
mod conversation;
mod hostile;
mod lists;
mod plans;

use serde_json::{json, Value};
use telemetry_shared::http::KeyKind;
use telemetry_tests::http_api::Api;

pub(super) const A: &str = "alpha__1a2b3c4d";
pub(super) const B: &str = "beta__5e6f7a8b";
pub(super) const RANGE: &str = "since=2026-11-20&until=2026-11-23";

pub(super) fn call(id: &str, ts: &str, model: &str, session: &str, input: u64) -> Value {
    json!({"call_id": id, "timestamp": ts, "model": model, "session_id": session,
           "tokens_input": input, "tokens_output": 100, "tokens_cache_read": 2000,
           "tokens_cache_write": 300})
}

/// Project A: two priced calls on 2026-11-20, one on the 21st, one unpriced; project B one;
/// one call read from a file (no project).
pub(super) async fn seeded() -> (Api, String) {
    let t = Api::new("read_api").await;
    let a = t.key(A, KeyKind::Secret).await;
    let b = t.key(B, KeyKind::Secret).await;
    let calls = json!({"calls": [
        call("a1", "2026-11-20T08:00:00Z", "claude-sonnet-4-5", "s-1", 1000),
        call("a2", "2026-11-20T09:00:00Z", "claude-sonnet-4-5", "s-1", 3000),
        call("a3", "2026-11-21T10:00:00Z", "claude-sonnet-4-5", "s-2", 500),
        call("a4", "2026-11-21T11:00:00Z", "acme-llm", "s-2", 7),
    ]});
    assert_eq!(t.post("/ingest/llm-calls", &a, &calls).await.status, 202);
    let one = json!({"calls": [call("b1", "2026-11-20T08:30:00Z", "claude-sonnet-4-5", "s-b", 9)]});
    assert_eq!(t.post("/ingest/llm-calls", &b, &one).await.status, 202);
    t.db.client()
        .await
        .batch_execute(
            "INSERT INTO llm_calls (dedup_key, content_hash, source, timestamp, model,
                 input_tokens, output_tokens, cost_status)
             VALUES ('\\x000102030405060708090a0b0c0d0e0f', 1, 'usage_csv',
                 '2026-11-22T09:00:00Z', 'acme-llm', 10, 10, 'unknown_model')",
        )
        .await
        .expect("a file's call");
    (t, a)
}

/// An admin read key (`keys create --read --all-projects`).
pub(super) async fn admin_key(t: &Api) -> String {
    let key = telemetry_shared::http::generate(KeyKind::Read).expect("key");
    telemetry_shared::http::store::keys::insert_key(&**t.db.client().await, None, &key, None)
        .await
        .expect("admin key");
    key.key
}

/// The stored sums of project `p` (or every row) per day and model, as the database prints
/// them: what the API must answer, digit for digit.
async fn stored(t: &Api, p: Option<&str>) -> Vec<(String, String, i64, Option<String>)> {
    let rows =
        t.db.client()
            .await
            .query(
                "SELECT (timestamp AT TIME ZONE 'UTC')::date::text, model, count(*),
                    trim_scale(sum(estimated_cost))::text
             FROM llm_calls WHERE $1::text IS NULL OR project_id = $1
             GROUP BY 1, 2 ORDER BY 1, 2",
                &[&p],
            )
            .await
            .expect("sums");
    rows.iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect()
}

fn answered(body: &Value) -> Vec<(String, String, i64, Option<String>)> {
    body["days"]
        .as_array()
        .expect("days")
        .iter()
        .map(|d| {
            (
                d["day"].as_str().expect("day").to_string(),
                d["model"].as_str().expect("model").to_string(),
                d["calls"].as_i64().expect("calls"),
                (!d["cost_usd"].is_null()).then(|| d["cost_usd"].to_string()),
            )
        })
        .collect()
}

#[tokio::test]
async fn read_keys_read_their_project_only_and_write_nothing() {
    let (t, secret_a) = seeded().await;
    let read_a = t.key(A, KeyKind::Read).await;
    let url = format!("/api/v1/llm/cost-daily?{RANGE}");

    let got = t.get(&url, &read_a).await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(got.body["project"], A);
    assert_eq!(answered(&got.body), stored(&t, Some(A)).await);
    // The unpriced model is a row of its own with a null cost, never 0.
    let acme = got.body["days"]
        .as_array()
        .expect("days")
        .iter()
        .find(|d| d["model"] == "acme-llm")
        .expect("acme-llm")
        .clone();
    assert_eq!(
        (acme["unpriced_calls"].as_i64(), acme["cost_usd"].is_null()),
        (Some(1), true)
    );
    // Naming its own project is fine; another project is 403.
    assert_eq!(
        t.get(&format!("{url}&project={A}"), &read_a).await.status,
        200
    );
    let other = t.get(&format!("{url}&project={B}"), &read_a).await;
    assert_eq!(
        (other.status, &other.body["details"]["parameter"]),
        (403, &json!("project"))
    );
    // The project's secret key reads the same.
    let by_secret = t.get(&url, &secret_a).await;
    assert_eq!(by_secret.body["days"], got.body["days"]);

    // A read key writes nothing, on every write route.
    let before = t.db.count("llm_calls").await;
    let write = t
        .post(
            "/ingest/llm-calls",
            &read_a,
            &json!({"calls": [call("x", "2026-11-20T08:00:00Z", "m", "s", 1)]}),
        )
        .await;
    assert_eq!(
        (write.status, write.body["error"].as_str()),
        (403, Some("forbidden"))
    );
    let events = t
        .post(
            "/ingest",
            &read_a,
            &telemetry_tests::http_api::seed_batch(1),
        )
        .await;
    assert_eq!(events.status, 403, "{}", events.body);
    // Records (briefings) go to /ingest too; a read key in a public token's place is no token.
    let records = t
        .post(
            "/ingest",
            &read_a,
            &json!({"briefings": [{"status": "completed", "raw_markdown": "#"}]}),
        )
        .await;
    assert_eq!(records.status, 403, "{}", records.body);
    let as_token = t
        .call(
            "POST",
            &format!("/p/{read_a}/ingest"),
            &[("content-type", "application/json")],
            telemetry_tests::http_api::seed_batch(1)
                .to_string()
                .as_bytes(),
        )
        .await;
    assert_eq!(as_token.status, 401, "{}", as_token.body);
    assert_eq!(t.db.count("llm_calls").await, before);
    assert_eq!(t.db.count("briefings").await, 0);
    assert_eq!(t.events(A).await, 0);

    // A public token may not read; no key, a wrong key and a revoked key are 401.
    let public = t.key(A, KeyKind::Public).await;
    assert_eq!(t.get("/api/v1/whoami", &public).await.status, 403);
    assert_eq!(t.call("GET", &url, &[], b"").await.status, 401);
    let mut forged = read_a.clone();
    forged.pop();
    forged.push(if read_a.ends_with('0') { '1' } else { '0' });
    assert_eq!(t.get(&url, &forged).await.status, 401);
    let who = t.get("/api/v1/whoami", &read_a).await;
    assert_eq!(who.body, json!({"scope": "project", "project_id": A}));
    let prefix = telemetry_shared::http::parse_key(&read_a)
        .expect("key")
        .1
        .to_string();
    t.db.client()
        .await
        .execute(
            "UPDATE api_keys SET revoked_at = now() WHERE prefix = $1",
            &[&prefix],
        )
        .await
        .expect("revoke");
    assert_eq!(t.get(&url, &read_a).await.status, 401);
}

#[tokio::test]
async fn an_admin_read_key_reads_every_project_and_the_files_rows() {
    let (t, _) = seeded().await;
    let admin = admin_key(&t).await;
    let who = t.get("/api/v1/whoami", &admin).await;
    assert_eq!(
        who.body,
        json!({"scope": "all_projects", "project_id": null})
    );
    let all = t
        .get(&format!("/api/v1/llm/cost-daily?{RANGE}"), &admin)
        .await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(answered(&all.body), stored(&t, None).await);
    let only_b = t
        .get(
            &format!("/api/v1/llm/cost-daily?{RANGE}&project={B}"),
            &admin,
        )
        .await;
    assert_eq!(answered(&only_b.body), stored(&t, Some(B)).await);
    // The range bounds the answer: the 22nd's file row is outside [20th, 22nd).
    let two_days = t
        .get(
            "/api/v1/llm/cost-daily?since=2026-11-20&until=2026-11-22",
            &admin,
        )
        .await;
    assert!(answered(&two_days.body)
        .iter()
        .all(|d| d.0.as_str() < "2026-11-22"));

    // Top sessions by cost: s-1 (two priced calls) before s-2 (one priced, one not).
    let top = t
        .get(
            &format!("/api/v1/llm/top?{RANGE}&project={A}&by=session"),
            &admin,
        )
        .await;
    let keys: Vec<&str> = top.body["top"]
        .as_array()
        .expect("top")
        .iter()
        .map(|l| l["key"].as_str().expect("key"))
        .collect();
    assert_eq!(keys, ["s-1", "s-2"], "{}", top.body);
    assert_eq!(top.body["top"][1]["unpriced_calls"], 1);
}
