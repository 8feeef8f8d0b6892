//! Archive objects: gzip-compressed JSONL, one line per row,
//! `{"kind":"archived","table":"llm_calls","row":{...every column...}}`. s3-ingest reads
//! them back ([`restore_rows`]): uploading an archive object to the ingest bucket restores
//! the same rows (same ids and values), and rows already present count as duplicates.

use crate::failure::Retryable;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Datelike, Utc};
use futures_util::{pin_mut, TryStreamExt};
use serde_json::Value;
use tokio_postgres::types::ToSql;
use tokio_postgres::GenericClient;

use super::policy::{TablePolicy, POLICIES};
use crate::db::DbError;
use crate::store::UpsertCounts;

/// The `kind` of archived rows in JSONL.
pub const ARCHIVED_KIND: &str = "archived";

/// Errors writing an archive part.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// Reading the rows.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Writing the temporary file.
    #[error("writing the archive file {path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl Retryable for ArchiveError {
    fn is_retryable(&self) -> bool {
        match self {
            ArchiveError::Db(e) => e.is_retryable(),
            ArchiveError::File { .. } => true,
        }
    }

    fn boundary(&self) -> &'static str {
        match self {
            ArchiveError::Db(e) => e.boundary(),
            ArchiveError::File { .. } => "ArchiveFile",
        }
    }
}

/// A part written to a local file, ready to upload; the file is removed on drop.
pub struct Part {
    /// The gzip file.
    pub path: PathBuf,
    /// Rows in it.
    pub rows: u64,
    /// Compressed size.
    pub bytes: u64,
    /// (key, xmin) of each row: a row is deleted only if it is still this version.
    pub versions: Vec<(i64, i64)>,
}

