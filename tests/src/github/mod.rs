//! A local GitHub for tests and the request-count benchmark: a wiremock server whose
//! responder keeps a repository's workflow runs and answers the Actions REST routes the way
//! api.github.com does (bodies and headers shaped like the recorded exchanges): `created=`
//! filters, `per_page`/`page`, `Link` URLs under `/repositories/{id}/`, weak ETags with 304s
//! that do not spend the quota, `x-ratelimit-*` headers, `/attempts/{n}` and its `/jobs`
//! (paginated; one job per attempt unless a test sets them), 401 for a wrong token, 404 for
//! an unknown repository, and scripted failures for the next requests.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};
use serde_json::{json, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

mod routes;
mod shapes;

pub use shapes::{job_object, JobSpec};
use shapes::{run_object, Times};

/// The token the fake accepts.
pub const TOKEN: &str = "ghs_16C7e42F292c6912E7710c838347Ae178B4a";
/// Repository id used in `Link` URLs.
const REPO_ID: u64 = 708_123_456;
/// Results GitHub returns at most for a filtered list.
const CAP: usize = 1_000;

/// One run as GitHub keeps it: the latest attempt plus the earlier ones.
#[derive(Debug, Clone)]
struct FakeRun {
    id: i64,
    created_at: DateTime<Utc>,
    attempts: Vec<Value>,
    /// Jobs set by a test, per attempt number; other attempts list [`default_job`].
    jobs: HashMap<usize, Vec<Value>>,
}

#[derive(Default)]
struct State {
    repo: String,
    base: String,
    runs: Vec<FakeRun>,
    scripted: VecDeque<(u16, ResponseTemplate)>,
    /// Requests answered from state before the scripted responses apply.
    script_after: usize,
    log: Vec<(String, u16)>,
    remaining: u32,
    /// Counted requests left before the quota is spent (None: 5,000 as usual).
    budget: Option<u32>,
    delay: std::time::Duration,
    /// `total_count` sent instead of the true one (a lying or stale count).
    total_count: Option<i64>,
}

/// The fake GitHub; clones share state.
#[derive(Clone)]
pub struct FakeGitHub {
    state: Arc<Mutex<State>>,
    /// Base URL (`GITHUB_API_URL`).
    pub url: String,
    _server: Arc<MockServer>,
}

impl FakeGitHub {
    /// Starts a fake GitHub holding repository `repo` (owner/name), with no runs.
    pub async fn start(repo: &str) -> Self {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State {
            repo: repo.into(),
            base: server.uri(),
            remaining: 5_000,
            ..State::default()
        }));
        let fake = FakeGitHub {
            state,
            url: server.uri(),
            _server: Arc::new(server),
        };
        Mock::given(any())
            .respond_with(fake.clone())
            .mount(&fake._server)
            .await;
        fake
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a completed run (attempt 1) created at `created`, lasting `secs` seconds.
    pub fn add_run(&self, id: i64, created: DateTime<Utc>, secs: i64, conclusion: &str) {
        let end = created + Duration::seconds(secs);
        self.add_first_attempt(id, created, end, "completed", Some(conclusion));
    }

    /// Adds a run still `status` (queued, in_progress) created at `created`.
    pub fn add_unfinished_run(&self, id: i64, created: DateTime<Utc>, status: &str) {
        self.add_first_attempt(id, created, created, status, None);
    }

    fn add_first_attempt(
        &self,
        id: i64,
        created: DateTime<Utc>,
        updated: DateTime<Utc>,
        status: &str,
        conclusion: Option<&str>,
    ) {
        let mut s = self.lock();
        let times = Times {
            created,
            started: created,
            updated,
        };
        let attempt = run_object(&s.repo, id, 1, times, status, conclusion);
        s.runs.push(FakeRun {
            id,
            created_at: created,
            attempts: vec![attempt],
            jobs: HashMap::new(),
        });
    }

    /// Changes the latest attempt of run `id` as GitHub sends it (a hostile or broken value).
    pub fn edit_run(&self, id: i64, edit: impl FnOnce(&mut Value)) {
        let mut s = self.lock();
        let run = s.runs.iter_mut().find(|r| r.id == id).expect("known run");
        edit(run.attempts.last_mut().expect("an attempt"));
    }

    /// Adds `n` completed runs spread over day `day` (ids from `first_id`).
    pub fn add_day(&self, day: NaiveDate, n: i64, first_id: i64) {
        let start = day.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
        for i in 0..n {
            let at = start + Duration::seconds(i * 86_399 / n.max(1));
            let conclusion = if i % 7 == 3 { "failure" } else { "success" };
            self.add_run(first_id + i, at, 60 + i % 300, conclusion);
        }
    }

    /// Re-runs run `id` at `at`: a new attempt, in progress.
    pub fn rerun(&self, id: i64, at: DateTime<Utc>) {
        let mut s = self.lock();
        let repo = s.repo.clone();
        let run = s.runs.iter_mut().find(|r| r.id == id).expect("known run");
        let attempt = run.attempts.len() as i32 + 1;
        let created = run.created_at;
        run.attempts.push(run_object(
            &repo,
            id,
            attempt,
            Times {
                created,
                started: at,
                updated: at,
            },
            "in_progress",
            None,
        ));
    }

    /// Completes the latest attempt of run `id` at `at` with `conclusion`.
    pub fn complete(&self, id: i64, at: DateTime<Utc>, conclusion: &str) {
        let mut s = self.lock();
        let run = s.runs.iter_mut().find(|r| r.id == id).expect("known run");
        let latest = run.attempts.last_mut().expect("an attempt");
        latest["status"] = json!("completed");
        latest["conclusion"] = json!(conclusion);
        latest["updated_at"] = json!(at.to_rfc3339_opts(SecondsFormat::Secs, true));
    }

    /// The latest attempt of run `id`, as GitHub sends it.
    pub fn attempt_object(&self, id: i64) -> Value {
        let s = self.lock();
        let run = s.runs.iter().find(|r| r.id == id).expect("known run");
        run.attempts.last().cloned().expect("an attempt")
    }

    /// Sets the jobs GitHub lists for attempt `n` of run `id`.
    pub fn set_jobs(&self, id: i64, n: usize, jobs: Vec<Value>) {
        let mut s = self.lock();
        let run = s.runs.iter_mut().find(|r| r.id == id).expect("known run");
        run.jobs.insert(n, jobs);
    }

    /// Sends `total_count: n` in every list, whatever the true count (None: the truth).
    pub fn lie_about_total(&self, n: Option<i64>) {
        self.lock().total_count = n;
    }

    /// Purges attempt `n` of run `id`: `/attempts/{n}` answers 404 from now on.
    pub fn purge_attempt(&self, id: i64, n: usize) {
        let mut s = self.lock();
        let run = s.runs.iter_mut().find(|r| r.id == id).expect("known run");
        run.attempts[n - 1] = Value::Null;
    }

    /// Deletes run `id`: it is no longer listed and every route for it answers 404.
    pub fn delete_run(&self, id: i64) {
        self.lock().runs.retain(|r| r.id != id);
    }

    /// The next requests get these (status, response) pairs instead, whatever they ask for.
    pub fn script(&self, responses: impl IntoIterator<Item = (u16, ResponseTemplate)>) {
        self.lock().scripted.extend(responses);
    }

    /// After `n` more requests answered from state, the next get these instead.
    pub fn script_after(
        &self,
        n: usize,
        responses: impl IntoIterator<Item = (u16, ResponseTemplate)>,
    ) {
        let mut s = self.lock();
        s.script_after = n;
        s.scripted.extend(responses);
    }

    /// Answers after `delay` from now on.
    pub fn set_delay(&self, delay: std::time::Duration) {
        self.lock().delay = delay;
    }

    /// Lets `n` more counted requests through, then answers with the primary rate limit
    /// (quota spent, reset in an hour) until [`FakeGitHub::restore_quota`].
    pub fn spend_quota_after(&self, n: u32) {
        self.lock().budget = Some(n);
    }

    /// Ends [`FakeGitHub::spend_quota_after`].
    pub fn restore_quota(&self) {
        self.lock().budget = None;
    }

    /// Requests seen so far: (path and query, status answered).
    pub fn log(&self) -> Vec<(String, u16)> {
        self.lock().log.clone()
    }

    /// Forgets the request log.
    pub fn clear_log(&self) {
        self.lock().log.clear();
    }
}

impl Respond for FakeGitHub {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut s = self.lock();
        let target = match req.url.query() {
            Some(q) => format!("{}?{q}", req.url.path()),
            None => req.url.path().to_string(),
        };
        let scripted = if s.script_after > 0 {
            s.script_after -= 1;
            None
        } else {
            s.scripted.pop_front()
        };
        let (status, t) = match scripted {
            Some(scripted) => scripted,
            None => Self::answer(&mut s, req),
        };
        s.log.push((target, status));
        t.set_delay(s.delay)
    }
}
