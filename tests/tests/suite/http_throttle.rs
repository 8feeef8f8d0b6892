//! A public token shared by every install of a CLI: each install (the events' `distinct_id`)
//! has its own limit under the token's much higher ceiling; only accepted events count (a
//! re-sent batch's duplicates and a batch refused as a whole give their events back); a 429
//! says which limit and when to come back; concurrent requests of one install never pass its
//! limit together.

use serde_json::{json, Value};
use telemetry_shared::http::KeyKind;
use telemetry_tests::http_api::{config, Answer, Api};

const PROJECT: &str = "swamp__1a2b3c4d";

/// `n` events of install `who`, numbered from `from` (distinct content, distinct ids).
fn events(who: &str, from: usize, n: usize) -> Value {
    let batch: Vec<Value> = (from..from + n)
        .map(|i| {
            json!({"event": "cli_invocation", "distinct_id": who,
                   "insert_id": format!("{who}-{i}"), "timestamp": "2026-12-04T08:00:00Z",
                   "properties": {"command": "init", "exitCode": 0}})
        })
        .collect();
    json!({"batch": batch})
}

async fn post(t: &Api, path: &str, body: &Value) -> Answer {
    t.post_public(path, body).await
}

fn scope_and_wait(a: &Answer) -> (String, u64) {
    let wait = a.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    (
        a.body["details"]["scope"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        wait,
    )
}

#[tokio::test]
async fn each_install_has_its_own_limit_under_the_tokens_ceiling() {
    let mut cfg = config();
    cfg.install_events_per_minute = 5;
    cfg.public_events_per_minute = 12;
    let t = Api::with_config("throttle_installs", cfg).await;
    telemetry_tests::http_api::within_one_minute().await;
    let token = t.key(PROJECT, KeyKind::Public).await;
    let path = format!("/p/{token}/ingest");
    assert_eq!(
        post(&t, &path, &events("install-a", 0, 5)).await.status,
        202
    );
    assert_eq!(
        post(&t, &path, &events("install-b", 0, 5)).await.status,
        202
    );
    // install-a is at its 5; install-b is not held back by it.
    let over = post(&t, &path, &events("install-a", 5, 1)).await;
    assert_eq!(over.status, 429, "{}", over.body);
    let (scope, wait) = scope_and_wait(&over);
    assert_eq!(scope, "install", "{}", over.body);
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(
        over.body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("install-a"),
        "{}",
        over.body
    );
    // A third install takes the token to 12; the fourth finds the ceiling.
    assert_eq!(
        post(&t, &path, &events("install-c", 0, 2)).await.status,
        202
    );
    let ceiling = post(&t, &path, &events("install-d", 0, 1)).await;
    assert_eq!(ceiling.status, 429, "{}", ceiling.body);
    assert_eq!(scope_and_wait(&ceiling).0, "token");
    assert_eq!(t.events(PROJECT).await, 12);
    t.db.drop_db().await;
}

#[tokio::test]
async fn only_accepted_events_count_against_an_install() {
    let t = Api::new("throttle_accepted").await; // 5 a minute per install and per token
    telemetry_tests::http_api::within_one_minute().await;
    let token = t.key(PROJECT, KeyKind::Public).await;
    let path = format!("/p/{token}/ingest");
    let first = events("install-a", 0, 3);
    assert_eq!(post(&t, &path, &first).await.status, 202);
    // The same batch again (a client that did not hear the answer): all duplicates, and
    // they give their reservation back.
    let again = post(&t, &path, &first).await;
    assert_eq!(
        (again.status, &again.body["duplicate"]),
        (202, &json!(3)),
        "{}",
        again.body
    );
    // So two new events still fit, and the sixth does not.
    assert_eq!(
        post(&t, &path, &events("install-a", 3, 2)).await.status,
        202
    );
    assert_eq!(
        post(&t, &path, &events("install-a", 5, 1)).await.status,
        429
    );
    assert_eq!(t.events(PROJECT).await, 5);
    t.db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_of_one_install_never_pass_its_limit() {
    let t = std::sync::Arc::new(Api::new("throttle_concurrent").await);
    telemetry_tests::http_api::within_one_minute().await;
    let token = t.key(PROJECT, KeyKind::Public).await;
    let path = format!("/p/{token}/ingest");
    let mut posts = tokio::task::JoinSet::new();
    for i in 0..12 {
        let (t, path) = (t.clone(), path.clone());
        posts.spawn(async move { post(&t, &path, &events("install-a", i, 1)).await.status });
    }
    let answers: Vec<u16> = posts.join_all().await;
    let stored = answers.iter().filter(|s| **s == 202).count();
    assert!(
        answers.iter().all(|s| *s == 202 || *s == 429),
        "{answers:?}"
    );
    assert!(stored <= 5, "never past the limit: {answers:?}");
    assert_eq!(t.events(PROJECT).await, stored as i64);
    // What the race gave back is still there to take: the install reaches exactly 5.
    let mut next = 12;
    while t.events(PROJECT).await < 5 {
        assert_eq!(
            post(&t, &path, &events("install-a", next, 1)).await.status,
            202
        );
        next += 1;
    }
    assert_eq!(
        post(&t, &path, &events("install-a", next, 1)).await.status,
        429
    );
    assert_eq!(t.events(PROJECT).await, 5);
    // Every task has ended: the Arc is the last.
    if let Ok(t) = std::sync::Arc::try_unwrap(t) {
        t.db.drop_db().await;
    }
}
