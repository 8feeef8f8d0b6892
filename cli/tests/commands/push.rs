//! `telemetry login` and `telemetry push` against `telemetry serve`: no database or AWS
//! credentials on the pushing side; each call sent once across runs while a transcript
//! grows; attribution from the session's directory (its git remote and user); offline, the
//! push is silent, exits 0 and sends everything next time.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};
use telemetry_tests::{free_port, TestDb};

use crate::common::{json as stdout_json, telemetry, Server};

const PROJECT: &str = "api__0a1b2c3d";

/// A scratch home: config, state and transcripts, and a git repository the sessions ran in.
struct Home {
    dir: PathBuf,
}

impl Home {
    fn new(label: &str) -> Home {
        let dir =
            std::env::temp_dir().join(format!("telemetry-push-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("repo")).expect("dir");
        for args in [
            vec!["init", "-q"],
            vec!["remote", "add", "origin", "git@github.com:acme/api.git"],
            vec!["config", "user.email", "Dev@Example.com"],
        ] {
            let ok = Command::new("git")
                .arg("-C")
                .arg(dir.join("repo"))
                .args(&args)
                .status()
                .expect("git");
            assert!(ok.success());
        }
        Home { dir }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.join(p)
    }

    /// `telemetry args...` as a laptop runs it: no DATABASE_URL, no AWS.
    fn telemetry(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_telemetry"))
            .args(args)
            .env_remove("DATABASE_URL")
            .env("HOME", &self.dir)
            .env(
                "TELEMETRY_CONFIG",
                self.path("config/telemetry/config.toml"),
            )
            .env("TELEMETRY_PUSH_STATE", self.path("state/push-state.json"))
            .env_remove("CLAUDE_CONFIG_DIR")
            .env_remove("CODEX_HOME")
            .output()
            .expect("run telemetry")
    }

    fn push(&self) -> Value {
        let tree = self.path("projects");
        stdout_json(&self.telemetry(&["push", tree.to_str().expect("utf8"), "--json"]))
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One Claude Code response (streamed as two lines, the first partial), in `repo`.
fn response(repo: &Path, id: &str, ts: &str, output: u32) -> String {
    let line = |out: u32| {
        json!({"type": "assistant", "sessionId": "sess-push", "requestId": format!("req_{id}"),
               "timestamp": ts, "gitBranch": "fix/retry", "cwd": repo, "version": "2.1.240",
               "message": {"id": format!("msg_{id}"), "model": "claude-sonnet-4-5-20250929",
                           "usage": {"input_tokens": 100, "output_tokens": out,
                                     "cache_read_input_tokens": 5000}}})
        .to_string()
    };
    format!("{}\n{}\n", line(1), line(output))
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open");
    f.write_all(text.as_bytes()).expect("append");
}

fn key_for(db: &TestDb) -> String {
    let created = stdout_json(&telemetry(
        db,
        &["keys", "create", "--project", PROJECT, "--json"],
    ));
    created["key"].as_str().expect("key").to_string()
}

#[tokio::test]
async fn push_sends_each_call_once_across_runs_while_a_transcript_grows() {
    let db = TestDb::new("cli_push").await;
    let key = key_for(&db);
    let server = Server::start(&db.url, &[]);
    let home = Home::new("grow");
    let endpoint = server.url("");
    let login = home.telemetry(&["login", "--endpoint", &endpoint, "--key", &key]);
    assert!(
        login.status.success(),
        "{}",
        String::from_utf8_lossy(&login.stderr)
    );
    let config = home.path("config/telemetry/config.toml");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&config)
            .expect("config")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the key file is the owner's only");
    }
    let text = std::fs::read_to_string(&config).expect("config");
    assert!(text.contains(&key) && text.contains(&endpoint), "{text}");
    let read_key = stdout_json(&telemetry(
        &db,
        &["keys", "create", "--project", PROJECT, "--read", "--json"],
    ));
    let refused = home.telemetry(&[
        "login",
        "--endpoint",
        &endpoint,
        "--key",
        read_key["key"].as_str().expect("key"),
    ]);
    assert!(!refused.status.success(), "a read key cannot push");

    let repo = home.path("repo");
    std::fs::create_dir_all(home.path("projects/-repo")).expect("tree");
    let session = home.path("projects/-repo/sess-push.jsonl");
    append(&session, &response(&repo, "a", "2026-12-02T09:00:00Z", 40));
    append(&session, &response(&repo, "b", "2026-12-02T09:01:00Z", 50));
    // A Codex session in the same tree, its cwd nowhere on this machine.
    std::fs::write(
        home.path("projects/rollout-codex.jsonl"),
        [
            json!({"timestamp": "2026-12-02T09:05:00Z", "type": "session_meta",
                   "payload": {"id": "cx-1", "cwd": "/nowhere", "cli_version": "0.146.0",
                               "git": {"branch": "main", "repository_url": "https://github.com/acme/web.git"}}}),
            json!({"timestamp": "2026-12-02T09:05:01Z", "type": "turn_context", "payload": {"model": "gpt-5-codex"}}),
            json!({"timestamp": "2026-12-02T09:05:09Z", "type": "event_msg", "payload": {"type": "token_count",
                   "info": {"total_token_usage": {"input_tokens": 9000, "cached_input_tokens": 8000, "output_tokens": 300, "total_tokens": 9300},
                            "last_token_usage": {"input_tokens": 9000, "cached_input_tokens": 8000, "output_tokens": 300, "total_tokens": 9300}}}}),
        ]
        .map(|v| v.to_string())
        .join("\n")
            + "\n",
    )
    .expect("codex");

    // Three runs, the transcript growing between them (the last time by a line still being
    // written when the push reads it).
    let first = home.push();
    assert_eq!(
        (first["calls_sent"].clone(), first["inserted"].clone()),
        (json!(3), json!(3)),
        "{first}"
    );
    append(&session, &response(&repo, "c", "2026-12-02T09:02:00Z", 60));
    let second = home.push();
    assert_eq!(
        (second["calls_sent"].clone(), second["inserted"].clone()),
        (json!(1), json!(1)),
        "{second}"
    );
    assert_eq!(second["files_unchanged"], 1, "{second}");
    let partial = response(&repo, "d", "2026-12-02T09:03:00Z", 70);
    let (done, cut) = partial.split_at(partial.len() / 4);
    append(&session, done);
    let third = home.push();
    append(&session, cut);
    let fourth = home.push();
    let nothing = home.push();
    for r in [&first, &second, &third, &fourth, &nothing] {
        assert_eq!(r["duplicate"], 0, "nothing is sent twice: {r}");
        assert_eq!(r["rejected"], 0, "{r}");
        assert!(r["offline"].is_null(), "{r}");
    }
    // The half-written line is neither sent nor refused; the whole response goes next time.
    assert_eq!(
        (third["calls_sent"].clone(), third["rejected_lines"].clone()),
        (json!(0), json!(0)),
        "{third}"
    );
    assert_eq!(
        (fourth["calls_sent"].clone(), fourth["inserted"].clone()),
        (json!(1), json!(1)),
        "{fourth}"
    );
    assert_eq!(nothing["calls_sent"], 0);
    assert_eq!(db.count("llm_calls").await, 5);

    // Stored with the key's project and the attribution the machine knew.
    let c = db.client().await;
    let rows = c
        .query(
            "SELECT tool, project_id, repository, git_branch, user_id, app_version, output_tokens
             FROM llm_calls ORDER BY timestamp",
            &[],
        )
        .await
        .expect("calls");
    let claude = &rows[0];
    assert_eq!(claude.get::<_, &str>("tool"), "claude_code");
    assert_eq!(claude.get::<_, Option<&str>>("project_id"), Some(PROJECT));
    assert_eq!(
        claude.get::<_, Option<&str>>("repository"),
        Some("acme/api")
    );
    assert_eq!(
        claude.get::<_, Option<&str>>("git_branch"),
        Some("fix/retry")
    );
    assert_eq!(
        claude.get::<_, Option<&str>>("app_version"),
        Some("2.1.240")
    );
    // The final usage of the streamed response, not its partial line.
    assert_eq!(claude.get::<_, i32>("output_tokens"), 40);
    let user: &str = claude.get::<_, Option<&str>>("user_id").expect("user");
    assert!(user.starts_with("sha256:") && !user.contains('@'), "{user}");
    let codex = rows
        .iter()
        .find(|r| r.get::<_, &str>("tool") == "codex")
        .expect("codex");
    assert_eq!(codex.get::<_, Option<&str>>("repository"), Some("acme/web"));
    assert_eq!(codex.get::<_, Option<&str>>("git_branch"), Some("main"));
    assert_eq!(
        codex.get::<_, Option<&str>>("user_id"),
        None,
        "its directory is not here"
    );
    db.drop_db().await;
}

#[tokio::test]
async fn offline_push_is_silent_exits_0_and_sends_everything_next_time() {
    let db = TestDb::new("cli_push_offline").await;
    let key = key_for(&db);
    let home = Home::new("offline");
    let gone = format!("http://127.0.0.1:{}", free_port());
    assert!(home
        .telemetry(&["login", "--endpoint", &gone, "--key", &key])
        .status
        .success());
    let repo = home.path("repo");
    std::fs::create_dir_all(home.path("projects/-repo")).expect("tree");
    let session = home.path("projects/-repo/s.jsonl");
    append(&session, &response(&repo, "a", "2026-12-02T10:00:00Z", 40));
    append(&session, &response(&repo, "b", "2026-12-02T10:01:00Z", 40));
    let tree = home.path("projects");
    let quiet = home.telemetry(&["push", tree.to_str().expect("utf8")]);
    assert!(quiet.status.success(), "offline is not a failure");
    assert!(
        quiet.stdout.is_empty() && quiet.stderr.is_empty(),
        "silent without -v"
    );
    let loud = home.telemetry(&["push", tree.to_str().expect("utf8"), "-v"]);
    assert!(loud.status.success());
    assert!(
        String::from_utf8_lossy(&loud.stderr).contains("kept for the next push"),
        "{}",
        String::from_utf8_lossy(&loud.stderr)
    );
    let report = home.push();
    assert_eq!(
        (
            report["calls_sent"].clone(),
            report["files_pending"].clone()
        ),
        (json!(0), json!(1)),
        "{report}"
    );

    // Back online: everything, once.
    let server = Server::start(&db.url, &[]);
    assert!(home
        .telemetry(&["login", "--endpoint", &server.url(""), "--key", &key])
        .status
        .success());
    let report = home.push();
    assert_eq!(
        (report["inserted"].clone(), report["duplicate"].clone()),
        (json!(2), json!(0)),
        "{report}"
    );
    assert_eq!(db.count("llm_calls").await, 2);
    // Without a login, push says what to do and fails.
    let bare = Home::new("nologin");
    let out = bare.telemetry(&["push", "--claude"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("telemetry login"));
    db.drop_db().await;
}
