//! Running `telemetry` as a child process, timing it and sampling its peak memory.

use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context};

/// What a run took.
pub struct ChildRun {
    /// Wall-clock seconds.
    pub secs: f64,
    /// Its stdout.
    pub stdout: Vec<u8>,
    /// Peak RSS in KiB: the child's own `VmHWM`, sampled every 5 ms (rusage of children would
    /// count the benchmark's memory, which a spawned child shares until exec).
    pub peak_kib: u64,
}

/// Runs the release `telemetry` next to this binary with `args` and `envs`.
pub fn run_telemetry(args: &[&str], envs: &[(&str, &str)]) -> anyhow::Result<ChildRun> {
    let exe = std::env::current_exe()?.with_file_name("telemetry");
    let t = Instant::now();
    let mut child = Command::new(&exe)
        .args(args)
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("run {}", exe.display()))?;
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0;
    while child.try_wait()?.is_none() {
        if let Some(kib) = std::fs::read_to_string(&status_file)
            .ok()
            .as_deref()
            .and_then(vm_hwm_kib)
        {
            peak_kib = peak_kib.max(kib);
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let secs = t.elapsed().as_secs_f64();
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!(
            "telemetry {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(ChildRun {
        secs,
        stdout: out.stdout,
        peak_kib,
    })
}

/// The `VmHWM:` line of /proc/PID/status, in KiB.
fn vm_hwm_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
