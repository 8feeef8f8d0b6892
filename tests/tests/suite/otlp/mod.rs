//! OTLP/HTTP from the agents: Claude Code, Codex CLI and Gemini CLI exports (JSON and
//! protobuf, gzip or not) land as attributed calls and events, once however often they are
//! re-sent; refused records are counted in `partialSuccess` by path; refused requests are
//! answered with a `google.rpc.Status` in the request's encoding, `Retry-After` on 429/503.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceResponse;
use prost::Message;
use serde_json::{json, Value};
use telemetry_shared::http::KeyKind;
use telemetry_tests::http_api::{gzip, Api};
use telemetry_tests::otlp::{claude_resource, claude_session, export, i, protobuf, record, s};

mod refused;
mod tools;

pub(super) const PROJECT: &str = "api__0a1b2c3d";

pub(super) const JSON: &str = "application/json";
pub(super) const PROTO: &str = "application/x-protobuf";

pub(super) async fn post(
    t: &Api,
    key: &str,
    ct: &str,
    body: &[u8],
    gz: bool,
) -> (u16, http::HeaderMap, Vec<u8>) {
    let auth = format!("Bearer {key}");
    let mut headers = vec![("content-type", ct), ("authorization", auth.as_str())];
    let body = if gz {
        headers.push(("content-encoding", "gzip"));
        gzip(body)
    } else {
        body.to_vec()
    };
    t.raw("/v1/logs", &headers, &body).await
}

pub(super) fn json_of(body: &[u8]) -> Value {
    serde_json::from_slice(body).expect("a JSON answer")
}

pub(super) async fn counts(t: &Api) -> (i64, i64) {
    (
        t.db.count("llm_calls").await,
        t.db.count("telemetry_events").await,
    )
}

