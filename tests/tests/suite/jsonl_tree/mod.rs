//! Many JSONL files as one run (`ingest_tree`): the parallel reader stores exactly what
//! reading each file alone stores, whatever the thread count and batch size; re-runs skip
//! unchanged files, read only the tails of grown ones and re-read rewritten ones whole, and
//! still store what a fresh read of the final tree stores.

use std::io::{Cursor, Write};

mod corpus;
mod faults;

use corpus::{claude_response, claude_session, codex_session, make_tree, write};
use std::path::{Path, PathBuf};

use telemetry_shared::ingest::{
    expand, ingest_file, ingest_tree, FileKind, FileStatus, IngestOptions, SourceInfo, TreeOptions,
    TreeReport,
};
use telemetry_tests::TestDb;

pub(super) fn tree_dir(label: &str) -> PathBuf {
    std::env::temp_dir().join(format!("jsonl-tree-{label}-{}", std::process::id()))
}

/// Every stored call and task, as text, in key order.
pub(super) async fn stored(db: &TestDb) -> Vec<String> {
    let c = db.client().await;
    let mut out = Vec::new();
    for sql in [
        "SELECT (to_jsonb(l) - 'id' - 'created_at' - 'updated_at')::text FROM llm_calls l ORDER BY dedup_key",
        "SELECT (to_jsonb(t) - 'created_at' - 'updated_at')::text FROM tasks t ORDER BY task_id",
    ] {
        for r in c.query(sql, &[]).await.expect("rows") {
            out.push(r.get::<_, String>(0));
        }
    }
    out
}

pub(super) async fn run(
    db: &TestDb,
    files: &[PathBuf],
    threads: usize,
    batch_rows: usize,
    incremental: bool,
) -> TreeReport {
    let opts = TreeOptions {
        batch_rows,
        threads,
        incremental,
        ..TreeOptions::new(batch_rows)
    };
    let report = ingest_tree(&db.pool, files, "test tree", opts)
        .await
        .expect("tree ingest");
    assert!(report.is_balanced(), "{report:#?}");
    report
}

#[tokio::test]
async fn the_parallel_reader_stores_what_one_file_at_a_time_stores_whatever_the_threads() {
    let root = tree_dir("parallel");
    make_tree(&root);
    let files = expand(std::slice::from_ref(&root)).expect("expand");
    assert_eq!(files.len(), 13, "{files:?}");

    // The baseline: each file alone, in order, through the single-file path.
    let base_db = TestDb::new("tree_base").await;
    for f in &files {
        let kind = FileKind::from_name(&f.to_string_lossy()).expect("kind");
        let r = ingest_file(
            &base_db.pool,
            Cursor::new(std::fs::read(f).expect("read")),
            kind,
            &SourceInfo {
                kind: "jsonl".into(),
                uri: f.display().to_string(),
                version: None,
            },
            IngestOptions::new(7),
        )
        .await
        .expect("one file");
        assert!(r.is_balanced());
    }
    let baseline = stored(&base_db).await;
    assert!(baseline.len() > 60, "{}", baseline.len());

    let db = TestDb::new("tree_parallel").await;
    let mut first: Option<TreeReport> = None;
    for i in 0..20 {
        db.client()
            .await
            .batch_execute("TRUNCATE llm_calls, tasks, workers, sessions, events, ingest_files")
            .await
            .expect("truncate");
        let threads = 1 + i % 4;
        let batch_rows = [1, 3, 50, 5000][i / 5 % 4];
        let report = run(&db, &files, threads, batch_rows, false).await;
        let got = stored(&db).await;
        let differ = got.iter().zip(&baseline).position(|(a, b)| a != b);
        assert!(
            got.len() == baseline.len() && differ.is_none(),
            "run {i}: {threads} threads, {batch_rows} lines per batch: {} rows against {}, first difference {:?}",
            got.len(),
            baseline.len(),
            differ.map(|d| (&got[d], &baseline[d]))
        );
        let sum = |r: &TreeReport| {
            (
                r.total.rows_read,
                r.total.inserted,
                r.total.rejected,
                r.total.skipped,
                r.total.cost_usd,
            )
        };
        match &first {
            None => first = Some(report),
            Some(f) => assert_eq!(sum(&report).0, sum(f).0, "run {i}"),
        }
    }
    // s1's 6 responses count once, though the resumed session copies its first lines and a
    // sidechain repeats one; each at its largest usage (the last part's output).
    let s1 = db
        .client()
        .await
        .query_one(
            "SELECT count(*), sum(output_tokens)::int8 FROM llm_calls WHERE session_id = 's1'",
            &[],
        )
        .await
        .expect("s1");
    let outputs: i64 = (0..6).map(|n| i64::from(10 * (1 + n % 3) + n)).sum();
    assert_eq!((s1.get::<_, i64>(0), s1.get::<_, i64>(1)), (6, outputs));
    let f = first.expect("a run");
    // The invalid count in the resumed session, and the agent log's bad status.
    assert_eq!(f.total.rejected, 2, "{:#?}", f.files);
    let resumed = f
        .files
        .iter()
        .find(|x| x.path.ends_with("resumed.jsonl"))
        .expect("resumed");
    assert_eq!(resumed.rejects[0].line as usize, resumed.rows_read as usize);
    assert!(
        resumed.rejects[0].reason.contains("column"),
        "{:?}",
        resumed.rejects
    );
    base_db.drop_db().await;
    db.drop_db().await;
    let _ = std::fs::remove_dir_all(&root);
}

