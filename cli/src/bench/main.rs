//! `telemetry-bench`: ingestion benchmarks, each measured against raw `COPY` of the same rows
//! in the same run. Run through `scripts/bench` (release build, PostgreSQL and tools ensured).
//!
//! - `csv` (default): (a) raw COPY, (b) `telemetry ingest csv` on an empty table, (c) re-ingest
//!   of the identical file, (d) a naive row-by-row upsert with a commit per row.
//! - `s3`: a large usage.csv object read from a local S3 server (moto_server) by
//!   `telemetry ingest s3`, the s3-ingest code path: throughput and peak memory.

mod child;
mod copy;
mod csv_bench;
mod db;
mod gen;
mod s3_bench;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Benchmark options.
#[derive(Parser)]
struct Args {
    /// Working directory for generated files.
    #[arg(long, default_value = ".bench", global = true)]
    dir: PathBuf,
    /// Admin connection string; each benchmark creates and drops its own database.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    database_url: String,
    #[command(subcommand)]
    which: Option<Which>,
}

#[derive(Subcommand)]
enum Which {
    /// usage.csv from a local file against COPY and a naive script.
    Csv {
        /// Rows in the generated usage.csv.
        #[arg(long, default_value_t = 1_000_000)]
        rows: u64,
        /// Rows for the naive row-by-row baseline.
        #[arg(long, default_value_t = 20_000)]
        naive_rows: usize,
    },
    /// A large object streamed from a local S3 server.
    S3 {
        /// Object size to generate, in MB.
        #[arg(long, default_value_t = 1024)]
        size_mb: u64,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    std::fs::create_dir_all(&args.dir)?;
    match args.which.unwrap_or(Which::Csv {
        rows: 1_000_000,
        naive_rows: 20_000,
    }) {
        Which::Csv { rows, naive_rows } => {
            csv_bench::run(&args.dir, &args.database_url, rows, naive_rows).await
        }
        Which::S3 { size_mb } => s3_bench::run(&args.dir, &args.database_url, size_mb).await,
    }
}