#[tokio::test]
async fn a_claude_code_export_lands_as_attributed_calls_and_events_once() {
    let t = Api::new("otlp_claude").await;
    let key = t.key(PROJECT, KeyKind::Secret).await;
    let session = claude_session("sess-1");
    let (status, headers, body) = post(&t, &key, JSON, session.to_string().as_bytes(), false).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(headers["content-type"], JSON);
    let answer = json_of(&body);
    assert_eq!(answer, json!({}), "a full success sets no partialSuccess");
    assert_eq!(counts(&t).await, (3, 3));

    let c = t.db.client().await;
    let rows = c
        .query(
            "SELECT source, tool, model, input_tokens, cache_read_tokens, cache_write_tokens,
                    output_tokens, estimated_cost::float8 AS cost, source_cost_usd::float8 AS sc,
                    success, error_message, duration_ms, session_id, project_id, repository,
                    git_branch, user_id, app_version, notes
             FROM llm_calls ORDER BY timestamp",
            &[],
        )
        .await
        .expect("calls");
    let first = &rows[0];
    assert_eq!(first.get::<_, &str>("source"), "otlp");
    assert_eq!(first.get::<_, &str>("tool"), "claude_code");
    assert_eq!(first.get::<_, &str>("model"), "claude-sonnet-4-5-20250929");
    assert_eq!(
        (
            first.get::<_, i32>("input_tokens"),
            first.get::<_, i32>("cache_read_tokens"),
            first.get::<_, i32>("cache_write_tokens"),
            first.get::<_, i32>("output_tokens")
        ),
        (1200, 0, 8000, 350)
    );
    // The price table's figure (1,200 x $3 + 8,000 x $3.75 + 350 x $15 per million)
    // beside the exporter's own.
    assert_eq!(first.get::<_, Option<f64>>("cost"), Some(0.03885));
    assert_eq!(first.get::<_, Option<f64>>("sc"), Some(0.039855));
    assert_eq!(first.get::<_, Option<i32>>("duration_ms"), Some(5120));
    assert_eq!(first.get::<_, Option<&str>>("session_id"), Some("sess-1"));
    assert_eq!(first.get::<_, Option<&str>>("project_id"), Some(PROJECT));
    assert_eq!(first.get::<_, Option<&str>>("repository"), Some("acme/api"));
    assert_eq!(
        first.get::<_, Option<&str>>("git_branch"),
        Some("feature/otlp")
    );
    // The account id, never the email.
    assert_eq!(
        first.get::<_, Option<&str>>("user_id"),
        Some("acct-7b1e5d2c")
    );
    assert_eq!(first.get::<_, Option<&str>>("app_version"), Some("2.1.233"));
    assert_eq!(
        first.get::<_, Option<&str>>("notes"),
        Some("organization.id=3f7e2a10-5c4b-4d1e-9a8f-6b7c8d9e0f1a")
    );
    assert_eq!(rows[1].get::<_, i32>("cache_read_tokens"), 9200);
    let failed = &rows[2];
    assert_eq!(failed.get::<_, Option<bool>>("success"), Some(false));
    assert_eq!(
        failed.get::<_, Option<&str>>("error_message"),
        Some("HTTP 529: Overloaded")
    );
    assert_eq!(failed.get::<_, i32>("input_tokens"), 0);

    let events = c
        .query(
            "SELECT event, distinct_id, properties FROM telemetry_events ORDER BY timestamp",
            &[],
        )
        .await
        .expect("events");
    let names: Vec<&str> = events.iter().map(|r| r.get("event")).collect();
    assert_eq!(
        names,
        [
            "claude_code.user_prompt",
            "claude_code.tool_decision",
            "claude_code.tool_result"
        ]
    );
    let prompt: Value = events[0].get("properties");
    assert_eq!(prompt["prompt_length"], json!(27), "{prompt}");
    assert!(
        prompt.get("prompt").is_none(),
        "prompt text is not kept: {prompt}"
    );
    assert!(!prompt.to_string().contains("dev@example.com"), "{prompt}");
    assert_eq!(prompt["resource"]["service.name"], "claude-code");
    assert_eq!(events[0].get::<_, &str>("distinct_id"), "acct-7b1e5d2c");
    let tool: Value = events[2].get("properties");
    assert_eq!(tool["tool_name"], "Bash");

    // Exporters retry: the same export, as JSON, as gzip'd protobuf, stores nothing new.
    let again = post(&t, &key, JSON, session.to_string().as_bytes(), false).await;
    assert_eq!(again.0, 200);
    let proto = post(&t, &key, PROTO, &protobuf(&session), true).await;
    assert_eq!(proto.0, 200, "{}", String::from_utf8_lossy(&proto.2));
    assert_eq!(proto.1["content-type"], PROTO);
    let decoded = ExportLogsServiceResponse::decode(proto.2.as_slice()).expect("protobuf");
    assert!(decoded.partial_success.is_none());
    assert_eq!(counts(&t).await, (3, 3));
    let updated: i64 = c
        .query_one(
            "SELECT count(*) FROM llm_calls WHERE updated_at IS NOT NULL",
            &[],
        )
        .await
        .expect("updated")
        .get(0);
    assert_eq!(updated, 0, "a re-sent call is a duplicate, not an update");
    // Another session, as protobuf: new rows.
    let other = post(&t, &key, PROTO, &protobuf(&claude_session("sess-2")), false).await;
    assert_eq!(other.0, 200);
    assert_eq!(counts(&t).await, (6, 6));
    // The same session under another project's key is that project's.
    let key2 = t.key("web__9f8e7d6c", KeyKind::Secret).await;
    assert_eq!(
        post(&t, &key2, JSON, session.to_string().as_bytes(), false)
            .await
            .0,
        200
    );
    assert_eq!(counts(&t).await, (9, 9));
    t.db.drop_db().await;
}

