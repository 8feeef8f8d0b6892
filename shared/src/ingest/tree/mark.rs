//! `ingest_files`: what a local file looked like when it was last read, and how a re-run
//! reads it: not at all (unchanged), from where the last read stopped (appended to), or
//! whole (new or rewritten).

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use tokio_postgres::GenericClient;

use crate::db::DbError;
use crate::jsonl::ReaderState;

/// Bytes hashed at the head of a file, and before its resume point.
pub(super) const HASH_SPAN: u64 = 4096;

/// A file as last read.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReadMark {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, to the microsecond.
    pub mtime: Option<DateTime<Utc>>,
    /// SHA-256 of the first `head_len` bytes.
    pub head_hash: Vec<u8>,
    /// Bytes hashed at the head (4 KiB, or the whole of a smaller file).
    pub head_len: u64,
    /// Where the next read resumes: after the last whole line (0 for gzip files).
    pub offset: u64,
    /// SHA-256 of the 4 KiB before `offset`.
    pub tail_hash: Vec<u8>,
    /// The reader's state at `offset`: set when saving; read from the database only for a
    /// file that is resumed ([`load_state`]), so a large tree's states are never all in memory.
    pub state: Option<ReaderState>,
}

/// How to read a file this time.
#[derive(Debug)]
pub enum Plan {
    /// Same size, time and head as last read: nothing to do.
    Unchanged,
    /// It grew past where the last read stopped, the bytes before that point unchanged.
    Resume { offset: u64 },
    /// New, rewritten, shrunk or compressed: from the start.
    Whole { rewritten: bool },
}

/// SHA-256 of `len` bytes of `file` from `at` (fewer when the file ends first).
pub(super) fn hash_range(file: &mut File, at: u64, len: u64) -> std::io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(at))?;
    let mut buf = Vec::with_capacity(len as usize);
    file.by_ref().take(len).read_to_end(&mut buf)?;
    Ok(Sha256::digest(&buf).to_vec())
}

/// The plan for `file` (of `size` bytes, modified at `mtime`) given its last `mark`.
/// A gzip file is never resumed: its bytes cannot be entered mid-stream.
pub fn plan(
    file: &mut File,
    size: u64,
    mtime: Option<DateTime<Utc>>,
    mark: Option<&ReadMark>,
    gzip: bool,
) -> std::io::Result<Plan> {
    let Some(c) = mark else {
        return Ok(Plan::Whole { rewritten: false });
    };
    if size < c.head_len || hash_range(file, 0, c.head_len)? != c.head_hash {
        return Ok(Plan::Whole { rewritten: true });
    }
    if size == c.size && mtime == c.mtime {
        return Ok(Plan::Unchanged);
    }
    let span = c.offset.min(HASH_SPAN);
    if gzip || size < c.offset || hash_range(file, c.offset - span, span)? != c.tail_hash {
        return Ok(Plan::Whole { rewritten: true });
    }
    Ok(Plan::Resume { offset: c.offset })
}

/// A file's size and modification time (to the microsecond, as the database keeps it).
pub(super) fn size_and_mtime(file: &File) -> std::io::Result<(u64, Option<DateTime<Utc>>)> {
    let meta = file.metadata()?;
    let mtime = meta
        .modified()
        .ok()
        .map(DateTime::<Utc>::from)
        .and_then(|t| DateTime::from_timestamp_micros(t.timestamp_micros()));
    Ok((meta.len(), mtime))
}

/// What a read saw of a file before reading it.
pub(super) struct Head {
    pub size: u64,
    pub mtime: Option<DateTime<Utc>>,
    pub head_hash: Vec<u8>,
    pub head_len: u64,
}

