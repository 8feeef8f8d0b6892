//! Cutting a CSV stream into records, so that one broken line costs only itself:
//! - a line ends at `\n`, `\r\n` or a bare `\r` (files saved as "CSV (Macintosh)");
//! - a quoted field may run over several lines, but a quote still open at the end of the
//!   file, or over more than the line limit, is the first line's fault: that line is
//!   rejected and reading resumes at the next one (the caller does the same for a multi-line
//!   record that is not a valid row, see [`Framer::give_back`]);
//! - a line longer than the limit is rejected by number and skipped without being held in
//!   memory, so memory stays bounded by the limit whatever the input.
//!
//! Fields are split by `csv_core` (the csv crate's own parser); line numbers are counted here,
//! exactly, blank lines included.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};

/// Longest line (or multi-line record) read, by default: 1 MiB.
pub const DEFAULT_MAX_LINE_BYTES: usize = 1 << 20;

/// `INGEST_MAX_LINE_BYTES` when set to a positive number, else [`DEFAULT_MAX_LINE_BYTES`].
pub fn max_line_bytes_from_env() -> usize {
    std::env::var("INGEST_MAX_LINE_BYTES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_MAX_LINE_BYTES)
}

/// What [`Framer::next_record`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A record starting at `line` over `lines` physical lines; its fields are in
    /// [`Framer::fields`].
    Record {
        /// 1-based line where it starts.
        line: u64,
        /// Physical lines it spans.
        lines: u64,
    },
    /// A line that cannot be a record, with the reason.
    Reject {
        /// 1-based line.
        line: u64,
        /// Why.
        reason: String,
    },
    /// The end of the input.
    End,
}

/// The record cutter over `input`.
pub struct Framer<R: Read> {
    input: BufReader<R>,
    core: csv_core::Reader,
    max_line: usize,
    /// Physical lines read from the input so far.
    line: u64,
    bytes: u64,
    /// Physical lines given back, to be read again before the input (`None`: too long).
    pending: VecDeque<(u64, Option<Vec<u8>>)>,
    /// The current record's physical lines, without terminators, and where each ends.
    raw: Vec<u8>,
    breaks: Vec<usize>,
    first_line: u64,
    /// Split fields of the current record.
    out: Vec<u8>,
    outlen: usize,
    ends: Vec<usize>,
    nfields: usize,
    started: bool,
}

impl<R: Read> Framer<R> {
    /// A framer with lines of at most `max_line` bytes.
    pub fn new(input: R, max_line: usize) -> Self {
        Self {
            input: BufReader::with_capacity(256 * 1024, input),
            core: csv_core::ReaderBuilder::new()
                .terminator(csv_core::Terminator::Any(b'\n'))
                .build(),
            max_line: max_line.max(1),
            line: 0,
            bytes: 0,
            pending: VecDeque::new(),
            raw: Vec::new(),
            breaks: Vec::new(),
            first_line: 0,
            out: vec![0; 4096],
            outlen: 0,
            ends: vec![0; 64],
            nfields: 0,
            started: false,
        }
    }

    /// Bytes consumed from the input.
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    /// The fields of the record last returned.
    pub fn fields(&self) -> impl Iterator<Item = &[u8]> {
        let mut start = 0;
        self.ends[..self.nfields].iter().map(move |&end| {
            let f = &self.out[start..end];
            start = end;
            f
        })
    }

    /// The physical lines after the first of the record last returned, as read.
    pub fn continuation_lines(&self) -> impl Iterator<Item = &[u8]> {
        self.breaks.windows(2).map(|w| &self.raw[w[0]..w[1]])
    }

    /// The record last returned is not valid: keep its first line (rejected by the caller)
    /// and read its other lines again as records of their own.
    pub fn give_back(&mut self) {
        let mut start = self.breaks.first().copied().unwrap_or(0);
        let mut again = Vec::new();
        for (i, &end) in self.breaks.iter().enumerate().skip(1) {
            again.push((
                self.first_line + i as u64,
                Some(self.raw[start..end].to_vec()),
            ));
            start = end;
        }
        for l in again.into_iter().rev() {
            self.pending.push_front(l);
        }
        self.breaks.truncate(1);
    }

