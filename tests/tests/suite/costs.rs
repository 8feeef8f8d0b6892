//! Costs as providers bill them, end to end into PostgreSQL: 1-hour cache writes kept apart
//! from 5-minute ones, long-context requests at the higher tier, a report whose cost is what
//! was stored (not the sum of streamed partial lines), and a team's override applied at
//! ingest.

use std::io::Cursor;
use telemetry_shared::failure::Retryable;

use serde_json::json;
use telemetry_shared::ingest::{ingest_file, FileKind, IngestOptions, IngestReport, SourceInfo};
use telemetry_shared::pricing::{set_override, ModelPrice};
use telemetry_tests::TestDb;

pub(super) async fn ingest(db: &TestDb, body: &str, batch: usize) -> IngestReport {
    let report = ingest_file(
        &db.pool,
        Cursor::new(body.as_bytes().to_vec()),
        FileKind::from_name("session.jsonl").expect("kind"),
        &SourceInfo {
            kind: "jsonl".into(),
            uri: "session.jsonl".into(),
            version: None,
        },
        IngestOptions::new(batch),
    )
    .await
    .expect("ingest");
    assert!(report.is_balanced(), "{report:?}");
    report
}

/// One line of a Claude Code response, as the transcript writes it.
#[allow(clippy::too_many_arguments)]
pub(super) fn response(
    id: &str,
    at: &str,
    model: &str,
    input: u32,
    read: u32,
    five_min: u32,
    one_hour: u32,
    output: u32,
) -> String {
    json!({
        "type": "assistant", "sessionId": "s-1", "requestId": format!("req-{id}"),
        "timestamp": at, "uuid": format!("u-{id}-{output}"),
        "message": {"model": model, "id": format!("msg-{id}"), "type": "message",
            "role": "assistant", "content": [{"type": "text", "text": "..."}],
            "usage": {"input_tokens": input, "cache_read_input_tokens": read,
                "cache_creation_input_tokens": five_min + one_hour, "output_tokens": output,
                "service_tier": "standard",
                "cache_creation": {"ephemeral_5m_input_tokens": five_min,
                                   "ephemeral_1h_input_tokens": one_hour}}}
    })
    .to_string()
}

fn transcript() -> String {
    [
        // Streamed: two partial lines, then the final usage (200 output tokens).
        response(
            "a",
            "2026-11-20T08:00:00Z",
            "claude-sonnet-4-5-20250929",
            5,
            20_000,
            2_000,
            8_000,
            10,
        ),
        response(
            "a",
            "2026-11-20T08:00:01Z",
            "claude-sonnet-4-5-20250929",
            5,
            20_000,
            2_000,
            8_000,
            50,
        ),
        response(
            "a",
            "2026-11-20T08:00:02Z",
            "claude-sonnet-4-5-20250929",
            5,
            20_000,
            2_000,
            8_000,
            200,
        ),
        json!({"type": "user", "sessionId": "s-1", "timestamp": "2026-11-20T08:00:03Z",
               "message": {"role": "user", "content": "next"}})
        .to_string(),
        response(
            "b",
            "2026-11-20T08:01:00Z",
            "claude-haiku-4-5-20251001",
            3,
            0,
            4_000,
            0,
            100,
        ),
        // Long context: 250,010 prompt tokens on Sonnet 4.5.
        response(
            "c",
            "2026-11-20T08:02:00Z",
            "claude-sonnet-4-5",
            10,
            250_000,
            0,
            0,
            1_000,
        ),
    ]
    .join("\n")
        + "\n"
}

/// By hand, USD per million tokens from Anthropic's price list:
/// a: 5 x 3 + 20,000 x 0.3 + 2,000 x 3.75 (5m) + 8,000 x 6 (1h) + 200 x 15 = 64,515
/// b: 3 x 1 + 4,000 x 1.25 + 100 x 5 = 5,503
/// c: over 200k, the whole call at 6 / 0.6 / 22.5: 10 x 6 + 250,000 x 0.6 + 1,000 x 22.5 = 172,560
const EXPECTED: f64 = (64_515.0 + 5_503.0 + 172_560.0) / 1e6;

#[tokio::test]
async fn claude_costs_follow_the_cache_tiers_and_the_report_is_what_was_stored() {
    for batch in [1, 2, 100] {
        let db = TestDb::new("costs_claude").await;
        let r = ingest(&db, &transcript(), batch).await;
        assert_eq!(r.cost_usd, EXPECTED, "batch {batch}: {r:?}");
        assert_eq!(r.unpriced_rows, 0);
        let c = db.client().await;
        let rows = c
            .query(
                "SELECT model, cache_write_tokens, cache_write_1h_tokens, output_tokens,
                        estimated_cost::float8
                 FROM llm_calls ORDER BY timestamp",
                &[],
            )
            .await
            .expect("calls");
        let got: Vec<(String, i32, i32, i32, f64)> = rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "claude-sonnet-4-5-20250929".into(),
                    10_000,
                    8_000,
                    200,
                    0.064515
                ),
                ("claude-haiku-4-5-20251001".into(), 4_000, 0, 100, 0.005503),
                ("claude-sonnet-4-5".into(), 0, 0, 1_000, 0.17256),
            ]
        );
        let stored: f64 = c
            .query_one("SELECT sum(estimated_cost)::float8 FROM llm_calls", &[])
            .await
            .expect("sum")
            .get(0);
        let run: f64 = c
            .query_one(
                "SELECT cost_usd::float8 FROM ingest_runs ORDER BY id DESC LIMIT 1",
                &[],
            )
            .await
            .expect("run")
            .get(0);
        assert_eq!((stored, run), (EXPECTED, EXPECTED));
        // A re-delivery stores nothing new and reports the same cost of the same rows.
        let again = ingest(&db, &transcript(), batch).await;
        assert_eq!((again.inserted, again.updated), (0, 0), "{again:?}");
        assert_eq!(again.cost_usd, EXPECTED);
        db.drop_db().await;
    }
}

