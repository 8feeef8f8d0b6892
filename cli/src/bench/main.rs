//! `telemetry-bench`: measures usage.csv ingestion against the physical limit, in one run.
//!
//! (a) raw `COPY` of the same rows into the same table, (b) `telemetry ingest csv` on an empty
//! table, (c) re-ingest of the identical file, (d) a naive row-by-row `INSERT ... ON CONFLICT`
//! with a commit per row. Prints rows/s and ratios to (a), plus (b)'s peak memory.
//! Run it through `scripts/bench` (release build, a PostgreSQL ensured).

mod copy;
mod gen;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Parser;
use telemetry_shared::db::{connect_one, migrate, with_database};

/// Benchmark options.
#[derive(Parser)]
struct Args {
    /// Rows in the generated usage.csv.
    #[arg(long, default_value_t = 1_000_000)]
    rows: u64,
    /// Rows for the naive row-by-row baseline.
    #[arg(long, default_value_t = 20_000)]
    naive_rows: usize,
    /// Working directory for the generated file and results.
    #[arg(long, default_value = ".bench")]
    dir: PathBuf,
    /// Admin connection string; the benchmark creates and drops its own database.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: String,
}

struct Measure {
    name: &'static str,
    rows: u64,
    secs: f64,
}

impl Measure {
    fn rate(&self) -> f64 {
        self.rows as f64 / self.secs
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    std::fs::create_dir_all(&args.dir)?;
    let csv = args.dir.join(format!("usage-{}.csv", args.rows));
    if !csv.exists() {
        eprintln!("generating {} rows into {}", args.rows, csv.display());
        let mut f = std::io::BufWriter::new(std::fs::File::create(&csv)?);
        gen::write_usage_csv(&mut f, args.rows)?;
        std::io::Write::flush(&mut f)?;
    }
    let size = std::fs::metadata(&csv)?.len();

    let db_url = fresh_database(&args.database_url, "telemetry_bench").await?;
    let mut client = connect_one(&db_url).await?;
    migrate(&mut client).await?;

    eprintln!("(a) raw COPY");
    let copy_file = args.dir.join("copy.txt");
    let copy_rows = copy::write_copy_text(&csv, &copy_file)?;
    let a = {
        let t = Instant::now();
        copy::copy_in(&client, &copy_file).await?;
        Measure {
            name: "(a) raw COPY",
            rows: copy_rows,
            secs: t.elapsed().as_secs_f64(),
        }
    };
    client.batch_execute("TRUNCATE llm_calls").await?;
    client.batch_execute("VACUUM ANALYZE llm_calls").await?;

    eprintln!("(b) telemetry ingest csv, empty table");
    let (b_secs, b_report, b_rss) = run_ingest(&csv, &db_url)?;
    let b = Measure {
        name: "(b) ingest csv, empty table",
        rows: b_report.rows_read,
        secs: b_secs,
    };
    let stored: i64 = client
        .query_one("SELECT count(*) FROM llm_calls", &[])
        .await?
        .get(0);
    let size_before: i64 = client
        .query_one("SELECT pg_total_relation_size('llm_calls')", &[])
        .await?
        .get(0);

    eprintln!("(c) re-ingest of the identical file");
    let (c_secs, c_report, _) = run_ingest(&csv, &db_url)?;
    let c = Measure {
        name: "(c) re-ingest, identical file",
        rows: c_report.rows_read,
        secs: c_secs,
    };
    let size_after: i64 = client
        .query_one("SELECT pg_total_relation_size('llm_calls')", &[])
        .await?
        .get(0);

    eprintln!("(d) naive row-by-row upsert, commit per row");
    client.batch_execute("TRUNCATE llm_calls").await?;
    let d = {
        let n = copy::naive_upserts(&client, &csv, args.naive_rows).await?;
        Measure {
            name: "(d) naive INSERT per row",
            rows: n.0,
            secs: n.1,
        }
    };
    drop(client);
    drop_database(&args.database_url, "telemetry_bench").await?;

    let ratio = |m: &Measure| m.rate() / a.rate();
    println!("usage.csv: {} rows, {:.1} MB", args.rows, size as f64 / 1e6);
    println!(
        "{:<32} {:>10} {:>9} {:>12} {:>8}",
        "", "rows", "secs", "rows/s", "vs (a)"
    );
    for m in [&a, &b, &c, &d] {
        println!(
            "{:<32} {:>10} {:>9.2} {:>12.0} {:>7.3}x",
            m.name,
            m.rows,
            m.secs,
            m.rate(),
            ratio(m)
        );
    }
    println!("(b) peak RSS: {:.1} MB", b_rss as f64 / 1024.0);
    println!(
        "(b) stored {stored} rows ({} inserted, {} duplicates, {} rejected); (c) inserted {}, updated {}, table size {} -> {} bytes",
        b_report.inserted, b_report.duplicates, b_report.rejected, c_report.inserted, c_report.updated, size_before, size_after
    );
    let checks = [
        ("(b) >= 0.6x (a)", ratio(&b) >= 0.6),
        (
            "(c) writes no rows",
            c_report.inserted == 0 && c_report.updated == 0 && size_after == size_before,
        ),
        ("(c) >= 0.8x (a)", ratio(&c) >= 0.8),
        ("(b) >= 50x (d)", b.rate() >= 50.0 * d.rate()),
        ("(b) peak RSS < 100 MB", b_rss < 100 * 1024),
    ];
    for (name, ok) in checks {
        println!("{} {name}", if ok { "PASS" } else { "MISS" });
    }
    Ok(())
}

#[derive(serde::Deserialize)]
struct Report {
    rows_read: u64,
    inserted: u64,
    updated: u64,
    duplicates: u64,
    rejected: u64,
}

/// Runs the release `telemetry ingest csv --json` as a child; returns seconds, its report and
/// its peak RSS (KiB). The peak is the child's own `VmHWM`, sampled every 5 ms: rusage of
/// children would count the benchmark's memory, which a spawned child shares until exec.
fn run_ingest(csv: &Path, db_url: &str) -> anyhow::Result<(f64, Report, u64)> {
    let exe = std::env::current_exe()?.with_file_name("telemetry");
    let t = Instant::now();
    let mut child = Command::new(&exe)
        .args(["ingest", "csv", "--json"])
        .arg(csv)
        .env("DATABASE_URL", db_url)
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
        bail!("ingest failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let report: Report = serde_json::from_slice(&out.stdout)?;
    Ok((secs, report, peak_kib))
}

/// The `VmHWM:` line of /proc/PID/status, in KiB.
fn vm_hwm_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

async fn fresh_database(admin_url: &str, name: &str) -> anyhow::Result<String> {
    drop_database(admin_url, name).await?;
    let admin = connect_one(admin_url).await?;
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await?;
    Ok(with_database(admin_url, name))
}

async fn drop_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let admin = connect_one(admin_url).await?;
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await?;
    Ok(())
}
