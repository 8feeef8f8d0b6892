//! http-ingest end to end through the real Lambda Runtime API: `cargo lambda watch` runs the
//! function and serves it at its function-URL emulation; the seed's client (ported to a Node
//! script, unchanged in behaviour) posts a batch with a public token in the endpoint path.

use std::process::Command;

use serde_json::{json, Value};
use telemetry_shared::http::KeyKind;
use telemetry_tests::http_api::create_key;
use telemetry_tests::lambda::Watch;
use telemetry_tests::TestDb;

fn seed_client(endpoint: &str, entries: &Value) -> String {
    let script = format!("{}/fixtures/seed_client.mjs", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("node")
        .arg(script)
        .arg(endpoint)
        .arg("550e8400-e29b-41d4-a716-446655440000")
        .arg(entries.to_string())
        .output()
        .expect("node (scripts/test installs it when missing)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test]
async fn the_seeds_client_posts_through_the_lambda_runtime_api() {
    let db = TestDb::new("http_lambda").await;
    let token = create_key(&**db.client().await, "swamp__1a2b3c4d", KeyKind::Public).await;
    let watch = Watch::start_http(&[("DATABASE_URL", &db.url)], "http-ingest", "/healthz");
    let base = format!("http://127.0.0.1:{}/lambda-url/http-ingest", watch.port);

    let health = reqwest::get(format!("{base}/healthz"))
        .await
        .expect("healthz");
    assert_eq!(health.status().as_u16(), 200);

    let entries = json!([
        {"id": "e1", "command": "init", "exitCode": 0, "startedAt": "2026-11-22T08:00:00.000Z"},
        {"id": "e2", "command": "model method run", "exitCode": 1, "startedAt": "2026-11-22T08:00:05.000Z"}
    ]);
    let endpoint = format!("{base}/p/{token}");
    assert_eq!(seed_client(&endpoint, &entries), "true");
    assert_eq!(db.count("telemetry_events").await, 2);
    // Sent twice (a retry after a lost answer): still 202, still two rows.
    assert_eq!(seed_client(&endpoint, &entries), "true");
    assert_eq!(db.count("telemetry_events").await, 2);
    // Each request wrote its custom metrics to the log as EMF: 2 accepted, then 2 duplicates.
    let emf = watch.emf_lines();
    let events: Vec<&Value> = emf.iter().filter(|d| d["kind"] == "events").collect();
    let sum = |name: &str| -> u64 { events.iter().filter_map(|d| d[name].as_u64()).sum() };
    assert_eq!(
        (sum("records_accepted"), sum("records_duplicate")),
        (2, 2),
        "{emf:?}"
    );
    let doc = events.first().expect("an EMF document");
    assert_eq!(doc["function"], "http-ingest");
    let declared = &doc["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(declared["Namespace"], "Telemetry");
    assert_eq!(declared["Dimensions"][0], json!(["function", "kind"]));
    assert!(
        declared["Metrics"].as_array().is_some_and(|m| m
            .iter()
            .any(|m| m["Name"] == "records_accepted" && m["Unit"] == "Count")),
        "{doc}"
    );

    // Without a valid token the client's send fails, and nothing is stored.
    assert_eq!(
        seed_client(
            &format!("{base}/p/tp_000000000000_{}", "0".repeat(48)),
            &entries
        ),
        "false"
    );
    let resp = reqwest::Client::new()
        .post(format!("{base}/ingest"))
        .body("{}")
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status().as_u16(), 401);
    let body: Value = resp.json().await.expect("json error");
    assert_eq!(body["error"], "unauthorized");
    assert_eq!(db.count("telemetry_events").await, 2);

    drop(watch);
    db.drop_db().await;
}
