//! The producer side of an ingestion: a blocking thread parses the input into bounded
//! batches of calls and agent records, plus rejects and parser-level counts. Every record is
//! checked against its columns here, so a value the database would refuse is a reject with
//! its line, never a failed batch.

use std::io::BufRead;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::format::Format;
use super::RejectedRow;
use crate::columns::Validate;
use crate::csv::{HeaderError, Row, UsageCsvReader};
use crate::fleet::FleetRecord;
use crate::jsonl::{AgentRecord, JsonlReader, Line, Record};
use crate::model::LlmCall;
use crate::pricing::PriceBook;
use crate::prune::ArchivedRow;

/// Records of one kind with the line each was read from.
pub(super) struct Lined<T> {
    pub items: Vec<T>,
    pub lines: Vec<u64>,
}

impl<T> Default for Lined<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            lines: Vec::new(),
        }
    }
}

impl<T> Lined<T> {
    /// Moves `other`'s records to the end, their lines mapped by `line`.
    pub(super) fn append(&mut self, other: Lined<T>, line: impl Fn(u64) -> u64) {
        self.items.extend(other.items);
        self.lines.extend(other.lines.into_iter().map(line));
    }

    fn push(&mut self, line: u64, item: T) {
        self.items.push(item);
        self.lines.push(line);
    }

    fn view(&self) -> Slice<'_, T> {
        Slice {
            items: &self.items,
            lines: &self.lines,
        }
    }
}

/// Some of a [`Lined`]: records with their lines, in line order.
pub(super) struct Slice<'a, T> {
    pub items: &'a [T],
    pub lines: &'a [u64],
}

impl<T> Clone for Slice<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Slice<'_, T> {}

impl<'a, T> Slice<'a, T> {
    /// Records before line `at`, and the rest.
    fn split_at_line(self, at: u64) -> (Self, Self) {
        let n = self.lines.partition_point(|l| *l < at);
        let ((i1, i2), (l1, l2)) = (self.items.split_at(n), self.lines.split_at(n));
        (
            Slice {
                items: i1,
                lines: l1,
            },
            Slice {
                items: i2,
                lines: l2,
            },
        )
    }
}

/// The records of a batch that are written, by kind, in line order.
#[derive(Default)]
pub(super) struct Records {
    pub calls: Lined<LlmCall>,
    pub agent: Lined<AgentRecord>,
    pub fleet: Lined<FleetRecord>,
    pub archived: Lined<ArchivedRow>,
}

impl Records {
    /// Moves `other`'s records to the end, their lines mapped by `line`.
    pub fn append(&mut self, other: Records, line: impl Fn(u64) -> u64 + Copy) {
        self.calls.append(other.calls, line);
        self.agent.append(other.agent, line);
        self.fleet.append(other.fleet, line);
        self.archived.append(other.archived, line);
    }

    /// How many records.
    pub fn len(&self) -> usize {
        self.calls.items.len()
            + self.agent.items.len()
            + self.fleet.items.len()
            + self.archived.items.len()
    }

    /// All of them, for writing.
    pub fn view(&self) -> RecordsView<'_> {
        RecordsView {
            calls: self.calls.view(),
            agent: self.agent.view(),
            fleet: self.fleet.view(),
            archived: self.archived.view(),
        }
    }
}

/// Some of a batch's records: what one transaction writes.
#[derive(Clone, Copy)]
pub(super) struct RecordsView<'a> {
    pub calls: Slice<'a, LlmCall>,
    pub agent: Slice<'a, AgentRecord>,
    pub fleet: Slice<'a, FleetRecord>,
    pub archived: Slice<'a, ArchivedRow>,
}

impl RecordsView<'_> {
    fn lines(&self) -> [&[u64]; 4] {
        [
            self.calls.lines,
            self.agent.lines,
            self.fleet.lines,
            self.archived.lines,
        ]
    }

    /// How many records.
    pub fn len(&self) -> usize {
        self.lines().iter().map(|l| l.len()).sum()
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The first and last line held.
    pub fn line_range(&self) -> Option<(u64, u64)> {
        let all = self.lines();
        let first = all.iter().filter_map(|l| l.first()).min()?;
        let last = all.iter().filter_map(|l| l.last()).max()?;
        Some((*first, *last))
    }

    /// Two halves by line, each non-empty when `len() > 1`: how a refused record is isolated.
    pub fn halve(self) -> (Self, Self) {
        let mut lines: Vec<u64> = self.lines().into_iter().flatten().copied().collect();
        lines.sort_unstable();
        let at = lines[lines.len() / 2];
        let (c1, c2) = self.calls.split_at_line(at);
        let (a1, a2) = self.agent.split_at_line(at);
        let (f1, f2) = self.fleet.split_at_line(at);
        let (r1, r2) = self.archived.split_at_line(at);
        (
            RecordsView {
                calls: c1,
                agent: a1,
                fleet: f1,
                archived: r1,
            },
            RecordsView {
                calls: c2,
                agent: a2,
                fleet: f2,
                archived: r2,
            },
        )
    }
}

