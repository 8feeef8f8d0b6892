//! A large usage.csv object streamed from a local S3 server (moto_server) through
//! `telemetry ingest s3`, against raw COPY of the same rows in the same run.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;

use super::child::run_telemetry;
use super::{copy, db, gen};

/// Average bytes per generated usage.csv row (measured on the generator's output).
const BYTES_PER_ROW: u64 = 76;

struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_moto() -> anyhow::Result<(Moto, String)> {
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("moto_server on PATH (scripts/bench installs it)")?;
    let moto = Moto(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("moto_server did not start");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok((moto, format!("http://127.0.0.1:{port}")))
}

/// Generates ~`size_mb` of usage.csv, uploads it, and measures COPY and the S3 ingest.
pub async fn run(dir: &Path, admin_url: &str, size_mb: u64) -> anyhow::Result<()> {
    let rows = size_mb * 1_000_000 / BYTES_PER_ROW;
    let csv = dir.join(format!("usage-{rows}.csv"));
    gen::ensure_usage_csv(&csv, rows)?;
    let size = std::fs::metadata(&csv)?.len();

    let (_moto, endpoint) = start_moto()?;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::new()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("bench", "bench", None, None, "bench"))
            .endpoint_url(&endpoint)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket().bucket("bench").send().await?;
    eprintln!(
        "uploading {:.0} MB to the local S3 server",
        size as f64 / 1e6
    );
    s3.put_object()
        .bucket("bench")
        .key("uploads/usage.csv")
        .body(ByteStream::from_path(&csv).await?)
        .send()
        .await?;

    let (client, db_url) = db::fresh(admin_url, "telemetry_bench_s3").await?;
    eprintln!("raw COPY of the same rows");
    let copy_file = dir.join("copy-s3.txt");
    let copy_rows = copy::write_copy_text(&csv, &copy_file)?;
    let t = Instant::now();
    copy::copy_in(&client, &copy_file).await?;
    let copy_secs = t.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&copy_file);
    client.batch_execute("TRUNCATE llm_calls").await?;
    client.batch_execute("VACUUM ANALYZE llm_calls").await?;

    eprintln!("telemetry ingest s3 s3://bench/uploads/usage.csv");
    let env = [
        ("DATABASE_URL", db_url.as_str()),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "bench"),
        ("AWS_SECRET_ACCESS_KEY", "bench"),
        ("AWS_REGION", "us-east-1"),
        ("S3_FORCE_PATH_STYLE", "true"),
    ];
    let run = run_telemetry(
        &["ingest", "s3", "s3://bench/uploads/usage.csv", "--json"],
        &env,
    )?;
    let outcome: serde_json::Value = serde_json::from_slice(&run.stdout)?;
    let read = outcome["report"]["rows_read"].as_u64().unwrap_or(0);
    let stored: i64 = client
        .query_one("SELECT count(*) FROM llm_calls", &[])
        .await?
        .get(0);
    drop(client);
    db::drop_db(admin_url, "telemetry_bench_s3").await?;

    let copy_rate = db::rate(copy_rows, copy_secs);
    let s3_rate = db::rate(read, run.secs);
    println!(
        "object: {rows} rows, {:.1} MB, status {}",
        size as f64 / 1e6,
        outcome["status"]
    );
    println!(
        "{:<34} {:>10} {:>9} {:>12} {:>8}",
        "", "rows", "secs", "rows/s", "vs COPY"
    );
    println!(
        "{:<34} {:>10} {:>9.2} {:>12.0} {:>7.3}x",
        "raw COPY (local file)", copy_rows, copy_secs, copy_rate, 1.0
    );
    println!(
        "{:<34} {:>10} {:>9.2} {:>12.0} {:>7.3}x",
        "ingest s3 (streamed from S3)",
        read,
        run.secs,
        s3_rate,
        s3_rate / copy_rate
    );
    println!(
        "stored {stored} rows; peak RSS {:.1} MB",
        run.peak_kib as f64 / 1024.0
    );
    println!(
        "{} peak RSS < 128 MB",
        if run.peak_kib < 128 * 1024 {
            "PASS"
        } else {
            "MISS"
        }
    );
    Ok(())
}
