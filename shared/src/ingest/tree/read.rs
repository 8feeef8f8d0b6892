//! The reading side of a tree ingestion: each thread takes the next file, decides from its
//! mark how much of it to read, and sends its batches (then how it ended) to the writer.

use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::Path;

use serde::Serialize;
use tokio::sync::mpsc;

use super::mark::{self, hash_range, Plan, ReadMark, HASH_SPAN};
use crate::csv::HeaderError;
use crate::ingest::format::{FileKind, Format};
use crate::ingest::parse::{Batch, LineSource};
use crate::jsonl::{JsonlReader, ReaderState};
use crate::pricing::PriceBook;

/// How a file was read this time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    /// Read from the start for the first time.
    Read,
    /// Only the bytes appended since the last read were read.
    Appended,
    /// Unchanged since the last read: not read.
    Unchanged,
    /// Changed other than by appending (or shrunk): read again from the start.
    Rewritten,
    /// Could not be opened or read at all.
    Unreadable,
}

/// A reading thread's message to the writer.
pub(super) enum Msg {
    /// Some of file `file`'s lines.
    Batch { file: usize, batch: Batch },
    /// File `file` is finished; sent after all of its batches.
    Done { file: usize, end: FileEnd },
}

/// How reading a file ended.
pub(super) struct FileEnd {
    pub status: FileStatus,
    /// Bytes read this time.
    pub bytes: u64,
    /// The mark to store once its batches are committed (none after a failure).
    pub mark: Option<ReadMark>,
    /// Damage that ended the file early (what came before is stored).
    pub cut_short: Option<String>,
    /// Why nothing of the file could be read.
    pub error: Option<String>,
}

impl FileEnd {
    fn failed(error: String) -> FileEnd {
        FileEnd {
            status: FileStatus::Unreadable,
            bytes: 0,
            mark: None,
            cut_short: None,
            error: Some(error),
        }
    }
}

/// One file to read, and where its batches go.
pub(super) struct FileJob<'a> {
    /// Its place in the run's list.
    pub index: usize,
    pub path: &'a Path,
    /// How it looked when last read.
    pub last: Option<&'a ReadMark>,
    /// The reader state saved with `last`, fetched only when the file is resumed.
    pub saved_state: &'a dyn Fn() -> Option<ReaderState>,
    pub prices: &'a PriceBook,
    pub batch_rows: usize,
    pub tx: &'a mpsc::Sender<Msg>,
}

/// Reads the file of `job`; false when the writer is gone.
pub(super) fn read_file(job: &FileJob<'_>) -> bool {
    let end = match read(job) {
        Ok(Some(end)) => end,
        Ok(None) => return false,
        Err(e) => FileEnd::failed(e.to_string()),
    };
    let file = job.index;
    job.tx.blocking_send(Msg::Done { file, end }).is_ok()
}

/// The file's end, or `None` when the writer went away.
fn read(job: &FileJob<'_>) -> std::io::Result<Option<FileEnd>> {
    let FileJob {
        index,
        path,
        last,
        saved_state,
        prices,
        batch_rows,
        tx,
    } = *job;
    let Some(Opened {
        status,
        head,
        gzip,
        start,
        mut reader,
    }) = open(path, last, saved_state)?
    else {
        return Ok(Some(FileEnd {
            status: FileStatus::Unchanged,
            bytes: 0,
            mark: None,
            cut_short: None,
            error: None,
        }));
    };
    let mut batch = Batch::default();
    let mut damage: Option<HeaderError> = None;
    loop {
        match reader.add_next(&mut batch, prices) {
            None => break,
            Some(Ok(())) => {}
            Some(Err(e)) => {
                damage = Some(e);
                break;
            }
        }
        if batch.len() >= batch_rows {
            batch.bytes = reader.bytes_read();
            let full = std::mem::take(&mut batch);
            if tx
                .blocking_send(Msg::Batch {
                    file: index,
                    batch: full,
                })
                .is_err()
            {
                return Ok(None);
            }
        }
    }
    if batch.len() > 0 {
        batch.bytes = reader.bytes_read();
        if tx.blocking_send(Msg::Batch { file: index, batch }).is_err() {
            return Ok(None);
        }
    }
    let bytes = reader.bytes_read();
    if let Some(e) = damage {
        if bytes == 0 {
            return Err(std::io::Error::other(e.to_string()));
        }
        return Ok(Some(FileEnd {
            status,
            bytes,
            mark: None,
            cut_short: Some(e.to_string()),
            error: None,
        }));
    }
    let mark = mark::after_read(path, head, gzip, start, &reader)?;
    Ok(Some(FileEnd {
        status,
        bytes,
        mark: Some(mark),
        cut_short: None,
        error: None,
    }))
}

/// A file opened where this read starts, with what the mark after it needs.
pub(super) struct Opened {
    /// How it is read.
    pub status: FileStatus,
    /// Its size, time and head as this read found them.
    pub head: mark::Head,
    /// A gzip file (read whole, never resumed).
    pub gzip: bool,
    /// The byte the reader starts at.
    pub start: u64,
    /// The reader, resumed from the saved state when the file grew.
    pub reader: JsonlReader<Box<dyn std::io::BufRead + Send>>,
}

/// `path` opened as its `last` mark says (`saved_state` the reader's state at the mark,
/// asked only for a file that grew), or `None` when it is unchanged.
pub(super) fn open(
    path: &Path,
    last: Option<&ReadMark>,
    saved_state: impl FnOnce() -> Option<ReaderState>,
) -> std::io::Result<Option<Opened>> {
    let gzip = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    let mut file = File::open(path)?;
    let (size, mtime) = mark::size_and_mtime(&file)?;
    let (status, start, state) = match mark::plan(&mut file, size, mtime, last, gzip)? {
        Plan::Unchanged => return Ok(None),
        Plan::Resume { offset } => match saved_state() {
            Some(state) => (FileStatus::Appended, offset, Some(state)),
            None => (FileStatus::Rewritten, 0, None),
        },
        Plan::Whole { rewritten: true } => (FileStatus::Rewritten, 0, None),
        Plan::Whole { rewritten: false } => (FileStatus::Read, 0, None),
    };
    let head_len = size.min(HASH_SPAN);
    let head_hash = hash_range(&mut file, 0, head_len)?;
    file.seek(SeekFrom::Start(start))?;
    let input = FileKind {
        format: Format::Jsonl,
        gzip,
    }
    .reader(file);
    let reader = match &state {
        Some(s) => JsonlReader::resume(input, s).map_err(std::io::Error::other)?,
        None => JsonlReader::new(input),
    };
    Ok(Some(Opened {
        status,
        head: mark::Head {
            size,
            mtime,
            head_hash,
            head_len,
        },
        gzip,
        start,
        reader,
    }))
}
