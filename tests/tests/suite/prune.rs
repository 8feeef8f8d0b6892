//! Retention on real PostgreSQL with archives on a local AWS-compatible server (moto) through
//! the real S3 client: archive objects exist before rows go, re-ingesting them through
//! s3-ingest gives back the same rows, a crash between archive and delete loses and
//! duplicates nothing, and the report adds up.

use std::collections::BTreeSet;

use chrono::{Duration, Utc};
use telemetry_shared::outbox::after;
use telemetry_shared::prune::{prune, PruneRequest, Retention, POLICIES};
use telemetry_tests::prune::{config, seed, snapshot, CrashAfterPut, PruneEnv};

/// Ages seeded: two months past 6 months, one past 90 days only, one recent.
const AGES: [i64; 4] = [250, 200, 120, 10];

fn request(dry_run: bool) -> PruneRequest {
    PruneRequest {
        now: Utc::now(),
        deadline: None,
        dry_run,
    }
}

fn table<'a>(
    r: &'a telemetry_shared::prune::PruneReport,
    name: &str,
) -> &'a telemetry_shared::prune::TableReport {
    r.tables
        .iter()
        .find(|t| t.table == name)
        .unwrap_or_else(|| panic!("{name} in report"))
}

#[tokio::test]
async fn archived_months_restore_to_the_same_rows() {
    let env = PruneEnv::start("prune_restore").await;
    let now = Utc::now();
    seed(&env.db, now, &AGES, 40).await;
    let six_months = Retention::Months(6).cutoff(now).expect("cutoff");
    let ninety_days = now - Duration::days(90);
    let llm_before = snapshot(&env.db, "llm_calls", "timestamp", "id", six_months).await;
    let runs_before = snapshot(&env.db, "workflow_runs", "started_at", "id", six_months).await;
    let events_before = snapshot(&env.db, "events", "timestamp", "event_id", ninety_days).await;
    let cli_before = snapshot(&env.db, "telemetry_events", "timestamp", "id", ninety_days).await;
    assert_eq!((llm_before.len(), events_before.len()), (80, 120));

    let report = prune(&env.db.pool, &env.store(), &config(7, 1000), request(false))
        .await
        .expect("prune");
    assert!(report.complete, "{report:?}");
    let llm = table(&report, "llm_calls");
    assert_eq!(
        (llm.archived, llm.deleted, llm.kept, llm.remaining),
        (80, 80, 80, 0)
    );
    assert_eq!(table(&report, "events").deleted, 120);
    assert_eq!(table(&report, "telemetry_events").kept, 40);
    assert_eq!(env.db.count("llm_calls").await, 80);
    assert_eq!(env.db.count("workflow_runs").await, 80);

    // One object per table and month.
    let keys = env.archive_keys().await;
    let months = |days: i64| (now - Duration::days(days)).format("%Y-%m").to_string();
    for (t, ages) in [
        ("llm_calls", &AGES[..2]),
        ("workflow_runs", &AGES[..2]),
        ("events", &AGES[..3]),
        ("telemetry_events", &AGES[..3]),
    ] {
        let expected: BTreeSet<String> = ages
            .iter()
            .map(|d| format!("archive/{t}/{}/part-0001.jsonl.gz", months(*d)))
            .collect();
        let found: BTreeSet<String> = keys
            .iter()
            .filter(|k| k.starts_with(&format!("archive/{t}/")))
            .cloned()
            .collect();
        assert_eq!(found, expected, "{t}");
    }
    assert_eq!(llm.objects.len(), 2);

    // The report is in the database, with its outbox event.
    let mut client = env.db.client().await;
    let stored: serde_json::Value = client
        .query_one(
            "SELECT tables FROM prune_runs WHERE id = $1",
            &[&report.id.expect("id")],
        )
        .await
        .expect("prune_runs")
        .get(0);
    assert_eq!(stored, serde_json::to_value(&report.tables).expect("json"));
    let events = after(&mut **client, 0, None, 100).await.expect("outbox");
    let done = events
        .iter()
        .find(|e| e.kind == "prune_completed")
        .expect("prune_completed");
    assert_eq!(done.payload["complete"], true);

    // Uploading the archives again restores exactly the pruned rows.
    for key in &keys {
        let outcome = env.restore(key).await;
        assert_eq!(outcome["status"], "ingested", "{outcome}");
        assert_eq!(outcome["report"]["rejected"], 0, "{outcome}");
    }
    assert_eq!(
        snapshot(&env.db, "llm_calls", "timestamp", "id", six_months).await,
        llm_before
    );
    assert_eq!(
        snapshot(&env.db, "workflow_runs", "started_at", "id", six_months).await,
        runs_before
    );
    assert_eq!(
        snapshot(&env.db, "events", "timestamp", "event_id", ninety_days).await,
        events_before
    );
    assert_eq!(
        snapshot(&env.db, "telemetry_events", "timestamp", "id", ninety_days).await,
        cli_before
    );

    // A second restore of the same objects finds every row already there.
    let again = env.restore(&keys[0]).await;
    assert_eq!(again["status"], "already_ingested");
    let copy = keys[0].replace("part-0001", "copy-of-part-0001");
    env.s3
        .copy_object()
        .copy_source(format!("telemetry-archive/{}", keys[0]))
        .bucket("telemetry-archive")
        .key(&copy)
        .send()
        .await
        .expect("copy");
    let dup = env.restore(&copy).await;
    assert_eq!(dup["report"]["inserted"], 0, "{dup}");
    assert_eq!(
        dup["report"]["duplicates"], dup["report"]["rows_read"],
        "{dup}"
    );
    assert_eq!(env.db.count("llm_calls").await, 160);
}

