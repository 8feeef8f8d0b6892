//! (a) raw COPY, (b) ingest on an empty table, (c) identical re-ingest, (d) naive upserts.

use std::path::Path;
use std::time::Instant;

use super::child::run_telemetry;
use super::{copy, db, gen};

#[derive(serde::Deserialize)]
struct Report {
    rows_read: u64,
    inserted: u64,
    updated: u64,
    duplicates: u64,
    rejected: u64,
}

struct Measure {
    name: &'static str,
    rows: u64,
    secs: f64,
}

/// Runs the four measurements and prints them with the targets.
pub async fn run(dir: &Path, admin_url: &str, rows: u64, naive_rows: usize) -> anyhow::Result<()> {
    let csv = dir.join(format!("usage-{rows}.csv"));
    gen::ensure_usage_csv(&csv, rows)?;
    let size = std::fs::metadata(&csv)?.len();
    let (client, db_url) = db::fresh(admin_url, "telemetry_bench").await?;

    eprintln!("(a) raw COPY");
    let copy_file = dir.join("copy.txt");
    let copy_rows = copy::write_copy_text(&csv, &copy_file)?;
    let t = Instant::now();
    copy::copy_in(&client, &copy_file).await?;
    let a = Measure {
        name: "(a) raw COPY",
        rows: copy_rows,
        secs: t.elapsed().as_secs_f64(),
    };
    client.batch_execute("TRUNCATE llm_calls").await?;
    client.batch_execute("VACUUM ANALYZE llm_calls").await?;

    let csv_arg = csv.to_string_lossy().to_string();
    let ingest_args = ["ingest", "csv", "--json", csv_arg.as_str()];
    let env = [("DATABASE_URL", db_url.as_str())];
    eprintln!("(b) telemetry ingest csv, empty table");
    let b_run = run_telemetry(&ingest_args, &env)?;
    let b_report: Report = serde_json::from_slice(&b_run.stdout)?;
    let b = Measure {
        name: "(b) ingest csv, empty table",
        rows: b_report.rows_read,
        secs: b_run.secs,
    };
    let stored: i64 = client
        .query_one("SELECT count(*) FROM llm_calls", &[])
        .await?
        .get(0);
    let table_size = "SELECT pg_total_relation_size('llm_calls')";
    let size_before: i64 = client.query_one(table_size, &[]).await?.get(0);

    eprintln!("(c) re-ingest of the identical file");
    let c_run = run_telemetry(&ingest_args, &env)?;
    let c_report: Report = serde_json::from_slice(&c_run.stdout)?;
    let c = Measure {
        name: "(c) re-ingest, identical file",
        rows: c_report.rows_read,
        secs: c_run.secs,
    };
    let size_after: i64 = client.query_one(table_size, &[]).await?.get(0);

    eprintln!("(d) naive row-by-row upsert, commit per row");
    client.batch_execute("TRUNCATE llm_calls").await?;
    let (n, secs) = copy::naive_upserts(&client, &csv, naive_rows).await?;
    let d = Measure {
        name: "(d) naive INSERT per row",
        rows: n,
        secs,
    };
    drop(client);
    db::drop_db(admin_url, "telemetry_bench").await?;

    let rate = |m: &Measure| db::rate(m.rows, m.secs);
    let ratio = |m: &Measure| rate(m) / rate(&a);
    println!("usage.csv: {rows} rows, {:.1} MB", size as f64 / 1e6);
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
            rate(m),
            ratio(m)
        );
    }
    println!("(b) peak RSS: {:.1} MB", b_run.peak_kib as f64 / 1024.0);
    println!(
        "(b) stored {stored} rows ({} inserted, {} duplicates, {} rejected); (c) inserted {}, updated {}, table size {size_before} -> {size_after} bytes",
        b_report.inserted, b_report.duplicates, b_report.rejected, c_report.inserted, c_report.updated
    );
    let checks = [
        ("(b) >= 0.6x (a)", ratio(&b) >= 0.6),
        (
            "(c) writes no rows",
            c_report.inserted == 0 && c_report.updated == 0 && size_after == size_before,
        ),
        ("(c) >= 0.8x (a)", ratio(&c) >= 0.8),
        ("(b) >= 50x (d)", rate(&b) >= 50.0 * rate(&d)),
        ("(b) peak RSS < 100 MB", b_run.peak_kib < 100 * 1024),
    ];
    for (name, ok) in checks {
        println!("{} {name}", if ok { "PASS" } else { "MISS" });
    }
    Ok(())
}