impl Drop for Part {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

static SEQ: AtomicU64 = AtomicU64::new(0);

/// Writes up to `limit` rows of `policy.table` with `time_column` in `[from, to)` to a
/// temporary gzip JSONL file.
pub async fn write_part(
    client: &impl GenericClient,
    policy: &TablePolicy,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> Result<Part, ArchiveError> {
    let _span = crate::xray::database(format_args!("archive {}", policy.table));
    let path = std::env::temp_dir().join(format!(
        "telemetry-archive-{}-{}-{}.jsonl.gz",
        std::process::id(),
        policy.table,
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let file_err = |source| ArchiveError::File {
        path: path.clone(),
        source,
    };
    let file = std::fs::File::create(&path).map_err(file_err)?;
    let mut part = Part {
        path: path.clone(),
        rows: 0,
        bytes: 0,
        versions: Vec::new(),
    };
    let mut gz = flate2::write::GzEncoder::new(
        std::io::BufWriter::with_capacity(1 << 20, file),
        flate2::Compression::fast(),
    );
    let sql = format!(
        "SELECT t.{key} AS key, t.xmin::text::int8 AS version,
                json_build_object('kind', '{ARCHIVED_KIND}', 'table', '{table}', 'row', to_jsonb(t))::text
                    AS line
         FROM {table} t WHERE {time} >= $1 AND {time} < $2 {only} LIMIT $3
         FOR UPDATE SKIP LOCKED",
        key = policy.key_column,
        table = policy.table,
        time = policy.time_column,
        only = policy.only.map(|c| format!("AND {c}")).unwrap_or_default(),
    );
    let params: [&(dyn ToSql + Sync); 3] = [&from, &to, &limit];
    let rows = client
        .query_raw(&sql, params)
        .await
        .map_err(DbError::from)?;
    pin_mut!(rows);
    while let Some(row) = rows.try_next().await.map_err(DbError::from)? {
        let line: &str = row.get("line");
        gz.write_all(line.as_bytes())
            .and_then(|_| gz.write_all(b"\n"))
            .map_err(file_err)?;
        part.versions.push((row.get("key"), row.get("version")));
        part.rows += 1;
    }
    let mut buf = gz.finish().map_err(file_err)?;
    buf.flush().map_err(file_err)?;
    drop(buf);
    part.bytes = std::fs::metadata(&path).map_err(file_err)?.len();
    Ok(part)
}

/// The object key of a part: `{prefix}{table}/{YYYY-MM}/part-{NNNN}.jsonl.gz`.
pub fn object_key(prefix: &str, table: &str, month: DateTime<Utc>, part: i32) -> String {
    format!(
        "{prefix}{table}/{:04}-{:02}/part-{part:04}.jsonl.gz",
        month.year(),
        month.month()
    )
}

/// An archived row read back from JSONL.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchivedRow {
    /// The table it came from (one of the archived tables).
    pub table: &'static str,
    /// Every column, as `to_jsonb` wrote it.
    pub row: Value,
}

/// Parses an `archived` JSONL line.
pub fn parse_archived(v: &Value) -> Result<ArchivedRow, String> {
    let name = v
        .get("table")
        .and_then(Value::as_str)
        .ok_or("archived row: missing \"table\"")?;
    let table = POLICIES
        .iter()
        .find(|p| p.archive && p.table == name)
        .map(|p| p.table)
        .ok_or_else(|| {
            let names: Vec<&str> = POLICIES
                .iter()
                .filter(|p| p.archive)
                .map(|p| p.table)
                .collect();
            format!(
                "archived row: table {name:?} is not one of {}",
                names.join(", ")
            )
        })?;
    match v.get("row") {
        Some(row @ Value::Object(_)) => Ok(ArchivedRow {
            table,
            row: row.clone(),
        }),
        _ => Err("archived row: \"row\" must be an object".into()),
    }
}

/// Inserts archived rows back, unchanged (ids included); a row whose key or identity is
/// already stored is a duplicate, unless the table's policy orders versions (`newest`):
/// then an archived row replaces an older version of itself (counted updated) and never a
/// newer one, so restoring every part of a month in any order gives each row's last values.
pub async fn restore_rows(
    client: &impl GenericClient,
    rows: &[ArchivedRow],
) -> Result<UpsertCounts, DbError> {
    let mut counts = UpsertCounts::default();
    let mut tables: Vec<&str> = rows.iter().map(|r| r.table).collect();
    tables.sort_unstable();
    tables.dedup();
    for table in tables {
        let values: Vec<&Value> = rows
            .iter()
            .filter(|r| r.table == table)
            .map(|r| &r.row)
            .collect();
        let batch = Value::Array(values.iter().map(|v| (*v).clone()).collect());
        let policy = POLICIES.iter().find(|p| p.table == table);
        // Generated columns are recomputed, not inserted.
        let columns: Vec<String> = client
            .query_one(
                "SELECT array_agg(quote_ident(attname)::text ORDER BY attnum) FROM pg_attribute
                 WHERE attrelid = $1::text::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''",
                &[&table],
            )
            .await?
            .get(0);
        let list = columns.join(", ");
        let on_conflict = match policy.and_then(|p| p.newest.map(|n| (p.key_column, n))) {
            Some((key, (target, version))) => {
                let set: Vec<&String> = columns.iter().filter(|c| c.as_str() != key).collect();
                let targets = set
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                let excluded = set
                    .iter()
                    .map(|c| format!("EXCLUDED.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!(
                    "ON CONFLICT {target} DO UPDATE SET ({targets}) = ROW({excluded})
                     WHERE {} < {}",
                    version.replace("{t}", table),
                    version.replace("{t}", "EXCLUDED")
                )
            }
            None => "ON CONFLICT DO NOTHING".to_string(),
        };
        let row = client
            .query_one(
                &format!(
                    "WITH ins AS (INSERT INTO {table} ({list})
                         SELECT {list} FROM jsonb_populate_recordset(NULL::{table}, $1)
                         {on_conflict} RETURNING xmax = 0 AS inserted)
                     SELECT count(*) FILTER (WHERE inserted) AS inserted,
                            count(*) FILTER (WHERE NOT inserted) AS updated
                     FROM ins"
                ),
                &[&batch],
            )
            .await?;
        let (inserted, updated): (i64, i64) = (row.get("inserted"), row.get("updated"));
        counts.inserted += inserted as u64;
        counts.updated += updated as u64;
        counts.duplicates += values.len() as u64 - (inserted + updated) as u64;
    }
    Ok(counts)
}