#[tokio::test]
async fn a_crash_between_archive_and_delete_loses_and_duplicates_nothing() {
    let env = PruneEnv::start("prune_crash").await;
    let now = Utc::now();
    seed(&env.db, now, &[250, 10], 30).await;
    let cutoff = Retention::Months(6).cutoff(now).expect("cutoff");
    let before = snapshot(&env.db, "llm_calls", "timestamp", "id", cutoff).await;

    let crashing = CrashAfterPut(env.store());
    let report = prune(&env.db.pool, &crashing, &config(7, 1000), request(false))
        .await
        .expect("prune");
    assert!(!report.complete);
    let llm = table(&report, "llm_calls");
    assert!(
        llm.error
            .as_deref()
            .unwrap_or("")
            .contains("not written, nothing deleted"),
        "{llm:?}"
    );
    assert_eq!((llm.deleted, llm.remaining), (0, 30));
    assert_eq!(
        env.db.count("llm_calls").await,
        60,
        "nothing deleted without a confirmed archive"
    );
    assert!(
        !env.archive_keys().await.is_empty(),
        "the uploads did happen"
    );

    let report = prune(&env.db.pool, &env.store(), &config(7, 1000), request(false))
        .await
        .expect("prune");
    assert!(report.complete, "{report:?}");
    assert_eq!(env.db.count("llm_calls").await, 30);

    for key in env.archive_keys().await {
        env.restore(&key).await;
    }
    assert_eq!(
        snapshot(&env.db, "llm_calls", "timestamp", "id", cutoff).await,
        before
    );
    assert_eq!(env.db.count("llm_calls").await, 60, "no row twice");
}

#[tokio::test]
async fn a_dry_run_reports_and_changes_nothing() {
    let env = PruneEnv::start("prune_dry").await;
    let now = Utc::now();
    seed(&env.db, now, &AGES, 5).await;
    let report = prune(
        &env.db.pool,
        &env.store(),
        &config(100, 1000),
        request(true),
    )
    .await
    .expect("dry run");
    let llm = table(&report, "llm_calls");
    assert_eq!((llm.archived, llm.deleted, llm.kept), (10, 10, 10));
    assert_eq!(table(&report, "events").deleted, 15);
    assert_eq!(
        table(&report, "ingest_runs").archived,
        0,
        "bookkeeping is deleted, not archived"
    );
    assert_eq!(table(&report, "projects").cutoff, None);
    assert_eq!(report.id, None);
    assert_eq!(env.db.count("llm_calls").await, 20);
    assert_eq!(env.db.count("prune_runs").await, 0);
    assert!(env.archive_keys().await.is_empty());
}

