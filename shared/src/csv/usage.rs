//! Streaming reader of `usage.csv`: columns found by header name, one [`Row`] per record.

use std::io::Read;

use sha2::{Digest, Sha256};

use super::fields::{parse_bool, parse_count, parse_timestamp};
use super::occurrence::Occurrences;
use crate::columns::tables::llm_calls;
use crate::model::{CallSource, DedupKey, LlmCall, Tokens};
use crate::pricing::PriceTable;

/// Columns a file must have; the others (`task_success`, `task_type`, `duration_ms`,
/// `notes`) are optional and extra columns are ignored.
pub const REQUIRED_COLUMNS: [&str; 4] =
    ["timestamp", "model", "prompt_tokens", "completion_tokens"];

/// The file cannot be read as usage.csv at all.
#[derive(Debug, thiserror::Error)]
pub enum HeaderError {
    /// The file has no header line.
    #[error("the file is empty (no header line)")]
    Empty,
    /// Required columns are absent.
    #[error("header lacks required column(s) {missing}; found: {found}")]
    MissingColumns {
        /// Comma-separated missing names.
        missing: String,
        /// Comma-separated header as read.
        found: String,
    },
    /// Reading failed in a way that may not happen again (connection lost mid-stream).
    #[error("cannot read the file: {0}")]
    Io(String),
    /// The bytes are not what they claim to be (corrupt or truncated gzip): fails again.
    #[error("the file is corrupt or truncated: {0}")]
    Corrupt(String),
}

impl HeaderError {
    /// Classifies a read error: bad data and early ends are the file's fault (permanent),
    /// anything else the transport's (transient).
    pub fn from_io(e: &std::io::Error) -> HeaderError {
        use std::io::ErrorKind::{InvalidData, InvalidInput, UnexpectedEof};
        match e.kind() {
            InvalidData | InvalidInput | UnexpectedEof => HeaderError::Corrupt(e.to_string()),
            _ => HeaderError::Io(e.to_string()),
        }
    }

    fn from_csv(e: &csv::Error) -> HeaderError {
        match e.kind() {
            csv::ErrorKind::Io(io) => HeaderError::from_io(io),
            _ => HeaderError::Corrupt(e.to_string()),
        }
    }
}

/// One data record: a call ready to store, or a reject with its reason.
// Rows move once, into a batch; boxing the call would cost an allocation per row.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Row {
    /// A valid row.
    Call {
        /// 1-based line where the record starts (the header is line 1).
        line: u64,
        /// The call.
        call: LlmCall,
    },
    /// An invalid row, skipped.
    Reject {
        /// 1-based line where the record starts.
        line: u64,
        /// Why it was refused.
        reason: String,
    },
}

#[derive(Debug, Clone, Copy)]
struct Columns {
    timestamp: usize,
    model: usize,
    prompt_tokens: usize,
    completion_tokens: usize,
    task_success: Option<usize>,
    task_type: Option<usize>,
    duration_ms: Option<usize>,
    notes: Option<usize>,
    count: usize,
}

/// Iterator over the data records of a usage.csv stream. Memory use does not grow with the
/// input: one record buffer and a bounded occurrence window.
pub struct UsageCsvReader<R: Read> {
    rdr: csv::Reader<R>,
    cols: Columns,
    record: csv::ByteRecord,
    occurrences: Occurrences,
    prices: &'static PriceTable,
    failed: bool,
}

impl<R: Read> UsageCsvReader<R> {
    /// Reads the header (BOM and CRLF accepted) and maps columns by name, case-insensitively.
    pub fn new(input: R) -> Result<Self, HeaderError> {
        // '\n' alone ends a record: a CRLF file's '\r' becomes trailing whitespace that every
        // field parser trims, and line numbers can be counted exactly (see `start_line`).
        let mut rdr = csv::ReaderBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .flexible(true)
            .has_headers(true)
            .from_reader(input);
        let header = rdr
            .byte_headers()
            .map_err(|e| HeaderError::from_csv(&e))?
            .clone();
        if header.is_empty() || (header.len() == 1 && header[0].is_empty()) {
            return Err(HeaderError::Empty);
        }
        let names: Vec<String> = header
            .iter()
            .map(|h| {
                String::from_utf8_lossy(h)
                    .trim_start_matches('\u{feff}')
                    .trim()
                    .to_ascii_lowercase()
            })
            .collect();
        let find = |n: &str| names.iter().position(|h| h == n);
        let missing: Vec<&str> = REQUIRED_COLUMNS
            .iter()
            .copied()
            .filter(|c| find(c).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(HeaderError::MissingColumns {
                missing: missing.join(", "),
                found: names.join(","),
            });
        }
        let req = |n: &str| find(n).unwrap_or_default();
        let cols = Columns {
            timestamp: req("timestamp"),
            model: req("model"),
            prompt_tokens: req("prompt_tokens"),
            completion_tokens: req("completion_tokens"),
            task_success: find("task_success"),
            task_type: find("task_type"),
            duration_ms: find("duration_ms"),
            notes: find("notes"),
            count: names.len(),
        };
        Ok(Self {
            rdr,
            cols,
            record: csv::ByteRecord::new(),
            occurrences: Occurrences::default(),
            prices: PriceTable::shipped(),
            failed: false,
        })
    }

