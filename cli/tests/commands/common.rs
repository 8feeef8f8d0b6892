//! Running the `telemetry` binary against a test database, shared by the CLI test files.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use telemetry_tests::TestDb;

/// Runs `telemetry args...` with `DATABASE_URL` pointing at `db`.
pub fn telemetry(db: &TestDb, args: &[&str]) -> Output {
    telemetry_with(db, args, &[])
}

/// [`telemetry`] with more environment variables.
pub fn telemetry_with(db: &TestDb, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_telemetry"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .envs(env.iter().copied())
        .output()
        .expect("run telemetry")
}

/// The JSON a successful run printed on stdout (the run's stderr when it failed).
pub fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

/// `telemetry serve` running on a port it picked; killed when dropped.
pub struct Server {
    child: Child,
    base: String,
}

impl Server {
    /// Starts `telemetry serve` on a port it picks, with `env`, and waits for its address.
    pub fn start(database_url: &str, env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_telemetry"))
            .args(["serve", "--listen", "127.0.0.1:0", "--pool-size", "2"])
            .env("DATABASE_URL", database_url)
            .env_remove("EVENT_BUS_NAME")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn telemetry serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        // The address is the first line; the bind happens before any database work.
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the address");
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Server { child, base }
    }

    /// `path` on the server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends SIGTERM; the exit status within 10 s.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
