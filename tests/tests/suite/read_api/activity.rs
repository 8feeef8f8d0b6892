//! Coverage reports (with the commit's run) and CLI events (per day, distinct ids, a property
//! breakdown) through the read API, scoped by key.

use serde_json::{json, Value};
use telemetry_shared::http::KeyKind;
use telemetry_tests::http_api::Api;

use super::{admin_key, A, B, RANGE};

#[tokio::test]
async fn coverage_and_cli_events_are_read_per_project_with_a_property_breakdown() {
    let t = Api::new("read_api_cov_events").await;
    let secret_a = t.key(A, KeyKind::Secret).await;
    let read_a = t.key(A, KeyKind::Read).await;
    let admin = admin_key(&t).await;
    let c = t.db.client().await;
    c.batch_execute(&format!(
        "INSERT INTO coverage_snapshots (repository, branch, commit_sha, format, lines_covered,
             lines_total, captured_at, project_id)
         VALUES ('acme/api', 'main', 'aaaaaaa', 'lcov', 750, 1000, '2026-11-20T10:00:00Z', '{A}'),
                ('acme/api', 'main', 'bbbbbbb', 'lcov', 800, 1000, '2026-11-21T10:00:00Z', '{A}'),
                ('acme/web', 'main', 'ccccccc', 'lcov', 1, 3, '2026-11-21T11:00:00Z', '{B}');
         INSERT INTO workflow_runs (github_run_id, run_attempt, repository, workflow_name, status,
             conclusion, started_at, commit_sha)
         VALUES (1, 1, 'acme/api', 'ci', 'completed', 'failure', '2026-11-21T09:00:00Z', 'bbbbbbb'),
                (1, 2, 'acme/api', 'ci', 'completed', 'success', '2026-11-21T09:30:00Z', 'bbbbbbb');"
    ))
    .await
    .expect("coverage");
    let cov = t.get(&format!("/api/v1/coverage?{RANGE}"), &read_a).await;
    assert_eq!(cov.status, 200, "{}", cov.body);
    let reports = cov.body["reports"].as_array().expect("reports");
    // Project A's two reports, newest first; the re-run's success is the commit's conclusion.
    assert_eq!(reports.len(), 2, "{}", cov.body);
    assert_eq!(
        (
            &reports[0]["commit_sha"],
            reports[0]["line_percent"].to_string(),
            &reports[0]["run_conclusion"]
        ),
        (&json!("bbbbbbb"), "80.00".to_string(), &json!("success"))
    );
    assert_eq!(reports[1]["run_conclusion"], Value::Null);
    let all = t.get(&format!("/api/v1/coverage?{RANGE}"), &admin).await;
    let web = all.body["reports"]
        .as_array()
        .expect("reports")
        .iter()
        .find(|r| r["repository"] == "acme/web")
        .expect("B's report for the admin")
        .clone();
    // 1 of 3 lines: the stored 33.33, as stored.
    assert_eq!(web["line_percent"].to_string(), "33.33");

    // Events: two names over two days, a property with 12 values (top 10 + other) and absent.
    let batch: Vec<Value> = (0..30)
        .map(|i| {
            let mut props = json!({"id": format!("ev-{i}")});
            if i % 6 != 5 {
                props["cmd"] = json!(format!("c{}", i % 12));
            }
            json!({"event": if i % 3 == 0 { "error" } else { "cli_invocation" },
                   "distinct_id": format!("user-{}", i % 4),
                   "timestamp": format!("2026-11-2{}T08:{:02}:00Z", i % 2, i),
                   "properties": props})
        })
        .collect();
    let posted = t.post("/ingest", &secret_a, &json!({"batch": batch})).await;
    assert_eq!(posted.status, 202, "{}", posted.body);
    let daily = t
        .get(
            &format!("/api/v1/events/daily?{RANGE}&property=cmd"),
            &read_a,
        )
        .await;
    assert_eq!(daily.status, 200, "{}", daily.body);
    let stored: Vec<(String, String, i64, i64)> = c
        .query(
            "SELECT (timestamp AT TIME ZONE 'UTC')::date::text, event, count(*),
                    count(DISTINCT distinct_id)
             FROM telemetry_events GROUP BY 1, 2 ORDER BY 1, 2",
            &[],
        )
        .await
        .expect("stored")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    let answered: Vec<(String, String, i64, i64)> = daily.body["days"]
        .as_array()
        .expect("days")
        .iter()
        .map(|d| {
            (
                d["day"].as_str().expect("day").into(),
                d["event"].as_str().expect("event").into(),
                d["events"].as_i64().expect("n"),
                d["distinct_ids"].as_i64().expect("ids"),
            )
        })
        .collect();
    assert_eq!(answered, stored);
    let values: std::collections::BTreeMap<String, i64> = daily.body["by_property"]
        .as_array()
        .expect("by_property")
        .iter()
        .fold(Default::default(), |mut m, r| {
            *m.entry(r["value"].as_str().expect("v").to_string())
                .or_default() += r["events"].as_i64().expect("n");
            m
        });
    assert_eq!(values.values().sum::<i64>(), 30);
    assert_eq!(values.get("(none)"), Some(&5));
    assert!(
        values.contains_key("(other)") && values.len() == 11,
        "{values:?}"
    );
    // A property name is a value, never SQL; NUL is refused.
    let odd = t
        .get(
            &format!("/api/v1/events/daily?{RANGE}&property=a'%22b"),
            &read_a,
        )
        .await;
    assert_eq!(odd.status, 200, "{}", odd.body);
    let nul = t
        .get(
            &format!("/api/v1/events/daily?{RANGE}&property=%00"),
            &read_a,
        )
        .await;
    assert_eq!(
        (nul.status, &nul.body["details"]["parameter"]),
        (400, &json!("property"))
    );
}
