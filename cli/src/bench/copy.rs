//! Baselines: raw `COPY` of the parsed rows, and the naive one-statement-per-row upsert.

use std::io::{BufWriter, Read, Write};
use std::path::Path;
use std::time::Instant;

use bytes::Bytes;
use futures_util::SinkExt;
use telemetry_shared::csv::{Row, UsageCsvReader};
use telemetry_shared::model::LlmCall;

const COLUMNS: &str =
    "dedup_key, content_hash, source, timestamp, model, prompt_name, input_tokens, output_tokens, \
     estimated_cost, cost_status, price_version, success, error_message, duration_ms, notes";

fn calls(csv: &Path) -> anyhow::Result<impl Iterator<Item = LlmCall>> {
    let reader = UsageCsvReader::new(std::io::BufReader::new(std::fs::File::open(csv)?))?;
    Ok(reader.filter_map(|r| match r {
        Ok(Row::Call { call, .. }) => Some(call),
        _ => None,
    }))
}

fn text(v: Option<&str>) -> String {
    match v {
        None => "\\N".into(),
        Some(s) => s
            .replace('\\', "\\\\")
            .replace('\t', "\\t")
            .replace('\n', "\\n")
            .replace('\r', "\\r"),
    }
}

/// Parses `csv` with the project's parser (not timed) and writes the rows in COPY text
/// format to `out`; returns the row count. The same keys as ingestion, so the same table
/// work (unique index included). Identical keys keep their first row, as COPY cannot skip.
pub fn write_copy_text(csv: &Path, out: &Path) -> anyhow::Result<u64> {
    let mut w = BufWriter::new(std::fs::File::create(out)?);
    let mut seen = std::collections::HashSet::new();
    let mut n = 0;
    for c in calls(csv)? {
        if !seen.insert(c.dedup_key) {
            continue;
        }
        let key: String = c.dedup_key.0.iter().map(|b| format!("{b:02x}")).collect();
        writeln!(
            w,
            "\\\\x{key}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            c.content_hash(),
            c.source.as_str(),
            c.timestamp.to_rfc3339(),
            text(Some(&c.model)),
            text(c.prompt_name.as_deref()),
            c.tokens.input,
            c.tokens.output,
            c.cost.usd.map_or("\\N".into(), |v| v.to_string()),
            c.cost.status.as_str(),
            text(c.cost.price_version),
            c.success.map_or("\\N".into(), |b| b.to_string()),
            text(c.error_message.as_deref()),
            c.duration_ms.map_or("\\N".into(), |d| d.to_string()),
            text(c.notes.as_deref()),
        )?;
        n += 1;
    }
    w.flush()?;
    Ok(n)
}

/// Streams `file` into `COPY llm_calls FROM STDIN` in 1 MiB chunks.
pub async fn copy_in(client: &tokio_postgres::Client, file: &Path) -> anyhow::Result<u64> {
    let sink = client
        .copy_in::<_, Bytes>(&format!("COPY llm_calls ({COLUMNS}) FROM STDIN"))
        .await?;
    futures_util::pin_mut!(sink);
    let mut f = std::fs::File::open(file)?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        sink.send(Bytes::copy_from_slice(&buf[..n])).await?;
    }
    Ok(sink.finish().await?)
}

/// The naive script: one `INSERT ... ON CONFLICT DO UPDATE` per row, each its own
/// transaction. Returns (rows, seconds).
pub async fn naive_upserts(
    client: &tokio_postgres::Client,
    csv: &Path,
    limit: usize,
) -> anyhow::Result<(u64, f64)> {
    let rows: Vec<LlmCall> = calls(csv)?.take(limit).collect();
    let stmt = client
        .prepare(&format!(
            "INSERT INTO llm_calls ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::float8::numeric, $10, $11, $12, $13, $14, $15)
             ON CONFLICT (dedup_key) DO UPDATE SET input_tokens = EXCLUDED.input_tokens,
                 output_tokens = EXCLUDED.output_tokens, estimated_cost = EXCLUDED.estimated_cost"
        ))
        .await?;
    let t = Instant::now();
    for c in &rows {
        client
            .execute(
                &stmt,
                &[
                    &c.dedup_key.0.as_slice(),
                    &c.content_hash(),
                    &c.source.as_str(),
                    &c.timestamp,
                    &c.model,
                    &c.prompt_name,
                    &(c.tokens.input as i32),
                    &(c.tokens.output as i32),
                    &c.cost.usd,
                    &c.cost.status.as_str(),
                    &c.cost.price_version,
                    &c.success,
                    &c.error_message,
                    &c.duration_ms.map(|d| d as i32),
                    &c.notes,
                ],
            )
            .await?;
    }
    Ok((rows.len() as u64, t.elapsed().as_secs_f64()))
}
