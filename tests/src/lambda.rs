//! The real Lambda Runtime API for end-to-end tests: `cargo lambda watch` runs the
//! workspace's function binaries, `cargo lambda invoke` delivers an event to one of them.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::{free_port, wait_for_port};

/// `cargo-lambda watch` and the function instances it started (each in a session of its
/// own, so not in our process group), all killed on drop: the emulator ignores SIGTERM.
pub struct Watch {
    child: Child,
    /// Port of the Runtime API emulator.
    pub port: u16,
    log_path: std::path::PathBuf,
}

impl Watch {
    /// Starts the emulator at the workspace root with `env` added to the functions' environment.
    pub fn start(env: &[(&str, &str)]) -> Watch {
        let port = free_port();
        let log_path = std::env::temp_dir().join(format!("cargo-lambda-watch-{port}.log"));
        let log = std::fs::File::create(&log_path).expect("log file");
        let workspace = format!("{}/..", env!("CARGO_MANIFEST_DIR"));
        let mut cmd = Command::new("cargo-lambda");
        cmd.args([
            "lambda",
            "watch",
            "-A",
            "127.0.0.1",
            "-P",
            &port.to_string(),
            "--ignore-changes",
        ])
        .current_dir(&workspace)
        .stdout(Stdio::from(log.try_clone().expect("log")))
        .stderr(Stdio::from(log));
        // A token in the caller's environment (CI runners have one) must not mask the test's.
        cmd.env_remove("GITHUB_TOKEN")
            .env_remove("GITHUB_PERSONAL_TOKEN");
        // The admin DATABASE_URL of the test run is not the function's: each test passes its own
        // (or none, to make the function read a secret).
        cmd.env_remove("DATABASE_URL");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .spawn()
            .expect("cargo lambda watch (scripts/test installs cargo-lambda)");
        let watch = Watch {
            child,
            port,
            log_path,
        };
        wait_for_port(port, Duration::from_secs(60), "cargo lambda watch");
        watch
    }

    /// The CloudWatch Embedded Metric Format documents the functions wrote to their logs so
    /// far (the JSON lines with an `_aws` member), in order.
    pub fn emf_lines(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log_path)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.find('{').map(|i| &l[i..]))
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v.get("_aws").is_some())
            .collect()
    }

    /// Starts the emulator like [`Watch::start`], then waits until the HTTP function
    /// `function` answers `GET /lambda-url/{function}{path}`. The emulator builds and starts a
    /// function on its first request, which on a new machine takes minutes: a test that
    /// times its requests (a client with a 5-second timeout) must not pay for that.
    pub fn start_http(env: &[(&str, &str)], function: &str, path: &str) -> Watch {
        let watch = Watch::start(env);
        watch.warm_http(function, path);
        watch
    }

    /// One request to `GET /lambda-url/{function}{path}`, waited for (up to 20 minutes);
    /// panics when the function never answers.
    pub fn warm_http(&self, function: &str, path: &str) {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port))
            .expect("connect to cargo lambda watch");
        stream
            .set_read_timeout(Some(Duration::from_secs(1200)))
            .expect("timeout");
        write!(
            stream,
            "GET /lambda-url/{function}{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        .expect("warm-up request");
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        assert!(
            answer.starts_with("HTTP/1.1 2"),
            "{function} did not start under cargo lambda watch: {}",
            answer.lines().next().unwrap_or("no answer")
        );
    }

    /// Invokes `function` with `event`: its JSON response, or the error it reported.
    pub fn invoke(&self, function: &str, event: &Value) -> Result<Value, String> {
        let file = std::env::temp_dir().join(format!(
            "{function}-event-{}-{}.json",
            std::process::id(),
            self.port
        ));
        std::fs::write(&file, event.to_string()).expect("event file");
        let out = Command::new("cargo")
            .args(["lambda", "invoke", function, "-A", "127.0.0.1", "-P"])
            .arg(self.port.to_string())
            .arg("--data-file")
            .arg(&file)
            .output()
            .expect("cargo lambda invoke (scripts/test installs cargo-lambda)");
        if !out.status.success() {
            return Err(format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        serde_json::from_slice(&out.stdout).map_err(|e| format!("not JSON: {e}"))
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("pkill").args(["-KILL", "-P", &pid]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The X-Ray daemon as Lambda runs it beside a function: a UDP port whose segment documents
/// a thread reads as they arrive, as the daemon does (pass [`XrayDaemon::address`] as
/// `AWS_XRAY_DAEMON_ADDRESS`).
pub struct XrayDaemon {
    address: String,
    received: std::sync::Arc<std::sync::Mutex<Vec<Value>>>,
}

impl XrayDaemon {
    /// Binds a loopback port and starts reading it.
    pub fn start() -> XrayDaemon {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("udp");
        let address = socket.local_addr().expect("addr").to_string();
        let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = received.clone();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 65_536];
            while let Ok(n) = socket.recv(&mut buf) {
                let text = String::from_utf8_lossy(&buf[..n]).to_string();
                // Each packet: the daemon's header, a newline, one segment document.
                let doc = match text.split_once('\n') {
                    Some((r#"{"format": "json", "version": 1}"#, doc)) => {
                        serde_json::from_str(doc).unwrap_or(Value::Null)
                    }
                    _ => Value::String(format!("not an X-Ray packet: {text}")),
                };
                if let Ok(mut v) = sink.lock() {
                    v.push(doc);
                }
            }
        });
        XrayDaemon { address, received }
    }

    /// `127.0.0.1:PORT`.
    pub fn address(&self) -> String {
        self.address.clone()
    }

    /// The documents received so far, after a moment for those in flight.
    pub fn documents(&self) -> Vec<Value> {
        std::thread::sleep(Duration::from_millis(300));
        self.received.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// The subsegments named `name` that ended (their second document, with `end_time`).
    pub fn ended(&self, docs: &[Value], name: &str) -> Vec<Value> {
        docs.iter()
            .filter(|d| d["name"] == name && d["end_time"].is_number())
            .cloned()
            .collect()
    }
}
