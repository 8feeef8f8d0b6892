//! The producer side of an ingestion: a blocking thread parses the input into bounded
//! batches of calls and agent records, plus rejects and parser-level counts.

use std::io::BufRead;

use tokio::sync::mpsc;

use super::format::Format;
use super::RejectedRow;
use crate::csv::{Row, UsageCsvReader};
use crate::jsonl::{AgentRecord, JsonlReader, Line, Record};
use crate::model::LlmCall;

/// Why parsing stopped early.
#[derive(Debug)]
pub(super) enum ParseError {
    /// The file is not usable as a whole (CSV header).
    Unreadable(crate::csv::HeaderError),
    /// Reading failed (I/O, corrupt gzip).
    Io(String),
}

/// One transaction's worth of input.
#[derive(Default)]
pub(super) struct Batch {
    pub calls: Vec<LlmCall>,
    pub agent: Vec<AgentRecord>,
    pub rejects: Vec<RejectedRow>,
    pub duplicates: u64,
    pub skipped: u64,
    pub first_line: u64,
    pub last_line: u64,
    pub bytes: u64,
    len: usize,
}

impl Batch {
    fn note(&mut self, line: u64) {
        if self.len == 0 {
            self.first_line = line;
        }
        self.last_line = line;
        self.len += 1;
    }
}

type Tx = mpsc::Sender<Result<Batch, ParseError>>;

/// Parses `input` as `format`, sending a batch every `batch_rows` lines. Stops quietly when
/// the receiver is gone.
pub(super) fn parse_into(
    format: Format,
    input: Box<dyn BufRead + Send>,
    batch_rows: usize,
    tx: Tx,
) {
    match format {
        Format::UsageCsv => csv_into(input, batch_rows, tx),
        Format::Jsonl => jsonl_into(input, batch_rows, tx),
    }
}

fn flush(batch: &mut Batch, bytes: u64, tx: &Tx) -> bool {
    batch.bytes = bytes;
    tx.blocking_send(Ok(std::mem::take(batch))).is_ok()
}

fn csv_into(input: Box<dyn BufRead + Send>, batch_rows: usize, tx: Tx) {
    let mut reader = match UsageCsvReader::new(input) {
        Ok(r) => r,
        Err(e) => {
            let _ = tx.blocking_send(Err(ParseError::Unreadable(e)));
            return;
        }
    };
    let mut batch = Batch::default();
    while let Some(row) = reader.next() {
        match row {
            Ok(Row::Call { line, call }) => {
                batch.note(line);
                batch.calls.push(call);
            }
            Ok(Row::Reject { line, reason }) => {
                batch.note(line);
                let raw = Some(reader.current_raw());
                batch.rejects.push(RejectedRow { line, reason, raw });
            }
            Err(e) => {
                let _ = tx.blocking_send(Err(ParseError::Io(e.to_string())));
                return;
            }
        }
        if batch.len == batch_rows && !flush(&mut batch, reader.bytes_read(), &tx) {
            return;
        }
    }
    if batch.len > 0 {
        flush(&mut batch, reader.bytes_read(), &tx);
    }
}

fn jsonl_into(input: Box<dyn BufRead + Send>, batch_rows: usize, tx: Tx) {
    let mut reader = JsonlReader::new(input);
    let mut batch = Batch::default();
    while let Some(line) = reader.next() {
        match line {
            Ok(Line::Record { line, record }) => {
                batch.note(line);
                match record {
                    Record::Call(c) => batch.calls.push(c),
                    Record::Agent(a) => batch.agent.push(a),
                }
            }
            Ok(Line::Duplicate { line }) => {
                batch.note(line);
                batch.duplicates += 1;
            }
            Ok(Line::Skipped { line }) => {
                batch.note(line);
                batch.skipped += 1;
            }
            Ok(Line::Reject { line, reason, raw }) => {
                batch.note(line);
                batch.rejects.push(RejectedRow {
                    line,
                    reason,
                    raw: Some(raw),
                });
            }
            Err(e) => {
                let _ = tx.blocking_send(Err(ParseError::Io(e.to_string())));
                return;
            }
        }
        if batch.len == batch_rows && !flush(&mut batch, reader.bytes_read(), &tx) {
            return;
        }
    }
    if batch.len > 0 {
        flush(&mut batch, reader.bytes_read(), &tx);
    }
}
