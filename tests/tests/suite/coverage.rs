//! Coverage reports into `coverage_snapshots`: lcov, Cobertura and Istanbul files of the
//! shapes real tools write, uploaded to the bucket (s3-ingest on moto) and posted to
//! `POST /ingest`, linked to the workflow run of their commit, and shown by `stats`.

use chrono::{TimeZone, Utc};
use serde_json::json;
use telemetry_shared::coverage::{CoverageFormat, CoverageTotals};
use telemetry_shared::github::store::upsert_workflow_runs;
use telemetry_shared::github::WorkflowRun;
use telemetry_shared::http::KeyKind;
use telemetry_shared::stats::compute;
use telemetry_tests::http_api::Api;
use telemetry_tests::s3::{put, s3_env};

fn fixture(name: &str) -> String {
    let path = format!("{}/fixtures/coverage/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn totals(l: (i64, i64), b: Option<(i64, i64)>, f: Option<(i64, i64)>) -> CoverageTotals {
    CoverageTotals {
        lines_covered: l.0,
        lines_total: l.1,
        branches_covered: b.map(|x| x.0),
        branches_total: b.map(|x| x.1),
        functions_covered: f.map(|x| x.0),
        functions_total: f.map(|x| x.1),
    }
}

#[test]
fn each_format_is_reduced_to_its_totals() {
    let parse = |name: &str| {
        CoverageFormat::from_name(name)
            .expect("format")
            .parse(&fixture(name))
            .expect("parses")
    };
    assert_eq!(
        parse("lcov.info"),
        totals((8, 12), Some((2, 4)), Some((2, 3)))
    );
    assert_eq!(parse("coverage.xml"), totals((9, 12), Some((3, 6)), None));
    assert_eq!(
        parse("cobertura-methods.xml"),
        totals((3, 5), None, Some((1, 2))),
        "lines inside <method> are not counted twice"
    );
    assert_eq!(
        parse("coverage-summary.json"),
        totals((1013, 1204), Some((297, 402)), Some((181, 210)))
    );
    assert_eq!(parse("lcov.info").line_percent(), Some(66.67));

    let err = CoverageFormat::Lcov
        .parse("SF:a.rs\nDA:1,x\nend_of_record\n")
        .expect_err("bad");
    assert_eq!(err, "line 2: DA: \"x\" is not a count");
    let err = CoverageFormat::Cobertura
        .parse("<html></html>")
        .expect_err("bad");
    assert!(err.contains("not a Cobertura report"), "{err}");
    let err = CoverageFormat::Istanbul
        .parse(r#"{"total":{"lines":{"total":3,"covered":5}}}"#)
        .expect_err("bad");
    assert!(err.contains("impossible"), "{err}");
}

#[tokio::test]
async fn uploads_land_per_commit_linked_to_their_run_and_show_in_stats() {
    let env = s3_env("coverage_s3").await;
    let commit = "3f2a9c1d0b8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a";
    let client = env.db.client().await;
    let started = Utc
        .with_ymd_and_hms(2026, 11, 29, 10, 0, 0)
        .single()
        .expect("time");
    upsert_workflow_runs(
        &**client,
        &[WorkflowRun {
            github_run_id: 501,
            run_attempt: 1,
            repository: "acme/api".into(),
            workflow_name: "CI".into(),
            branch: Some("feature/login".into()),
            commit_sha: Some(commit.into()),
            event_type: Some("push".into()),
            status: "completed".into(),
            conclusion: Some("success".into()),
            started_at: Some(started),
            completed_at: Some(started),
            duration_seconds: Some(0),
            html_url: Some("https://github.com/acme/api/actions/runs/501".into()),
            github_updated_at: started,
            github_created_at: Some(started),
            repository_private: None,
        }],
    )
    .await
    .expect("run");

    // No branch in the key: it is taken from the commit's run.
    let key = format!("uploads/coverage/acme/api/{commit}/lcov.info");
    put(&env.s3, &key, fixture("lcov.info").into_bytes()).await;
    let out = env
        .ingest
        .ingest_key("telemetry-uploads", &key)
        .await
        .expect("ingest");
    assert_eq!(out.status.as_str(), "ingested", "{out:?}");
    assert_eq!(out.report.as_ref().map(|r| r.inserted), Some(1));
    let key = format!(
        "uploads/coverage/acme/api/main/{}/coverage-summary.json",
        &commit[..12]
    );
    put(&env.s3, &key, fixture("coverage-summary.json").into_bytes()).await;
    env.ingest
        .ingest_key("telemetry-uploads", &key)
        .await
        .expect("ingest");
    let bad = "uploads/coverage/acme/api/main/lcov.info";
    put(&env.s3, bad, fixture("lcov.info").into_bytes()).await;
    let out = env
        .ingest
        .ingest_key("telemetry-uploads", bad)
        .await
        .expect("ingest");
    let report = out.report.expect("report");
    assert_eq!(report.rejected, 1);
    assert!(
        report.rejects[0].reason.contains("not a commit SHA"),
        "{:?}",
        report.rejects
    );

    let row = client
        .query_one(
            "SELECT branch, lines_covered, lines_total, line_percent::float8 FROM coverage_snapshots WHERE format = 'lcov'",
            &[],
        )
        .await
        .expect("row");
    assert_eq!(
        row.get::<_, Option<String>>(0).as_deref(),
        Some("feature/login")
    );
    assert_eq!(
        (
            row.get::<_, i32>(1),
            row.get::<_, i32>(2),
            row.get::<_, f64>(3)
        ),
        (8, 12, 66.67)
    );

    let stats = compute(&**client, started - chrono::Duration::days(1))
        .await
        .expect("stats");
    let lcov = stats
        .coverage
        .iter()
        .find(|c| c.format == "lcov")
        .expect("lcov point");
    assert_eq!(lcov.run_conclusion.as_deref(), Some("success"));
    assert_eq!(
        lcov.run_url.as_deref(),
        Some("https://github.com/acme/api/actions/runs/501")
    );
    assert_eq!(stats.coverage.len(), 2);
}

#[tokio::test]
async fn reports_posted_to_ingest_are_stored_once_and_changes_tracked() {
    let api = Api::new("coverage_http").await;
    let key = api.key("api__0a1b2c3d", KeyKind::Secret).await;
    let report = |commit: &str, text: String| {
        json!({"coverage": [{"repository": "acme/api", "branch": "main", "commit": commit,
                             "filename": "coverage.xml", "report": text}]})
    };
    let first = api
        .post(
            "/ingest",
            &key,
            &report("aaaaaaa1", fixture("coverage.xml")),
        )
        .await;
    assert_eq!(first.status, 202, "{}", first.body);
    assert_eq!(first.body["accepted"], 1);
    let again = api
        .post(
            "/ingest",
            &key,
            &report("aaaaaaa1", fixture("coverage.xml")),
        )
        .await;
    assert_eq!(again.body["duplicate"], 1);
    let better = fixture("coverage.xml").replace("lines-covered=\"9\"", "lines-covered=\"11\"");
    api.post("/ingest", &key, &report("bbbbbbb2", better)).await;
    let bad = api
        .post("/ingest", &key, &json!({"coverage": [{"repository": "acme/api", "commit": "nope", "format": "lcov", "report": ""}]}))
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.body["details"]["results"][0]["path"],
        "$.coverage[0].commit"
    );

    let client = api.db.client().await;
    let stats = compute(&**client, Utc::now() - chrono::Duration::days(1))
        .await
        .expect("stats");
    let points: Vec<(Option<f64>, Option<f64>)> = stats
        .coverage
        .iter()
        .map(|c| (c.line_percent, c.line_change))
        .collect();
    assert_eq!(points, vec![(Some(75.0), None), (Some(91.67), Some(16.67))]);
}