#[tokio::test]
async fn the_deadline_stops_a_prune_and_the_next_one_resumes() {
    let env = PruneEnv::start("prune_deadline").await;
    let now = Utc::now();
    seed(&env.db, now, &[250, 220, 10], 20).await;
    let past = PruneRequest {
        deadline: Some(tokio::time::Instant::now()),
        ..request(false)
    };
    let report = prune(&env.db.pool, &env.store(), &config(7, 1000), past)
        .await
        .expect("prune");
    assert!(!report.complete);
    assert_eq!(table(&report, "llm_calls").remaining, 40);
    assert_eq!(env.db.count("llm_calls").await, 60);

    // Parts of 15 rows: each month is written in two parts.
    let report = prune(&env.db.pool, &env.store(), &config(7, 15), request(false))
        .await
        .expect("prune");
    assert!(report.complete, "{report:?}");
    assert_eq!(table(&report, "llm_calls").objects.len(), 4);
    assert_eq!(env.db.count("llm_calls").await, 20);
}

#[tokio::test]
async fn without_an_archive_bucket_archived_tables_keep_their_rows() {
    let env = PruneEnv::start("prune_nobucket").await;
    let now = Utc::now();
    seed(&env.db, now, &[250, 10], 5).await;
    let client = env.db.client().await;
    client
        .execute(
            "UPDATE ingest_runs SET started_at = now() - interval '400 days'",
            &[],
        )
        .await
        .expect("age");
    let mut cfg = config(100, 1000);
    cfg.archive_bucket = None;
    let report = prune(&env.db.pool, &env.store(), &cfg, request(false))
        .await
        .expect("prune");
    assert!(table(&report, "llm_calls")
        .error
        .as_deref()
        .unwrap_or("")
        .contains("ARCHIVE_BUCKET"));
    assert_eq!(env.db.count("llm_calls").await, 10);
    assert_eq!(table(&report, "ingest_runs").deleted, 1);
    assert_eq!(env.db.count("ingest_runs").await, 0);
}

#[tokio::test]
async fn ingestion_is_not_blocked_while_a_prune_deletes() {
    let env = PruneEnv::start("prune_concurrent").await;
    let client = env.db.client().await;
    client
        .execute(
            "INSERT INTO llm_calls (dedup_key, content_hash, source, timestamp, model, cost_status, estimated_cost)
             SELECT decode(md5(i::text), 'hex'), i, 'usage_csv', now() - interval '200 days' - i * interval '1 minute',
                    'claude-sonnet-4-5', 'priced', 0.01
             FROM generate_series(1, 40000) i",
            &[],
        )
        .await
        .expect("old rows");
    let pool = env.db.pool.clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    let writer = tokio::spawn(async move {
        let mut waits = Vec::new();
        let mut n = 0_i64;
        let client = pool.get().await.expect("client");
        while !flag.load(std::sync::atomic::Ordering::Relaxed) {
            let t = std::time::Instant::now();
            client
                .execute(
                    "INSERT INTO llm_calls (dedup_key, content_hash, source, timestamp, model, cost_status, estimated_cost)
                     SELECT decode(md5('new' || ($1::int8 * 100 + i)::text), 'hex'), i, 'api_call', now(),
                            'claude-sonnet-4-5', 'priced', 0.01 FROM generate_series(1, 100) i",
                    &[&n],
                )
                .await
                .expect("insert during prune");
            waits.push(t.elapsed());
            n += 1;
        }
        waits
    });
    let report = prune(
        &env.db.pool,
        &env.store(),
        &config(2000, 10_000),
        request(false),
    )
    .await
    .expect("prune");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let waits = writer.await.expect("writer");
    assert_eq!(table(&report, "llm_calls").deleted, 40_000);
    let longest = waits.iter().max().copied().unwrap_or_default();
    eprintln!(
        "{} inserts of 100 rows during the prune, longest {longest:?}",
        waits.len()
    );
    assert!(waits.len() >= 5, "the writer ran during the prune");
    assert!(
        longest < std::time::Duration::from_secs(1),
        "an insert waited {longest:?}"
    );
}

#[tokio::test]
async fn every_table_the_pipeline_writes_has_a_stated_retention() {
    let env = PruneEnv::start("prune_tables").await;
    let client = env.db.client().await;
    let rows = client
        .query(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'
             AND tablename <> 'refinery_schema_history' ORDER BY 1",
            &[],
        )
        .await
        .expect("tables");
    let tables: BTreeSet<String> = rows.iter().map(|r| r.get(0)).collect();
    let stated: BTreeSet<String> = POLICIES.iter().map(|p| p.table.to_string()).collect();
    assert_eq!(tables, stated);
}