#[tokio::test]
async fn refused_records_are_counted_in_partial_success_by_path() {
    let t = Api::new("otlp_partial").await;
    let key = t.key(PROJECT, KeyKind::Secret).await;
    let request = |seq: i64, model: &str, input: &str| {
        let ts = format!("2026-12-02T08:01:{seq:02}.000Z");
        record(
            &ts,
            "claude_code.api_request",
            vec![
                s("event.name", "api_request"),
                s("event.timestamp", &ts),
                i("event.sequence", seq),
                s("session.id", "sess-p"),
                s("model", model),
                s("input_tokens", input),
                s("output_tokens", "10"),
            ],
        )
    };
    let mut no_time = record("2026-12-02T08:01:00Z", "x.y", vec![s("event.name", "x.y")]);
    no_time["timeUnixNano"] = json!("0");
    no_time["observedTimeUnixNano"] = json!("0");
    let mut huge = record(
        "2026-12-02T08:01:09Z",
        "big.event",
        vec![s("event.name", "big.event")],
    );
    huge["attributes"]
        .as_array_mut()
        .expect("attributes")
        .push(s("blob", &"x".repeat(70_000)));
    let body = export(
        claude_resource(),
        "com.anthropic.claude_code.events",
        vec![
            request(1, "claude-sonnet-4-5", "100"),
            request(2, "claude-sonnet-4-5", "-5"),
            request(3, "claude\u{0}sonnet", "1"),
            no_time,
            request(4, "claude-sonnet-4-5", "99999999999"),
            huge,
            record(
                "2026-12-02T08:01:10Z",
                "custom.deploy",
                vec![s("event.name", "custom.deploy"), s("env", "prod")],
            ),
        ],
    );
    for (ct, bytes) in [
        (JSON, body.to_string().into_bytes()),
        (PROTO, protobuf(&body)),
    ] {
        let (status, _, answer) = post(&t, &key, ct, &bytes, false).await;
        assert_eq!(status, 200);
        let (rejected, message) = if ct == JSON {
            let p = json_of(&answer)["partialSuccess"].clone();
            (
                p["rejectedLogRecords"]
                    .to_string()
                    .trim_matches('"')
                    .to_string(),
                p["errorMessage"].as_str().unwrap_or_default().to_string(),
            )
        } else {
            let p = ExportLogsServiceResponse::decode(answer.as_slice())
                .expect("protobuf")
                .partial_success
                .expect("partial success");
            (p.rejected_log_records.to_string(), p.error_message)
        };
        assert_eq!(rejected, "5", "{message}");
        assert!(
            message.contains("resourceLogs[0].scopeLogs[0].logRecords[1]: input_tokens"),
            "{message}"
        );
        assert!(message.contains("logRecords[2]: model"), "{message}");
        assert!(
            message.contains("logRecords[3]: the record has no"),
            "{message}"
        );
    }
    // The good call and the custom event, once.
    assert_eq!(counts(&t).await, (1, 1));
    let event: String =
        t.db.client()
            .await
            .query_one("SELECT event FROM telemetry_events", &[])
            .await
            .expect("event")
            .get(0);
    assert_eq!(event, "custom.deploy");
    t.db.drop_db().await;
}

#[tokio::test]
async fn the_same_records_sent_at_once_or_twice_in_one_export_store_once() {
    let t = Api::new("otlp_concurrent").await;
    let key = t.key(PROJECT, KeyKind::Secret).await;
    // One export holding each record twice (an exporter's retry merged into a batch).
    let mut doubled = claude_session("sess-c");
    let records = doubled["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
        .as_array()
        .expect("records")
        .clone();
    doubled["resourceLogs"][0]["scopeLogs"][0]["logRecords"] =
        Value::Array(records.iter().chain(records.iter()).cloned().collect());
    let body = protobuf(&doubled);
    let one = || post(&t, &key, PROTO, &body, false);
    let (a, b, c, d) = tokio::join!(one(), one(), one(), one());
    for (status, _, body) in [&a, &b, &c, &d] {
        assert_eq!(*status, 200, "{}", String::from_utf8_lossy(body));
        let answer = ExportLogsServiceResponse::decode(body.as_slice()).expect("protobuf");
        assert!(answer.partial_success.is_none(), "{answer:?}");
    }
    assert_eq!(counts(&t).await, (3, 3));
    t.db.drop_db().await;
}
