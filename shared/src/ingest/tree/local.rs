//! A tree's files read without a database, for `telemetry push`: each file's calls since its
//! last mark (the same plan as `ingest jsonl`: unchanged, appended, rewritten), and the mark
//! to keep once they are delivered. Marks live wherever the caller keeps them.

use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::Path;

use super::mark::{self, hash_range, Plan, ReadMark, HASH_SPAN};
use super::read::FileStatus;
use crate::ingest::format::{FileKind, Format};
use crate::jsonl::{JsonlReader, Line, Record};
use crate::model::LlmCall;

/// A file's calls since its last mark.
#[derive(Debug)]
pub struct NewCalls {
    /// How the file was read.
    pub status: FileStatus,
    /// The calls, with their line numbers.
    pub calls: Vec<(u64, LlmCall)>,
    /// Lines refused, with their numbers and reasons (not a last line without its newline
    /// yet: that one is read again next time).
    pub rejected: Vec<(u64, String)>,
    /// Lines that were repeats or carried no call (agent and fleet records included: push
    /// sends calls only).
    pub skipped: u64,
    /// The mark once these calls are delivered (`None` when the file was unchanged).
    pub mark: Option<ReadMark>,
}

/// The calls of `path` since `last` (all of them without one).
pub fn read_new_calls(path: &Path, last: Option<&ReadMark>) -> std::io::Result<NewCalls> {
    let gzip = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    let mut file = File::open(path)?;
    let (size, mtime) = mark::size_and_mtime(&file)?;
    let (status, start, state) = match mark::plan(&mut file, size, mtime, last, gzip)? {
        Plan::Unchanged => {
            return Ok(NewCalls {
                status: FileStatus::Unchanged,
                calls: Vec::new(),
                rejected: Vec::new(),
                skipped: 0,
                mark: None,
            })
        }
        Plan::Resume { offset } => match last.and_then(|m| m.state.clone()) {
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
    let mut reader = match &state {
        Some(s) => JsonlReader::resume(input, s).map_err(std::io::Error::other)?,
        None => JsonlReader::new(input),
    };
    let mut out = NewCalls {
        status,
        calls: Vec::new(),
        rejected: Vec::new(),
        skipped: 0,
        mark: None,
    };
    for line in reader.by_ref() {
        match line? {
            Line::Record {
                line,
                record: Record::Call(call),
            } => out.calls.push((line, call)),
            Line::Record { .. } | Line::Duplicate { .. } | Line::Skipped { .. } => out.skipped += 1,
            Line::Reject { line, reason, .. } => out.rejected.push((line, reason)),
        }
    }
    // A last line still being written is read again next time: not refused now.
    let whole = reader.state().line;
    out.rejected.retain(|(line, _)| *line <= whole);
    let head = mark::Head {
        size,
        mtime,
        head_hash,
        head_len,
    };
    out.mark = Some(mark::after_read(path, head, gzip, start, &reader)?);
    Ok(out)
}
