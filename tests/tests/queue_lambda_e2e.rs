//! Queued mode end to end through the real Lambda Runtime API (`cargo lambda watch`):
//! http-ingest, with `INGEST_QUEUE_URL` set, puts a batch on moto's SQS and answers 202;
//! queue-consume, invoked with the SQS event Lambda's event source builds from those
//! messages (one delivered twice, one that is not a batch), stores the batch once and names
//! only the unreadable message in its partial batch response.

use serde_json::{json, Value};
use telemetry_shared::http::KeyKind;
use telemetry_tests::http_api::create_key;
use telemetry_tests::lambda::{Watch, XrayDaemon};
use telemetry_tests::queue::TestQueue;
use telemetry_tests::{Moto, TestDb};

/// One record of an SQS event as Lambda's event source sends it.
fn record(id: &str, body: &str, sent_ms: &str) -> Value {
    json!({
        "messageId": id,
        "receiptHandle": format!("AQEB{id}"),
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": sent_ms,
            "SenderId": "AROAEXAMPLE:http-ingest",
            "ApproximateFirstReceiveTimestamp": sent_ms
        },
        "messageAttributes": {},
        "md5OfBody": "00000000000000000000000000000000",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:ingest-e2e",
        "awsRegion": "us-east-1"
    })
}

#[tokio::test]
async fn http_ingest_queues_and_queue_consume_stores_once_through_the_lambda_runtime_api() {
    let moto = Moto::start();
    let q = TestQueue::create(&moto, "ingest-e2e").await;
    let db = TestDb::new("queue_lambda").await;
    let key = create_key(&**db.client().await, "swamp__1a2b3c4d", KeyKind::Secret).await;
    let moto_env = moto.env();
    let daemon = XrayDaemon::start();
    let daemon_addr = daemon.address();
    let mut vars: Vec<(&str, &str)> = moto_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    vars.extend([
        ("DATABASE_URL", db.url.as_str()),
        ("INGEST_QUEUE_URL", q.url.as_str()),
        ("AWS_XRAY_DAEMON_ADDRESS", daemon_addr.as_str()),
    ]);
    let watch = Watch::start_http(&vars, "http-ingest", "/healthz");
    let base = format!("http://127.0.0.1:{}/lambda-url/http-ingest", watch.port);

    let batch = json!({"batch": [
        {"event": "cli_invocation", "distinct_id": "install-1", "insert_id": "e2e-1",
         "properties": {"command": "init"}},
        {"event": "cli_invocation", "distinct_id": "install-1", "insert_id": "e2e-2",
         "properties": {"command": "deploy"}}
    ]});
    let resp = reqwest::Client::new()
        .post(format!("{base}/ingest"))
        .bearer_auth(&key)
        .json(&batch)
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status().as_u16(), 202);
    let answer: Value = resp.json().await.expect("json");
    assert_eq!(answer["queued"], 2, "{answer}");
    assert_eq!(db.count("telemetry_events").await, 0);

    let got = q
        .sqs
        .receive_message()
        .queue_url(&q.url)
        .max_number_of_messages(10)
        .send()
        .await
        .expect("receive");
    let messages = got.messages();
    assert_eq!(messages.len(), 1);
    let (id, body) = (
        messages[0].message_id().unwrap_or_default(),
        messages[0].body().unwrap_or_default(),
    );
    let sent = (chrono::Utc::now().timestamp_millis() - 2_000).to_string();
    let event = json!({"Records": [
        record(id, body, &sent),
        record("redelivered-1", body, &sent),
        record("poison-1", "{\"format\": 1, \"events\": [", &sent),
    ]});
    let out = watch.invoke("queue-consume", &event).expect("invoke");
    assert_eq!(
        out,
        json!({"batchItemFailures": [{"itemIdentifier": "poison-1"}]})
    );
    assert_eq!(db.count("telemetry_events").await, 2);

    let emf = watch.emf_lines();
    let consumer: Vec<&Value> = emf
        .iter()
        .filter(|d| d["function"] == "queue-consume")
        .collect();
    let sum = |name: &str| -> u64 { consumer.iter().filter_map(|d| d[name].as_u64()).sum() };
    assert_eq!(
        (
            sum("queue_messages"),
            sum("queue_messages_failed"),
            sum("records_accepted"),
            sum("records_duplicate")
        ),
        (3, 1, 2, 2),
        "{emf:?}"
    );
    let age = consumer
        .iter()
        .find_map(|d| d["queue_message_age_seconds"].as_f64())
        .expect("the oldest message's age");
    assert!(age >= 2.0, "{age}");

    // The write was traced: its subsegment reached the daemon, begun and then ended, in the
    // invocation's trace.
    let docs = daemon.documents();
    let ended = daemon.ended(&docs, "PostgreSQL write_events");
    assert_eq!(ended.len(), 1, "{} documents", docs.len());
    let sub = &ended[0];
    assert!(
        sub["trace_id"]
            .as_str()
            .is_some_and(|t| t.starts_with("1-")),
        "{sub}"
    );
    assert!(
        sub["parent_id"].as_str().is_some_and(|p| p.len() == 16),
        "{sub}"
    );
    assert!(
        sub["end_time"].as_f64() >= sub["start_time"].as_f64(),
        "{sub}"
    );
}
