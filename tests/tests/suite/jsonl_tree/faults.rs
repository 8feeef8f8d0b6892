//! Trees read while the database is lost (every connection killed mid-run) and while another
//! run reads the same tree: the run fails as retryable and a re-run stores exactly a fresh
//! read; two runs at once insert each record once.

use telemetry_shared::ingest::{expand, ingest_tree, TreeOptions};
use telemetry_tests::TestDb;

use super::corpus::{claude_session, make_tree, write};
use super::{run, stored, tree_dir};

#[tokio::test]
async fn losing_the_database_mid_run_fails_it_and_a_re_run_completes_exactly() {
    let root = tree_dir("db-lost");
    let _ = std::fs::remove_dir_all(&root);
    for s in 0..30 {
        write(
            &root.join(format!("p/s{s}.jsonl")),
            &claude_session(&format!("lost{s}"), 40),
        );
    }
    let files = expand(std::slice::from_ref(&root)).expect("expand");
    let db = TestDb::new("tree_db_lost").await;
    // Kill every other connection to the database until the run gives up.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let killer = {
        let (stop, name) = (stop.clone(), db.name.clone());
        let admin = db.client().await;
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(150)).await;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = admin
                    .execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                         WHERE datname = $1 AND pid <> pg_backend_pid()",
                        &[&name],
                    )
                    .await;
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        })
    };
    let opts = TreeOptions {
        batch_rows: 1,
        threads: 2,
        ..TreeOptions::new(1)
    };
    let lost = ingest_tree(&db.pool, &files, "lost", opts).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    killer.await.expect("killer");
    let e = lost.expect_err("the run cannot finish without its database");
    assert!(
        telemetry_shared::failure::Retryable::is_retryable(&e),
        "{e}"
    );

    // A re-run adds what is missing; the rows equal a fresh read.
    let again = run(&db, &files, 2, 50, true).await;
    assert!(again.files_read + again.files_rewritten + again.files_appended > 0);
    let fresh = TestDb::new("tree_db_lost_fresh").await;
    run(&fresh, &files, 2, 50, true).await;
    assert_eq!(stored(&db).await, stored(&fresh).await);
    db.drop_db().await;
    fresh.drop_db().await;
    let _ = std::fs::remove_dir_all(&root);
}

#[tokio::test]
async fn two_runs_over_the_same_tree_at_once_store_each_call_once() {
    let root = tree_dir("concurrent");
    make_tree(&root);
    let files = expand(std::slice::from_ref(&root)).expect("expand");
    let db = TestDb::new("tree_concurrent").await;
    let (a, b) = tokio::join!(
        ingest_tree(&db.pool, &files, "a", TreeOptions::new(7)),
        ingest_tree(&db.pool, &files, "b", TreeOptions::new(11)),
    );
    let (a, b) = (a.expect("run a"), b.expect("run b"));
    assert!(a.is_balanced() && b.is_balanced());
    let fresh = TestDb::new("tree_concurrent_fresh").await;
    let alone = run(&fresh, &files, 2, 50, true).await;
    // Between them the two runs inserted each record once (the other found it stored).
    assert_eq!(a.total.inserted + b.total.inserted, alone.total.inserted);
    assert_eq!(stored(&db).await, stored(&fresh).await);
    db.drop_db().await;
    fresh.drop_db().await;
    let _ = std::fs::remove_dir_all(&root);
}