/// The mark of `path` after `reader`, started at byte `start`, read to its end: a plain
/// file resumes after its last whole line, a gzip file is read whole next time it changes.
pub(super) fn after_read<R: std::io::BufRead>(
    path: &std::path::Path,
    head: Head,
    gzip: bool,
    start: u64,
    reader: &crate::jsonl::JsonlReader<R>,
) -> std::io::Result<ReadMark> {
    let Head {
        size,
        mtime,
        head_hash,
        head_len,
    } = head;
    if gzip {
        return Ok(ReadMark {
            size,
            mtime,
            head_hash,
            head_len,
            offset: 0,
            tail_hash: Vec::new(),
            state: None,
        });
    }
    let offset = start + reader.complete_bytes();
    let span = offset.min(HASH_SPAN);
    let tail_hash = hash_range(&mut File::open(path)?, offset - span, span)?;
    Ok(ReadMark {
        size,
        mtime,
        head_hash,
        head_len,
        offset,
        tail_hash,
        state: Some(reader.state()),
    })
}

/// The marks stored for `paths`.
pub(super) async fn load(
    client: &impl GenericClient,
    paths: &[String],
) -> Result<HashMap<String, ReadMark>, DbError> {
    let rows = client
        .query(
            "SELECT path, size_bytes, mtime, head_hash, head_len, offset_bytes, tail_hash
             FROM ingest_files WHERE path = ANY($1)",
            &[&paths],
        )
        .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for r in rows {
        out.insert(
            r.get("path"),
            ReadMark {
                size: r.get::<_, i64>("size_bytes") as u64,
                mtime: r.get("mtime"),
                head_hash: r.get("head_hash"),
                head_len: r.get::<_, i32>("head_len") as u64,
                offset: r.get::<_, i64>("offset_bytes") as u64,
                tail_hash: r.get("tail_hash"),
                state: None,
            },
        );
    }
    Ok(out)
}

/// The reader state saved for `path`; `None` when there is none this version can read (the
/// file is then read whole, never misread).
pub(super) async fn load_state(
    client: &impl GenericClient,
    path: &str,
) -> Result<Option<ReaderState>, DbError> {
    let row = client
        .query_opt(
            "SELECT reader_state FROM ingest_files WHERE path = $1",
            &[&path],
        )
        .await?;
    Ok(row.and_then(|r| serde_json::from_value(r.get("reader_state")).ok()))
}

/// Stores the marks of files whose records are all committed.
pub(super) async fn save(
    client: &impl GenericClient,
    run_id: i64,
    marks: &[(String, ReadMark)],
) -> Result<(), DbError> {
    if marks.is_empty() {
        return Ok(());
    }
    let mut paths = Vec::new();
    let mut sizes = Vec::new();
    let mut mtimes = Vec::new();
    let mut heads = Vec::new();
    let mut head_lens = Vec::new();
    let mut offsets = Vec::new();
    let mut tails = Vec::new();
    let mut states = Vec::new();
    // One row per path, the last mark given (one statement cannot update a row twice).
    let last: HashMap<&str, &ReadMark> = marks.iter().map(|(p, c)| (p.as_str(), c)).collect();
    for (path, c) in last {
        paths.push(path);
        sizes.push(c.size as i64);
        mtimes.push(c.mtime);
        heads.push(c.head_hash.as_slice());
        head_lens.push(c.head_len as i32);
        offsets.push(c.offset as i64);
        tails.push(c.tail_hash.as_slice());
        states.push(serde_json::to_value(c.state.clone().unwrap_or_default()).unwrap_or_default());
    }
    client
        .execute(
            "INSERT INTO ingest_files
                 (path, size_bytes, mtime, head_hash, head_len, offset_bytes, tail_hash, reader_state, ingest_run_id)
             SELECT *, $9::int8 FROM unnest($1::text[], $2::int8[], $3::timestamptz[], $4::bytea[],
                                            $5::int4[], $6::int8[], $7::bytea[], $8::jsonb[])
             ON CONFLICT (path) DO UPDATE SET
                 size_bytes = EXCLUDED.size_bytes, mtime = EXCLUDED.mtime,
                 head_hash = EXCLUDED.head_hash, head_len = EXCLUDED.head_len,
                 offset_bytes = EXCLUDED.offset_bytes, tail_hash = EXCLUDED.tail_hash,
                 reader_state = EXCLUDED.reader_state, ingest_run_id = EXCLUDED.ingest_run_id,
                 read_at = now()",
            &[
                &paths, &sizes, &mtimes, &heads, &head_lens, &offsets, &tails, &states, &run_id,
            ],
        )
        .await?;
    Ok(())
}
