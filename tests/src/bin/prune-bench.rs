//! prune benchmark (`scripts/bench prune [--rows N]`): N rows of `llm_calls` (10 million by
//! default) spread over 12 months; time to prune the 6 months past retention (archive to a
//! local S3 server, then batched deletes) and the longest time a concurrent insert waited
//! meanwhile. Baseline, in the same run on an identical copy: one plain
//! `DELETE ... WHERE timestamp < cut-off` with the same concurrent writer.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use telemetry_shared::db::Pool;
use telemetry_shared::prune::{prune, PruneRequest, Retention};
use telemetry_tests::prune::{config, PruneEnv};
use telemetry_tests::TestDb;

/// Rows per generating statement.
const CHUNK: i64 = 1_000_000;

async fn generate(db: &TestDb, rows: i64, now: chrono::DateTime<Utc>) -> Duration {
    let t = Instant::now();
    let client = db.client().await;
    let mut from = 1;
    while from <= rows {
        let to = (from + CHUNK - 1).min(rows);
        client
            .execute(
                "INSERT INTO llm_calls (dedup_key, content_hash, source, timestamp, model, prompt_name,
                     input_tokens, cache_read_tokens, output_tokens, estimated_cost, cost_status,
                     price_version, session_id, worker_id, task_id)
                 SELECT decode(md5(i::text), 'hex'), i, 'usage_csv',
                        $4::timestamptz - ($3::float8 - i) / $3::float8 * interval '365 days',
                        (ARRAY['claude-sonnet-4-5', 'claude-haiku-4-5', 'gpt-5'])[1 + i % 3],
                        'prompt-' || (i % 40), 1000 + i % 5000, i % 3000, 100 + i % 900,
                        round((i % 1000) / 100000.0, 8), 'priced', '2026-11',
                        'sess-' || (i / 500), 'w-' || (i / 50), 'gh-' || (i / 5000)
                 FROM generate_series($1::int8, $2::int8) AS i",
                &[&from, &to, &(rows as f64), &now],
            )
            .await
            .expect("generate");
        from = to + 1;
    }
    client
        .batch_execute("VACUUM ANALYZE llm_calls")
        .await
        .expect("vacuum");
    t.elapsed()
}

/// Inserts 100 new rows per statement until `stop`; every statement's duration.
fn writer(pool: Pool, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<Vec<Duration>> {
    tokio::spawn(async move {
        let client = pool.get().await.expect("client");
        let mut waits = Vec::new();
        let mut n = 0_i64;
        while !stop.load(Ordering::Relaxed) {
            let t = Instant::now();
            client
                .execute(
                    "INSERT INTO llm_calls (dedup_key, content_hash, source, timestamp, model,
                         estimated_cost, cost_status)
                     SELECT decode(md5('live-' || ($1::int8 * 100 + i)), 'hex'), i, 'api_call', now(),
                            'claude-sonnet-4-5', 0.01, 'priced' FROM generate_series(1, 100) i",
                    &[&n],
                )
                .await
                .expect("insert");
            waits.push(t.elapsed());
            n += 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        waits
    })
}

fn summary(waits: &mut [Duration]) -> (usize, f64, f64) {
    waits.sort();
    let pct =
        |p: f64| waits[((waits.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0;
    (waits.len(), pct(0.99), pct(1.0))
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rows: i64 = args
        .iter()
        .position(|a| a == "--rows")
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().expect("--rows N"))
        .unwrap_or(10_000_000);
    eprintln!("generating 2 x {rows} llm_calls rows over 12 months...");
    let env = PruneEnv::start("prune_bench").await;
    let base = TestDb::new("prune_bench_base").await;
    // Both copies are generated relative to the same instant: the same rows are past the cut-off.
    let now = Utc::now();
    let gen = generate(&env.db, rows, now).await;
    generate(&base, rows, now).await;
    eprintln!("generated in {:.0} s each", gen.as_secs_f64());
    let cutoff = Retention::Months(6).cutoff(now).expect("cutoff");

    // Baseline: one DELETE of everything past the cut-off (no archive).
    let stop = Arc::new(AtomicBool::new(false));
    let w = writer(base.pool.clone(), stop.clone());
    let t = Instant::now();
    let deleted = base
        .client()
        .await
        .execute("DELETE FROM llm_calls WHERE timestamp < $1", &[&cutoff])
        .await
        .expect("delete");
    let base_time = t.elapsed();
    stop.store(true, Ordering::Relaxed);
    let (base_n, base_p99, base_max) = summary(&mut w.await.expect("writer"));

    // prune: only llm_calls has rows; the other tables cost a count each.
    let stop = Arc::new(AtomicBool::new(false));
    let w = writer(env.db.pool.clone(), stop.clone());
    let t = Instant::now();
    let req = PruneRequest {
        now,
        deadline: None,
        dry_run: false,
    };
    let report = prune(&env.db.pool, &env.store(), &config(5_000, 1_000_000), req)
        .await
        .expect("prune");
    let prune_time = t.elapsed();
    stop.store(true, Ordering::Relaxed);
    let (n, p99, max) = summary(&mut w.await.expect("writer"));
    let llm = report
        .tables
        .iter()
        .find(|t| t.table == "llm_calls")
        .expect("llm_calls");
    assert!(report.complete, "{report:?}");
    assert_eq!(llm.deleted, deleted, "the same rows as the baseline");
    let bytes: i64 = env
        .db
        .client()
        .await
        .query_one(
            "SELECT coalesce(sum(bytes), 0)::int8 FROM prune_archives",
            &[],
        )
        .await
        .expect("bytes")
        .get(0);

    println!(
        "rows: {rows} over 12 months; past 6 months: {deleted}; archive: {} objects, {:.1} MB gzip",
        llm.objects.len(),
        bytes as f64 / 1e6
    );
    println!(
        "| run | seconds | rows/s | concurrent inserts | insert p99 ms | longest insert wait ms |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    println!(
        "| baseline: one DELETE, no archive | {:.1} | {:.0} | {base_n} | {base_p99:.1} | {base_max:.1} |",
        base_time.as_secs_f64(),
        deleted as f64 / base_time.as_secs_f64()
    );
    println!(
        "| prune: archive to S3 + batched deletes | {:.1} | {:.0} | {n} | {p99:.1} | {max:.1} |",
        prune_time.as_secs_f64(),
        deleted as f64 / prune_time.as_secs_f64()
    );
    println!(
        "prune takes {:.2}x the baseline's time",
        prune_time.as_secs_f64() / base_time.as_secs_f64()
    );
    env.db.drop_db().await;
    base.drop_db().await;
}