    /// The record just read, its fields joined by commas (for rejects files).
    pub fn current_raw(&self) -> String {
        let fields: Vec<String> = self
            .record
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect();
        let mut raw = fields.join(",");
        raw.truncate(raw.floor_char_boundary(4096));
        raw
    }

    /// Bytes consumed so far (for progress reporting).
    pub fn bytes_read(&self) -> u64 {
        self.rdr.position().byte()
    }

    /// 1-based line where the record just read starts. The reader stands after the record's
    /// '\n', so counting back by the newlines inside quoted fields is exact for terminated
    /// records, and one short for a final record without a newline, where the record's own
    /// start position is exact instead. (The start position alone falls short after blank
    /// lines, which the csv crate skips without reporting them.)
    fn start_line(&self) -> u64 {
        let from_start = self.record.position().map_or(1, |p| p.line());
        let end = self.rdr.position().line();
        let inner = self
            .record
            .as_slice()
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        from_start.max(end.saturating_sub(inner + 1)).max(1)
    }

    fn parse_record(&mut self) -> Result<LlmCall, String> {
        let c = self.cols;
        let rec = &self.record;
        if rec.len() != c.count {
            return Err(format!(
                "wrong column count: expected {} fields, found {}",
                c.count,
                rec.len()
            ));
        }
        let field = |i: usize| -> Result<&str, String> {
            std::str::from_utf8(&rec[i]).map_err(|_| "invalid UTF-8".to_string())
        };
        let opt_field = |i: Option<usize>| -> Result<Option<&str>, String> {
            match i {
                Some(i) => field(i).map(|s| Some(s.trim()).filter(|s| !s.is_empty())),
                None => Ok(None),
            }
        };
        let timestamp = parse_timestamp(field(c.timestamp)?)?;
        let model = field(c.model)?.trim();
        if model.is_empty() {
            return Err("missing model".into());
        }
        llm_calls::MODEL
            .check_str(model)
            .map_err(|e| e.to_string())?;
        let tokens = Tokens {
            input: parse_count("prompt_tokens", field(c.prompt_tokens)?, true)?.unwrap_or(0),
            output: parse_count("completion_tokens", field(c.completion_tokens)?, true)?
                .unwrap_or(0),
            ..Tokens::default()
        };
        let success = match c.task_success {
            Some(i) => parse_bool("task_success", field(i)?)?,
            None => None,
        };
        let duration_ms = match c.duration_ms {
            Some(i) => parse_count("duration_ms", field(i)?, false)?,
            None => None,
        };
        let task_type = opt_field(c.task_type)?;
        // Stored as the call's prompt_name; named as the file names it.
        llm_calls::PROMPT_NAME
            .check_opt_str(task_type)
            .map_err(|e| format!("task_type: {}", e.reason))?;
        let notes = opt_field(c.notes)?;

        let micros = timestamp.timestamp_micros().to_le_bytes();
        let task = task_type.unwrap_or("").as_bytes();
        let identity = identity_digest(&micros, model.as_bytes(), task);
        let ordinal = self.occurrences.next(identity, timestamp).to_le_bytes();
        let dedup_key = DedupKey::derive(
            CallSource::UsageCsv.as_str(),
            timestamp,
            &[model.as_bytes(), task, &ordinal],
        );
        Ok(LlmCall {
            dedup_key,
            source: CallSource::UsageCsv,
            timestamp,
            cost: self.prices.cost(model, &tokens),
            model: model.to_string(),
            prompt_name: task_type.map(str::to_string),
            phase: None,
            tokens,
            success,
            // The seed's error_message "captures failure reason when success is false".
            error_message: if success == Some(false) {
                notes.map(str::to_string)
            } else {
                None
            },
            duration_ms,
            session_id: None,
            worker_id: None,
            task_id: None,
            notes: notes.map(str::to_string),
        })
    }
}

fn identity_digest(micros: &[u8], model: &[u8], task: &[u8]) -> [u8; 16] {
    let mut h = Sha256::new();
    for p in [micros, model, task] {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    let mut out = [0u8; 16];
    out.copy_from_slice(&h.finalize()[..16]);
    out
}

impl<R: Read> Iterator for UsageCsvReader<R> {
    type Item = Result<Row, HeaderError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        loop {
            let mut record = std::mem::take(&mut self.record);
            let read = self.rdr.read_byte_record(&mut record);
            self.record = record;
            match read {
                Ok(false) => return None,
                Ok(true) => {
                    let line = self.start_line();
                    // A line holding only whitespace is not a record.
                    if self.record.len() == 1 && self.record[0].iter().all(u8::is_ascii_whitespace)
                    {
                        continue;
                    }
                    return Some(Ok(match self.parse_record() {
                        Ok(call) => Row::Call { line, call },
                        Err(reason) => Row::Reject { line, reason },
                    }));
                }
                Err(e) => match e.kind() {
                    csv::ErrorKind::Io(_) => {
                        self.failed = true;
                        return Some(Err(HeaderError::from_csv(&e)));
                    }
                    _ => {
                        let line = e.position().map_or(0, |p| p.line());
                        return Some(Ok(Row::Reject {
                            line,
                            reason: format!("unreadable record: {e}"),
                        }));
                    }
                },
            }
        }
    }
}

#[cfg(test)]
mod tests;