#[tokio::test]
async fn re_runs_skip_what_is_unchanged_read_tails_and_match_a_fresh_read() {
    let root = tree_dir("incremental");
    make_tree(&root);
    let files = expand(std::slice::from_ref(&root)).expect("expand");
    let db = TestDb::new("tree_incremental").await;
    let first = run(&db, &files, 2, 50, true).await;
    assert_eq!(first.files_read, files.len() as u64);

    let again = run(&db, &files, 2, 50, true).await;
    assert_eq!(
        again.files_unchanged,
        files.len() as u64,
        "{:#?}",
        again.files
    );
    assert_eq!(again.total.rows_read, 0);

    // Grown: a later, larger part of a response already stored, a new response, and a last
    // line still being written (no newline yet).
    let grown = root.join("claude/projects/-work-p0/s0.jsonl");
    let mut tail = claude_response("s0", 1, 1, 4, false).split_off(3);
    tail.extend(claude_response("s0", 9, 30, 2, false));
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&grown)
        .expect("open");
    f.write_all((tail.join("\n") + "\n").as_bytes())
        .expect("append");
    let partial = claude_response("s0", 10, 31, 1, false).remove(0);
    let (head, rest) = partial.split_at(partial.len() / 2);
    f.write_all(head.as_bytes()).expect("partial");
    drop(f);
    // Rewritten: a line put before the others (same size is not required).
    let rewritten = root.join("codex/sessions/2026/11/21/rollout-1.jsonl");
    let mut lines = vec![r#"{"timestamp":"2026-11-21T07:59:00.000Z","type":"event_msg","payload":{"type":"task_started"}}"#.to_string()];
    lines.extend(codex_session("cx1", 12));
    write(&rewritten, &lines);
    // New.
    let added = root.join("codex/sessions/2026/11/22/rollout-9.jsonl");
    write(&added, &codex_session("cx9", 5));
    let files = expand(std::slice::from_ref(&root)).expect("expand");

    let third = run(&db, &files, 3, 50, true).await;
    let status = |p: &Path| {
        third
            .files
            .iter()
            .find(|f| Path::new(&f.path) == p.canonicalize().expect("canonical"))
            .map(|f| (f.status, f.rows_read))
            .expect("in report")
    };
    // The tail: 1 larger part, 2 lines of a new response, and the partial line (rejected
    // now, read again once whole).
    assert_eq!(status(&grown), (FileStatus::Appended, 4));
    assert_eq!(
        status(&rewritten),
        (FileStatus::Rewritten, lines.len() as u64)
    );
    assert_eq!(status(&added).0, FileStatus::Read);
    assert_eq!(third.files_unchanged, files.len() as u64 - 3);
    assert_eq!(third.total.updated, 1, "the larger part updates its call");

    // The partial line completed.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&grown)
        .expect("open");
    f.write_all(format!("{rest}\n").as_bytes())
        .expect("finish line");
    drop(f);
    let fourth = run(&db, &files, 1, 50, true).await;
    assert_eq!(
        (
            fourth.files_appended,
            fourth.total.rows_read,
            fourth.total.inserted
        ),
        (1, 1, 1)
    );

    // A fresh read of the final tree stores the same rows.
    let fresh = TestDb::new("tree_fresh").await;
    run(&fresh, &files, 4, 5000, true).await;
    assert_eq!(stored(&db).await, stored(&fresh).await);
    db.drop_db().await;
    fresh.drop_db().await;
    let _ = std::fs::remove_dir_all(&root);
}