    /// The next physical line into `buf` (terminator dropped): its number, or `None` at the
    /// end. A line over the limit is consumed, not kept, and reported with `Err(number)`.
    fn physical_line(&mut self, buf: &mut Vec<u8>) -> std::io::Result<Option<Result<u64, u64>>> {
        match self.pending.pop_front() {
            Some((n, Some(l))) => {
                buf.extend_from_slice(&l);
                return Ok(Some(Ok(n)));
            }
            Some((n, None)) => return Ok(Some(Err(n))),
            None => {}
        }
        let start = buf.len();
        let mut too_long = false;
        let mut any = false;
        loop {
            let chunk = self.input.fill_buf()?;
            if chunk.is_empty() {
                break;
            }
            any = true;
            match memchr::memchr2(b'\n', b'\r', chunk) {
                Some(i) => {
                    let is_cr = chunk[i] == b'\r';
                    if !too_long {
                        buf.extend_from_slice(&chunk[..i]);
                    }
                    self.input.consume(i + 1);
                    self.bytes += i as u64 + 1;
                    // "\r\n" is one terminator; the '\n' may be in the next chunk.
                    if is_cr && self.input.fill_buf()?.first() == Some(&b'\n') {
                        self.input.consume(1);
                        self.bytes += 1;
                    }
                    break;
                }
                None => {
                    let n = chunk.len();
                    if !too_long {
                        buf.extend_from_slice(chunk);
                    }
                    self.input.consume(n);
                    self.bytes += n as u64;
                }
            }
            if buf.len() - start > self.max_line {
                too_long = true;
                buf.truncate(start);
            }
        }
        if !any {
            return Ok(None);
        }
        self.line += 1;
        if !self.started {
            self.started = true;
            if buf[start..].starts_with("\u{feff}".as_bytes()) {
                buf.drain(start..start + 3);
            }
        }
        too_long |= buf.len() - start > self.max_line;
        if too_long {
            buf.truncate(start);
            return Ok(Some(Err(self.line)));
        }
        Ok(Some(Ok(self.line)))
    }

    /// Splits `self.raw[from..]` plus a terminator through csv_core, continuing the current
    /// record: true when the record is complete, false when a quote is still open.
    fn feed(&mut self, from: usize) -> bool {
        let mut input: &[u8] = &self.raw[from..];
        let mut outlen = self.outlen;
        let mut parts: [&[u8]; 2] = [input, b"\n"];
        let mut part = 0;
        loop {
            if self.out.len() - outlen < 1024 {
                self.out.resize(self.out.len() * 2, 0);
            }
            if self.ends.len() == self.nfields {
                self.ends.resize(self.ends.len() * 2, 0);
            }
            input = parts[part];
            let (res, nin, nout, nend) = self.core.read_record(
                input,
                &mut self.out[outlen..],
                &mut self.ends[self.nfields..],
            );
            // csv_core's field ends count from the record's start, across calls.
            outlen += nout;
            self.nfields += nend;
            parts[part] = &input[nin..];
            use csv_core::ReadRecordResult as R;
            match res {
                R::Record | R::End => return true,
                R::OutputFull | R::OutputEndsFull => {}
                R::InputEmpty if part == 0 => part = 1,
                R::InputEmpty => {
                    self.outlen = outlen;
                    return false;
                }
            }
        }
    }

    /// The next record, reject or the end. Blank lines are skipped.
    pub fn next_record(&mut self) -> std::io::Result<Frame> {
        loop {
            self.raw.clear();
            self.breaks.clear();
            self.nfields = 0;
            self.outlen = 0;
            self.core.reset();
            let mut raw = std::mem::take(&mut self.raw);
            let first = self.physical_line(&mut raw);
            self.raw = raw;
            let first = match first? {
                None => return Ok(Frame::End),
                Some(Err(n)) => {
                    return Ok(Frame::Reject {
                        line: n,
                        reason: format!("line longer than {} bytes", self.max_line),
                    })
                }
                Some(Ok(n)) => n,
            };
            if self.raw.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            self.first_line = first;
            self.breaks.push(self.raw.len());
            let mut complete = self.feed(0);
            while !complete {
                let from = self.raw.len();
                let mut raw = std::mem::take(&mut self.raw);
                let next = self.physical_line(&mut raw);
                self.raw = raw;
                match next? {
                    Some(Ok(_)) if self.raw.len() <= self.max_line => {
                        self.breaks.push(self.raw.len());
                        complete = self.feed(from);
                    }
                    // The end of the input, a line too long, or a record over the limit
                    // with its quote still open: the first line is at fault.
                    ended => {
                        let reason = match ended {
                            None => "unclosed quote: the quoted field runs to the end of the file",
                            _ => "unclosed quote: the quoted field runs past the line limit",
                        };
                        // The line that ended it is read again after the ones before it.
                        match ended {
                            Some(Err(n)) => self.pending.push_front((n, None)),
                            Some(Ok(n)) => {
                                let line = self.raw[from..].to_vec();
                                self.pending.push_front((n, Some(line)));
                            }
                            None => {}
                        }
                        self.raw.truncate(from);
                        self.give_back();
                        return Ok(Frame::Reject {
                            line: first,
                            reason: reason.into(),
                        });
                    }
                }
            }
            return Ok(Frame::Record {
                line: first,
                lines: self.breaks.len() as u64,
            });
        }
    }
}

#[cfg(test)]
mod tests;
