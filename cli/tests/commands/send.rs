//! `telemetry send` with the API down: the event stays spooled, the command succeeds and
//! prints nothing (failures are visible at debug level only).

use std::process::Command;

#[test]
fn a_send_to_a_server_that_is_down_spools_silently() {
    let dir = std::env::temp_dir().join(format!("telemetry-send-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let port = telemetry_tests::free_port();
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_telemetry"))
            .args([
                "send",
                "cli_invocation",
                "--prop",
                "command=init",
                "--prop",
                "exitCode=0",
            ])
            .args(extra)
            .env(
                "TELEMETRY_ENDPOINT",
                format!(
                    "http://127.0.0.1:{port}/p/tp_000000000000_{}",
                    "0".repeat(48)
                ),
            )
            .env("TELEMETRY_DIR", &dir)
            .env_remove("TELEMETRY_LOG")
            .output()
            .expect("run telemetry")
    };
    let out = run(&[]);
    assert!(out.status.success());
    assert!(
        out.stdout.is_empty() && out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["--json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["flushed"], 0);
    assert_eq!(report["pending"], 2, "both events wait for the next run");
    let spooled = std::fs::read_dir(dir.join("spool")).expect("spool").count();
    assert_eq!(spooled, 2);
    let id = std::fs::read_to_string(dir.join("repo-id")).expect("repo id");
    assert_eq!(id.trim().len(), 36);
    let bad = Command::new(env!("CARGO_BIN_EXE_telemetry"))
        .args(["send", "x", "--prop", "novalue"])
        .env("TELEMETRY_DIR", &dir)
        .output()
        .expect("run");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("expected KEY=VALUE"));
    let _ = std::fs::remove_dir_all(dir);
}
