//! The SQL views for BI tools give the figures `telemetry cost` gives on the same rows, and the
//! read-only role of docs/src/use/bi-views.md (run as written there) can read the views and
//! nothing else.

use std::io::Cursor;

use chrono::{TimeZone, Utc};
use telemetry_shared::ingest::{ingest_file, FileKind, IngestOptions, SourceInfo};
use telemetry_shared::query::{cost, CostBy};
use telemetry_tests::TestDb;

async fn seed(db: &TestDb) {
    for name in ["agent.jsonl", "claude_code.jsonl", "codex.jsonl"] {
        let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        let body = std::fs::read(&path).expect("fixture");
        ingest_file(
            &db.pool,
            Cursor::new(body),
            FileKind::from_name(name).expect("kind"),
            &SourceInfo {
                kind: "jsonl".into(),
                uri: name.into(),
                version: None,
            },
            IngestOptions::new(100),
        )
        .await
        .expect("ingest");
    }
    let c = db.client().await;
    c.batch_execute(
        "INSERT INTO llm_calls (dedup_key, content_hash, source, timestamp, model, input_tokens, output_tokens, cost_status)
         VALUES ('\\x000102030405060708090a0b0c0d0e0f', 1, 'usage_csv', '2026-11-20T09:00:00Z', 'acme-llm', 10, 10, 'unknown_model');
         INSERT INTO workflow_runs (github_run_id, run_attempt, repository, workflow_name, status, conclusion,
             started_at, duration_seconds, event_type)
         VALUES (1, 1, 'acme/api', 'ci', 'completed', 'success', '2026-11-20T10:00:00Z', 60, 'push'),
                (1, 2, 'acme/api', 'ci', 'completed', 'failure', '2026-11-20T11:00:00Z', 30, 'push')",
    )
    .await
    .expect("seed rows");
}

#[tokio::test]
async fn the_views_answer_as_the_cost_command_does() {
    let db = TestDb::new("bi_views").await;
    seed(&db).await;
    let c = db.client().await;
    let since = Utc
        .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
        .single()
        .expect("date");
    let until = Utc
        .with_ymd_and_hms(2100, 1, 1, 0, 0, 0)
        .single()
        .expect("date");
    let (total, by_model) = cost(&**c, since, until, &[CostBy::Model])
        .await
        .expect("cost");
    let v = c
        .query_one(
            "SELECT sum(calls)::int8 AS calls, sum(unpriced_calls)::int8 AS unpriced,
                    sum(total_tokens)::int8 AS tokens, sum(cost_usd)::float8 AS usd
             FROM v_llm_cost_daily",
            &[],
        )
        .await
        .expect("daily");
    assert_eq!(v.get::<_, i64>("calls"), total.calls);
    assert_eq!(v.get::<_, i64>("unpriced"), total.unpriced_calls);
    assert_eq!(v.get::<_, i64>("tokens"), total.tokens);
    assert!((v.get::<_, f64>("usd") - total.cost_usd).abs() < 1e-9);
    // An unpriced model's cost is NULL, not $0.
    let unknown: Option<f64> = c
        .query_one(
            "SELECT sum(cost_usd)::float8 FROM v_llm_cost_daily WHERE model = 'acme-llm'",
            &[],
        )
        .await
        .expect("unknown")
        .get(0);
    assert_eq!(unknown, None);
    for line in &by_model {
        let n: i64 = c
            .query_one(
                "SELECT sum(calls)::int8 FROM v_llm_cost_daily WHERE model = $1",
                &[&line.key],
            )
            .await
            .expect("model")
            .get(0);
        assert_eq!(n, line.calls, "{:?}", line.key);
    }

    // Tasks: the same attribution as `cost --by task`.
    let (_, by_task) = cost(&**c, since, until, &[CostBy::Task])
        .await
        .expect("by task");
    let task = by_task
        .iter()
        .find(|l| l.key.as_deref() == Some("gh-450"))
        .expect("gh-450 has calls");
    let t = c
        .query_one(
            "SELECT calls, cost_usd::float8 AS usd, status, title FROM v_task_costs WHERE task_id = 'gh-450'",
            &[],
        )
        .await
        .expect("task row");
    assert_eq!(t.get::<_, i64>("calls"), task.calls);
    assert!((t.get::<_, f64>("usd") - task.cost_usd).abs() < 1e-9);
    assert_eq!(t.get::<_, String>("status"), "completed");

    let runs = c
        .query(
            "SELECT run_attempt, conclusion, trigger, day::text FROM v_workflow_runs ORDER BY run_attempt",
            &[],
        )
        .await
        .expect("runs");
    assert_eq!(runs.len(), 2);
    assert_eq!(
        runs[1].get::<_, Option<String>>("conclusion").as_deref(),
        Some("failure")
    );
    assert_eq!(runs[0].get::<_, String>("day"), "2026-11-20");
    db.drop_db().await;
}

#[tokio::test]
async fn the_documented_read_only_role_reads_the_views_and_nothing_else() {
    let db = TestDb::new("bi_role").await;
    seed(&db).await;
    let doc = std::fs::read_to_string(format!(
        "{}/../docs/src/use/bi-views.md",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("doc");
    let block = doc
        .split("<!-- bi-role")
        .nth(1)
        .and_then(|rest| rest.split("```sql").nth(1))
        .and_then(|rest| rest.split("```").next())
        .expect("the role's SQL block");
    let role = format!("bi_{}", db.name);
    let sql = block
        .replace("telemetry_bi", &role)
        .replace("DATABASE telemetry", &format!("DATABASE {}", db.name));
    let c = db.client().await;
    c.batch_execute(&sql)
        .await
        .expect("the documented SQL runs");

    let mut config: tokio_postgres::Config = db.url.parse().expect("test URL");
    config.user(&role).password("change-me");
    let (bi, conn) = config
        .connect(tokio_postgres::NoTls)
        .await
        .expect("connect as the BI role");
    tokio::spawn(conn);
    for view in [
        "v_llm_calls",
        "v_llm_cost_daily",
        "v_workflow_runs",
        "v_task_costs",
    ] {
        let n: i64 = bi
            .query_one(&format!("SELECT count(*) FROM {view}"), &[])
            .await
            .unwrap_or_else(|e| panic!("{view}: {e}"))
            .get(0);
        assert!(n > 0, "{view} is empty");
    }
    for refused in [
        "SELECT count(*) FROM llm_calls",
        "SELECT count(*) FROM api_keys",
        "DELETE FROM llm_calls",
        "INSERT INTO workflow_runs (github_run_id, repository, workflow_name, status) VALUES (9, 'a/b', 'x', 'queued')",
    ] {
        let e = bi.batch_execute(refused).await.expect_err(refused);
        let said = e.as_db_error().map(|d| d.message().to_string());
        assert!(
            said.as_deref().is_some_and(|m| m.contains("permission denied")),
            "{refused}: {said:?}"
        );
    }
    drop(bi);
    c.batch_execute(&format!(
        "REVOKE ALL ON v_llm_calls, v_llm_cost_daily, v_workflow_runs, v_task_costs FROM {role};
         REVOKE ALL ON SCHEMA public FROM {role};
         REVOKE ALL ON DATABASE {} FROM {role};
         DROP ROLE {role}",
        db.name
    ))
    .await
    .expect("drop role");
    db.drop_db().await;
}