/// One transaction's worth of input.
#[derive(Default)]
pub(super) struct Batch {
    pub records: Records,
    pub rejects: Vec<RejectedRow>,
    pub duplicates: u64,
    pub skipped: u64,
    pub first_line: u64,
    pub last_line: u64,
    pub bytes: u64,
    len: usize,
}

impl Batch {
    /// Lines in the batch.
    pub(super) fn len(&self) -> usize {
        self.len
    }

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
    prices: Arc<PriceBook>,
    batch_rows: usize,
    max_line: usize,
    tx: Tx,
) {
    match format {
        Format::UsageCsv => match UsageCsvReader::with_max_line(input, max_line) {
            Ok(reader) => drive(reader, &prices, batch_rows, tx),
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
            }
        },
        Format::Jsonl => drive(JsonlReader::new(input), &prices, batch_rows, tx),
        // A report is one record, read whole by `coverage::ingest_coverage`.
        Format::Coverage(_) => {}
    }
}

fn flush(batch: &mut Batch, bytes: u64, tx: &Tx) -> bool {
    batch.bytes = bytes;
    tx.blocking_send(Ok(std::mem::take(batch))).is_ok()
}

/// A parser seen as a stream of lines, each already sorted into a batch by `add`.
pub(super) trait LineSource {
    /// Reads the next record into `batch`; `None` at the end, an error to stop.
    /// Calls are priced by `prices` (the shipped table and the team's overrides) before
    /// they are checked against their columns.
    fn add_next(
        &mut self,
        batch: &mut Batch,
        prices: &PriceBook,
    ) -> Option<Result<(), HeaderError>>;
    /// Bytes consumed so far.
    fn bytes_read(&self) -> u64;
}

impl<R: BufRead> LineSource for UsageCsvReader<R> {
    fn add_next(
        &mut self,
        batch: &mut Batch,
        prices: &PriceBook,
    ) -> Option<Result<(), HeaderError>> {
        Some(match self.next()? {
            Ok(Row::Call { line, mut call }) => {
                batch.note(line);
                prices.apply(&mut call);
                match call.validate() {
                    Ok(()) => batch.records.calls.push(line, call),
                    Err(e) => batch.rejects.push(RejectedRow {
                        line,
                        reason: e.to_string(),
                        raw: Some(self.current_raw()),
                    }),
                }
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
    fn add_next(
        &mut self,
        batch: &mut Batch,
        prices: &PriceBook,
    ) -> Option<Result<(), HeaderError>> {
        let line = match self.next()? {
            Ok(line) => line,
            Err(e) => return Some(Err(HeaderError::from_io(&e))),
        };
        match line {
            Line::Record { line, mut record } => {
                batch.note(line);
                if let Record::Call(c) = &mut record {
                    prices.apply(c);
                }
                let checked = match &record {
                    Record::Call(c) => c.validate(),
                    Record::Agent(a) => a.validate(),
                    Record::Fleet(f) => f.validate(),
                    // Restored rows are checked by the database (and isolated when refused).
                    Record::Archived(_) => Ok(()),
                };
                let r = &mut batch.records;
                match (checked, record) {
                    (Err(e), _) => batch.rejects.push(RejectedRow {
                        line,
                        reason: e.to_string(),
                        raw: Some(self.current_raw()),
                    }),
                    (Ok(()), Record::Call(c)) => r.calls.push(line, c),
                    (Ok(()), Record::Agent(a)) => r.agent.push(line, a),
                    (Ok(()), Record::Fleet(f)) => r.fleet.push(line, f),
                    (Ok(()), Record::Archived(a)) => r.archived.push(line, a),
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
fn drive(mut source: impl LineSource, prices: &PriceBook, batch_rows: usize, tx: Tx) {
    let mut batch = Batch::default();
    loop {
        match source.add_next(&mut batch, prices) {
            None => break,
            Some(Ok(())) => {}
            Some(Err(e)) => {
                // What was read before the damage is stored.
                if batch.len > 0 && !flush(&mut batch, source.bytes_read(), &tx) {
                    return;
                }
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
