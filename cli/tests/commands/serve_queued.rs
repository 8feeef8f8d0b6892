//! `telemetry serve` in queued mode (`INGEST_QUEUE_URL` on moto's SQS): a batch is answered
//! once it is on the queue, the server's background consumer stores it, and a re-send is
//! queued again and stored once.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use telemetry_shared::http::KeyKind;
use telemetry_tests::http_api::create_key;
use telemetry_tests::queue::TestQueue;
use telemetry_tests::{Moto, TestDb};

use crate::common::Server;

/// Waits up to 30 s for `done`.
async fn until<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn serve_in_queued_mode_answers_from_the_queue_and_stores_each_event_once() {
    let moto = Moto::start();
    let q = TestQueue::create(&moto, "serve-queued").await;
    let db = TestDb::new("cli_serve_queued").await;
    let key = create_key(&**db.client().await, "repo_1__0123abcd", KeyKind::Secret).await;
    let mut env: Vec<(&str, String)> = moto.env();
    env.extend([
        ("INGEST_QUEUE_URL", q.url.clone()),
        ("RUST_LOG", "warn".into()),
    ]);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = Server::start(&db.url, &env);
    let http = reqwest::Client::new();
    let batch = json!({"batch": (0..3).map(|i| json!({
        "event": "cli_invocation", "distinct_id": "repo-1", "insert_id": format!("q-{i}"),
        "properties": {"exitCode": 0}
    })).collect::<Vec<Value>>()});

    for round in 0..2 {
        let resp = http
            .post(server.url("/ingest"))
            .bearer_auth(&key)
            .json(&batch)
            .send()
            .await
            .expect("post");
        assert_eq!(resp.status().as_u16(), 202, "round {round}");
        let body: Value = resp.json().await.expect("json");
        assert_eq!(body["queued"], 3, "{body}");
        until("the queue to drain", || async {
            q.depth(&q.url).await == 0
        })
        .await;
        until("the batch's outbox event", || async {
            db.count("outbox_events").await == round + 1
        })
        .await;
        assert_eq!(db.count("telemetry_events").await, 3, "round {round}");
    }
    let last: Value = db
        .client()
        .await
        .query_one(
            "SELECT payload FROM outbox_events ORDER BY event_id DESC LIMIT 1",
            &[],
        )
        .await
        .expect("outbox")
        .get(0);
    assert_eq!(
        (&last["accepted"], &last["duplicate"]),
        (&json!(0), &json!(3))
    );
    drop(server);
}
