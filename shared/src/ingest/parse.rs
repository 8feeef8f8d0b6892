//! The producer side of an ingestion: a blocking thread parses the input into bounded
//! batches of calls and agent records, plus rejects and parser-level counts.

use std::io::BufRead;

use tokio::sync::mpsc;

use super::format::Format;
use super::RejectedRow;
use crate::csv::{HeaderError, Row, UsageCsvReader};
use crate::fleet::FleetRecord;
use crate::jsonl::{AgentRecord, JsonlReader, Line, Record};
use crate::model::LlmCall;
use crate::prune::ArchivedRow;

/// One transaction's worth of input.
#[derive(Default)]
pub(super) struct Batch {
    pub calls: Vec<LlmCall>,
    pub agent: Vec<AgentRecord>,
    pub fleet: Vec<FleetRecord>,
    pub archived: Vec<ArchivedRow>,
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

type Tx = mpsc::Sender<Result<Batch, HeaderError>>;

/// Parses `input` as `format`, sending a batch every `batch_rows` lines. Stops quietly when
/// the receiver is gone.
pub(super) fn parse_into(
    format: Format,
    input: Box<dyn BufRead + Send>,
    batch_rows: usize,
    tx: Tx,
) {
    match format {
        Format::UsageCsv => match UsageCsvReader::new(input) {
            Ok(reader) => drive(reader, batch_rows, tx),
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
            }
        },
        Format::Jsonl => drive(JsonlReader::new(input), batch_rows, tx),
        // A report is one record, read whole by `coverage::ingest_coverage`.
        Format::Coverage(_) => {}
    }
}

fn flush(batch: &mut Batch, bytes: u64, tx: &Tx) -> bool {
    batch.bytes = bytes;
    tx.blocking_send(Ok(std::mem::take(batch))).is_ok()
}

/// A parser seen as a stream of lines, each already sorted into a batch by `add`.
trait LineSource {
    /// Reads the next record into `batch`; `None` at the end, an error to stop.
    fn add_next(&mut self, batch: &mut Batch) -> Option<Result<(), HeaderError>>;
    /// Bytes consumed so far.
    fn bytes_read(&self) -> u64;
}

impl<R: BufRead> LineSource for UsageCsvReader<R> {
    fn add_next(&mut self, batch: &mut Batch) -> Option<Result<(), HeaderError>> {
        Some(match self.next()? {
            Ok(Row::Call { line, call }) => {
                batch.note(line);
                batch.calls.push(call);
                Ok(())
            }
            Ok(Row::Reject { line, reason }) => {
                batch.note(line);
                let raw = Some(self.current_raw());
                batch.rejects.push(RejectedRow { line, reason, raw });
                Ok(())
            }
            Err(e) => Err(e),
        })
    }

    fn bytes_read(&self) -> u64 {
        UsageCsvReader::bytes_read(self)
    }
}

impl<R: BufRead> LineSource for JsonlReader<R> {
    fn add_next(&mut self, batch: &mut Batch) -> Option<Result<(), HeaderError>> {
        let line = match self.next()? {
            Ok(line) => line,
            Err(e) => return Some(Err(HeaderError::from_io(&e))),
        };
        match line {
            Line::Record { line, record } => {
                batch.note(line);
                match record {
                    Record::Call(c) => batch.calls.push(c),
                    Record::Agent(a) => batch.agent.push(a),
                    Record::Fleet(f) => batch.fleet.push(f),
                    Record::Archived(r) => batch.archived.push(r),
                }
            }
            Line::Duplicate { line } => {
                batch.note(line);
                batch.duplicates += 1;
            }
            Line::Skipped { line } => {
                batch.note(line);
                batch.skipped += 1;
            }
            Line::Reject { line, reason, raw } => {
                batch.note(line);
                batch.rejects.push(RejectedRow {
                    line,
                    reason,
                    raw: Some(raw),
                });
            }
        }
        Some(Ok(()))
    }

    fn bytes_read(&self) -> u64 {
        JsonlReader::bytes_read(self)
    }
}

/// Sends a batch every `batch_rows` lines of `source`, and the rest at the end.
fn drive(mut source: impl LineSource, batch_rows: usize, tx: Tx) {
    let mut batch = Batch::default();
    loop {
        match source.add_next(&mut batch) {
            None => break,
            Some(Ok(())) => {}
            Some(Err(e)) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        }
        if batch.len == batch_rows && !flush(&mut batch, source.bytes_read(), &tx) {
            return;
        }
    }
    if batch.len > 0 {
        flush(&mut batch, source.bytes_read(), &tx);
    }
}
