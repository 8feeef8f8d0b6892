//! `telemetry briefings`, `jobs` and `projects list|archive` (seed 003's repository queries)
//! as a user runs them, on a fresh database.

use serde_json::Value;
use telemetry_tests::TestDb;

use crate::common::{json, telemetry};

fn ids(v: &Value, field: &str) -> Vec<String> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|i| i[field].as_str().expect("field").to_string())
        .collect()
}

#[tokio::test]
async fn fleet_queries_filter_find_by_root_and_archive() {
    let db = TestDb::new("cli_fleet").await;
    let created = json(&telemetry(
        &db,
        &[
            "keys",
            "create",
            "--project",
            "mimesis",
            "--remote",
            "git@github.com:user/mimesis.git",
            "--json",
        ],
    ));
    let p1 = created["project_id"].as_str().expect("id").to_string();
    let created = json(&telemetry(
        &db,
        &[
            "keys",
            "create",
            "--project",
            "tools",
            "--repo-root",
            "/srv/code/tools",
            "--json",
        ],
    ));
    let p2 = created["project_id"].as_str().expect("id").to_string();
    assert!(p2.starts_with("tools__"));
    let out = telemetry(
        &db,
        &[
            "keys",
            "create",
            "--project",
            "x",
            "--repo-root",
            "relative/path",
        ],
    );
    assert_eq!(out.status.code(), Some(1));

    let listed = json(&telemetry(&db, &["projects", "list", "--json"]));
    assert_eq!(ids(&listed, "project_id"), [p1.clone(), p2.clone()]);
    let found = json(&telemetry(
        &db,
        &[
            "projects",
            "list",
            "--repo-root",
            "/srv/code/tools",
            "--json",
        ],
    ));
    assert_eq!(ids(&found, "project_id"), vec![p2.clone()]);
    let missing = telemetry(&db, &["projects", "list", "--repo-root", "/nowhere"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no active project"));

    let c = db.client().await;
    c.execute(
        "INSERT INTO briefings (project_id, task_id, status, ended_at, impact_level, doc_drift_risk,
             raw_markdown)
         VALUES ($1, 't1', 'completed', now() - interval '3 hours', 'major', 'high', '# one'),
                ($1, 't2', 'completed', now() - interval '2 hours', 'minor', 'low', '# two'),
                ($2, 't3', 'blocked', now() - interval '1 hour', 'moderate', NULL, '# three')",
        &[&p1, &p2],
    )
    .await
    .expect("briefings");
    c.execute(
        "INSERT INTO jobs (project_id, job_id, type, model, status, ts_created, request)
         VALUES ($1, 'j1', 'worker_task', 'sonnet', 'completed', now() - interval '3 hours', '{}'),
                ($1, 'j2', 'doc_patch', 'haiku', 'running', now() - interval '2 hours', '{}'),
                ($2, 'j3', 'commander_turn', 'opus', 'queued', now() - interval '1 hour', '{}')",
        &[&p1, &p2],
    )
    .await
    .expect("jobs");
    let recent = json(&telemetry(&db, &["briefings", "--json"]));
    assert_eq!(ids(&recent, "task_id"), ["t3", "t2", "t1"]);
    let major = json(&telemetry(
        &db,
        &["briefings", "--project", &p1, "--impact", "major", "--json"],
    ));
    assert_eq!(ids(&major, "task_id"), ["t1"]);
    let risky = json(&telemetry(&db, &["briefings", "--drift", "high", "--json"]));
    assert_eq!(ids(&risky, "task_id"), ["t1"]);
    let bad = telemetry(&db, &["briefings", "--status", "bogus"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--status: expected one of"));
    let pending = json(&telemetry(&db, &["jobs", "--pending", "--json"]));
    assert_eq!(ids(&pending, "job_id"), ["j3", "j2"]);
    let history = json(&telemetry(&db, &["jobs", "--project", &p1, "--json"]));
    assert_eq!(ids(&history, "job_id"), ["j2", "j1"]);
    let shown = telemetry(&db, &["jobs"]);
    assert!(String::from_utf8_lossy(&shown.stdout).contains("commander_turn"));

    let out = telemetry(&db, &["projects", "archive", &p2]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        ids(
            &json(&telemetry(&db, &["projects", "list", "--json"])),
            "project_id"
        ),
        vec![p1.clone()]
    );
    assert_eq!(
        ids(
            &json(&telemetry(
                &db,
                &["projects", "list", "--archived", "--json"]
            )),
            "project_id"
        ),
        vec![p2.clone()]
    );
    assert_eq!(
        telemetry(&db, &["projects", "archive", "nope__00000000"])
            .status
            .code(),
        Some(1)
    );
    // Archived, its rows stay.
    assert_eq!(
        ids(
            &json(&telemetry(&db, &["briefings", "--project", &p2, "--json"])),
            "task_id"
        ),
        ["t3"]
    );
    db.drop_db().await;
}