#[tokio::test]
async fn a_one_hour_count_above_the_total_is_rejected_by_line() {
    let db = TestDb::new("costs_bad_split").await;
    let mut bad: serde_json::Value = serde_json::from_str(&response(
        "x",
        "2026-11-20T08:00:00Z",
        "claude-haiku-4-5",
        1,
        0,
        0,
        10,
        1,
    ))
    .expect("json");
    bad["message"]["usage"]["cache_creation_input_tokens"] = json!(5);
    let body = format!(
        "{}\n{bad}\n",
        response(
            "ok",
            "2026-11-20T08:00:00Z",
            "claude-haiku-4-5",
            1,
            0,
            0,
            10,
            1
        )
    );
    let r = ingest(&db, &body, 10).await;
    assert_eq!((r.inserted, r.rejected), (1, 1), "{r:?}");
    assert_eq!(r.rejects[0].line, 2);
    assert!(
        r.rejects[0].reason.contains("ephemeral_1h_input_tokens"),
        "{:?}",
        r.rejects[0]
    );
    db.drop_db().await;
}

#[tokio::test]
async fn an_override_prices_the_next_ingest_and_names_its_version() {
    let db = TestDb::new("costs_override").await;
    let c = db.client().await;
    let price = ModelPrice {
        provider: "anthropic".into(),
        input: 2.0,
        output: 10.0,
        cache_read: Some(0.2),
        cache_write: Some(2.5),
        cache_write_1h: Some(4.0),
        long_context: Vec::new(),
        service_tiers: Default::default(),
    };
    let version = set_override(&**c, "claude-haiku-4-5", &price, Some("negotiated"))
        .await
        .expect("override");
    assert!(version.starts_with("db:"), "{version}");
    let r = ingest(&db, &transcript(), 10).await;
    // b at the team's rates: 3 x 2 + 4,000 x 2.5 + 100 x 10 = 11,006; a and c as before.
    let want = (64_515.0 + 11_006.0 + 172_560.0) / 1e6;
    assert_eq!(r.cost_usd, want, "{r:?}");
    let row = c
        .query_one(
            "SELECT estimated_cost::float8, price_version FROM llm_calls
             WHERE model = 'claude-haiku-4-5-20251001'",
            &[],
        )
        .await
        .expect("haiku");
    assert_eq!(row.get::<_, f64>(0), 0.011006);
    assert_eq!(row.get::<_, String>(1), version);
    // A row an operator broke by hand stops ingestion with a reason, not a wrong price.
    c.execute(
        "UPDATE model_prices SET prices = '{\"input\": \"cheap\"}'",
        &[],
    )
    .await
    .expect("break");
    let err = ingest_file(
        &db.pool,
        Cursor::new(transcript().into_bytes()),
        FileKind::from_name("session.jsonl").expect("kind"),
        &SourceInfo {
            kind: "jsonl".into(),
            uri: "again.jsonl".into(),
            version: None,
        },
        IngestOptions::new(10),
    )
    .await
    .expect_err("unusable prices");
    assert!(err.to_string().contains("claude-haiku-4-5"), "{err}");
    assert!(!err.is_retryable());
    db.drop_db().await;
}

/// usage.csv rows are summed as written (no key set for a 1 GB file): the figure must still
/// be the stored one, an unknown model unpriced, and a re-upload the same.
#[tokio::test]
async fn a_csv_reports_the_cost_it_stored() {
    let db = TestDb::new("costs_csv").await;
    let body = "timestamp,model,prompt_tokens,completion_tokens\n\
        2026-11-20T08:00:00Z,claude-sonnet-4-5,1000,100\n\
        2026-11-20T08:00:00Z,claude-sonnet-4-5,1000,100\n\
        2026-11-20T08:00:01Z,gpt-4o,2000,10\n\
        2026-11-20T08:00:02Z,acme-llm,5,5\n";
    let source = SourceInfo {
        kind: "usage_csv".into(),
        uri: "usage.csv".into(),
        version: None,
    };
    let csv = |body: &'static str| {
        ingest_file(
            &db.pool,
            Cursor::new(body.as_bytes().to_vec()),
            FileKind::from_name("usage.csv").expect("kind"),
            &source,
            IngestOptions::new(2),
        )
    };
    // Two identical Sonnet rows are two calls: 2 x (1,000 x 3 + 100 x 15) = 9,000 per
    // million, plus gpt-4o 2,000 x 2.5 + 10 x 10 = 5,100.
    let want = (9_000.0 + 5_100.0) / 1e6;
    for _ in 0..2 {
        let r = csv(body).await.expect("ingest");
        assert_eq!(r.cost_usd, want, "{r:?}");
        assert_eq!(
            (r.unpriced_rows, r.unknown_models.clone()),
            (1, vec!["acme-llm".to_string()])
        );
    }
    let stored: f64 = db
        .client()
        .await
        .query_one("SELECT sum(estimated_cost)::float8 FROM llm_calls", &[])
        .await
        .expect("sum")
        .get(0);
    assert_eq!(stored, want);
    db.drop_db().await;
}
