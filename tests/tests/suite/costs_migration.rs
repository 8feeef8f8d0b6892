//! Migration V13 on rows stored before it: they become 5-minute writes with their stored
//! cost, a cost that came from the source is kept as the source's figure too, and re-reading
//! the old file changes nothing.

use super::costs::{ingest, response};
use telemetry_tests::TestDb;

/// Rows stored before V13 become 5-minute writes with their stored cost, and a cost that
/// came from the source is kept as the source's figure too.
#[tokio::test]
async fn migration_v13_keeps_stored_rows_as_five_minute_writes() {
    let db = TestDb::new("costs_v13").await;
    // A transcript from before Claude Code split its cache writes.
    let mut old: serde_json::Value = serde_json::from_str(&response(
        "o",
        "2026-11-20T08:00:00Z",
        "claude-haiku-4-5",
        3,
        0,
        4_000,
        0,
        100,
    ))
    .expect("json");
    old["message"]["usage"]
        .as_object_mut()
        .expect("usage")
        .remove("cache_creation");
    let old_transcript = old.to_string();
    let agent = r#"{"kind":"api_call","call_id":"c1","ts":"2026-11-20T09:00:00Z","model":"acme-llm","tokens_input":10,"tokens_output":10,"estimated_cost_usd":0.25}"#;
    let body = format!("{old_transcript}\n{agent}\n");
    ingest(&db, &body, 10).await;
    let c = db.client().await;
    let before: Vec<(String, Option<f64>, String)> = c
        .query(
            "SELECT model, estimated_cost::float8, cost_status FROM llm_calls ORDER BY model",
            &[],
        )
        .await
        .expect("before")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(before[0].2, "from_source", "{before:?}");
    // Back to the schema before V13 (no split, no source column, no overrides; no views of
    // V15 over them), then V13 and V15 again.
    c.batch_execute(
        "DROP VIEW v_llm_calls, v_llm_cost_daily, v_workflow_runs, v_task_costs;
         ALTER TABLE llm_calls DROP COLUMN cache_write_1h_tokens, DROP COLUMN source_cost_usd;
         DROP TABLE model_prices;",
    )
    .await
    .expect("undo V13");
    c.batch_execute(include_str!(
        "../../../migrations/V13__cache_tiers_and_prices.sql"
    ))
    .await
    .expect("V13");
    c.batch_execute(include_str!("../../../migrations/V15__bi_views.sql"))
        .await
        .expect("V15");
    type Row = (String, Option<f64>, String, i32, Option<f64>);
    let after: Vec<Row> = c
        .query(
            "SELECT model, estimated_cost::float8, cost_status, cache_write_1h_tokens,
                    source_cost_usd::float8
             FROM llm_calls ORDER BY model",
            &[],
        )
        .await
        .expect("after")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect();
    assert_eq!(
        after,
        vec![
            (
                "acme-llm".into(),
                Some(0.25),
                "from_source".into(),
                0,
                Some(0.25)
            ),
            (before[1].0.clone(), before[1].1, "priced".into(), 0, None),
        ]
    );
    // The old transcript re-read changes nothing.
    let again = ingest(&db, &body, 10).await;
    assert_eq!((again.inserted, again.updated, again.duplicates), (0, 0, 2));
    db.drop_db().await;
}
