//! A tree's files read without a database, for `telemetry push`: each file's calls since its
//! last mark (the same plan as `ingest jsonl`: unchanged, appended, rewritten), and the mark
//! to keep once they are delivered. Marks live wherever the caller keeps them.

use std::path::Path;

use super::mark::{self, ReadMark};
use super::read::{open, FileStatus, Opened};
use crate::jsonl::{Line, Record};
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
    let Some(Opened {
        status,
        head,
        gzip,
        start,
        mut reader,
    }) = open(path, last, || last.and_then(|m| m.state.clone()))?
    else {
        return Ok(NewCalls {
            status: FileStatus::Unchanged,
            calls: Vec::new(),
            rejected: Vec::new(),
            skipped: 0,
            mark: None,
        });
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
    let whole = reader.complete_lines();
    out.rejected.retain(|(line, _)| *line <= whole);
    out.mark = Some(mark::after_read(path, head, gzip, start, &reader)?);
    Ok(out)
}