#[tokio::test]
async fn a_damaged_file_costs_no_other_file_its_records() {
    let root = tree_dir("damaged");
    make_tree(&root);
    let gz = root.join("claude/projects/-work-p0/old.jsonl.gz");
    let bytes = std::fs::read(&gz).expect("gz");
    std::fs::write(&gz, &bytes[..bytes.len() / 2]).expect("cut gz");
    std::fs::write(root.join("garbage.jsonl.gz"), b"not gzip at all").expect("garbage");
    let nul = root.join("nul.jsonl");
    std::fs::write(&nul, "{\"kind\":\"event\",\"event_type\":\"a\u{0}b\",\"message\":\"m\",\"ts\":\"2026-11-20T08:00:00Z\"}\n\u{0}\u{0}\n").expect("nul");
    let files = expand(std::slice::from_ref(&root)).expect("expand");
    let db = TestDb::new("tree_damaged").await;
    let report = run(&db, &files, 2, 50, true).await;
    let by = |name: &str| {
        report
            .files
            .iter()
            .find(|f| f.path.ends_with(name))
            .expect(name)
            .clone()
    };
    let cut = by("old.jsonl.gz");
    assert!(cut.cut_short.is_some() && cut.rows_read > 0, "{cut:?}");
    let garbage = by("garbage.jsonl.gz");
    assert_eq!(
        (garbage.status, garbage.rows_read),
        (FileStatus::Unreadable, 0)
    );
    assert!(garbage.error.is_some());
    let nul = by("nul.jsonl");
    assert_eq!((nul.rows_read, nul.rejected), (2, 2), "{nul:?}");
    // Every other file is whole.
    let healthy = report
        .files
        .iter()
        .filter(|f| f.error.is_none() && f.cut_short.is_none())
        .count();
    assert_eq!(healthy, files.len() - 2);
    assert!(db.count("llm_calls").await > 50);
    // A file cut short keeps no read mark: the next run reads it again.
    let again = run(&db, &files, 2, 50, true).await;
    assert_eq!(again.files_unchanged, files.len() as u64 - 2);
    db.drop_db().await;
    let _ = std::fs::remove_dir_all(&root);
}

#[tokio::test]
async fn names_that_are_not_utf8_are_read_whole_every_time_and_never_share_a_read_mark() {
    use std::os::unix::ffi::OsStrExt;
    let root = tree_dir("names");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).expect("mkdir");
    // Both names read "odd-\u{FFFD}.jsonl" once made text.
    for (byte, session) in [(0xffu8, "n1"), (0xfe, "n2")] {
        let mut name = b"odd-".to_vec();
        name.extend([byte]);
        name.extend(b".jsonl");
        let path = root.join(std::ffi::OsStr::from_bytes(&name));
        write(&path, &claude_session(session, 3));
    }
    let files = expand(std::slice::from_ref(&root)).expect("expand");
    assert_eq!(files.len(), 2);
    let db = TestDb::new("tree_names").await;
    let first = run(&db, &files, 2, 50, true).await;
    assert_eq!(first.files_read, 2);
    let calls = db.count("llm_calls").await;
    let again = run(&db, &files, 2, 50, true).await;
    assert_eq!((again.files_read, again.files_unchanged), (2, 0));
    assert_eq!(again.total.inserted, 0);
    assert_eq!(db.count("llm_calls").await, calls);
    assert_eq!(db.count("ingest_files").await, 0);
    db.drop_db().await;
    let _ = std::fs::remove_dir_all(&root);
}

#[tokio::test]
async fn the_runs_cost_is_the_same_when_its_keys_leave_memory() {
    let root = tree_dir("spill");
    make_tree(&root);
    let files = expand(std::slice::from_ref(&root)).expect("expand");
    let held = TestDb::new("tree_keys_held").await;
    let kept = run(&held, &files, 2, 50, false).await;
    let spilled_db = TestDb::new("tree_keys_spilled").await;
    let opts = TreeOptions {
        batch_rows: 3,
        threads: 3,
        incremental: false,
        keys_in_memory: 5,
    };
    let spilled = ingest_tree(&spilled_db.pool, &files, "spill", opts.clone())
        .await
        .expect("spilled run");
    assert!(spilled.is_balanced());
    let cost = |r: &TreeReport| {
        (
            (r.total.cost_usd * 1e8).round() as i64,
            r.total.unpriced_rows,
            r.total.unknown_models.clone(),
        )
    };
    assert!(kept.total.cost_usd > 0.0);
    assert_eq!(cost(&spilled), cost(&kept));
    // Again on the same connection pool: the temporary table of the last run is gone.
    let again = ingest_tree(&spilled_db.pool, &files, "spill", opts)
        .await
        .expect("second spilled run");
    assert_eq!(cost(&again), cost(&kept));
    held.drop_db().await;
    spilled_db.drop_db().await;
    let _ = std::fs::remove_dir_all(&root);
}
