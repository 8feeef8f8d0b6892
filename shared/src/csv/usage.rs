//! Streaming reader of `usage.csv`: columns found by header name, one [`Row`] per record
//! (records cut by [`super::framing`], so a broken line costs only itself).

use std::io::Read;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::fields::{parse_bool, parse_count, parse_timestamp};
use super::framing::{Frame, Framer, DEFAULT_MAX_LINE_BYTES};
use super::occurrence::Occurrences;
use crate::columns::tables::llm_calls;
use crate::model::{CallSource, DedupKey, LlmCall, Tokens};
use crate::pricing::PriceBook;

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
    /// The header names a column twice: which one would be read is anybody's guess.
    #[error("header names column {0:?} twice")]
    DuplicateColumn(String),
    /// The header line itself cannot be read (too long, an unclosed quote).
    #[error("the header line cannot be read: {0}")]
    BadHeader(String),
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
    framer: Framer<R>,
    cols: Columns,
    occurrences: Occurrences,
    prices: Arc<PriceBook>,
    failed: bool,
}

impl<R: Read> UsageCsvReader<R> {
    /// Reads the header (BOM and CRLF accepted) and maps columns by name, case-insensitively;
    /// lines of at most [`DEFAULT_MAX_LINE_BYTES`].
    pub fn new(input: R) -> Result<Self, HeaderError> {
        Self::with_max_line(input, DEFAULT_MAX_LINE_BYTES)
    }

    /// [`UsageCsvReader::new`] with lines of at most `max_line` bytes: a longer line is
    /// rejected by number, and memory stays bounded by the limit.
    pub fn with_max_line(input: R, max_line: usize) -> Result<Self, HeaderError> {
        let mut framer = Framer::new(input, max_line);
        match framer.next_record().map_err(|e| HeaderError::from_io(&e))? {
            Frame::End => return Err(HeaderError::Empty),
            Frame::Reject { reason, .. } => return Err(HeaderError::BadHeader(reason)),
            Frame::Record { .. } => {}
        }
        let names: Vec<String> = framer
            .fields()
            .map(|h| String::from_utf8_lossy(h).trim().to_ascii_lowercase())
            .collect();
        if names.iter().all(String::is_empty) {
            return Err(HeaderError::Empty);
        }
        for (i, n) in names.iter().enumerate() {
            if !n.is_empty() && names[..i].contains(n) {
                return Err(HeaderError::DuplicateColumn(n.clone()));
            }
        }
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
            framer,
            cols,
            occurrences: Occurrences::default(),
            prices: PriceBook::shipped(),
            failed: false,
        })
    }

    /// The record just read, its fields joined by commas (for rejects files).
    pub fn current_raw(&self) -> String {
        let fields: Vec<String> = self
            .framer
            .fields()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect();
        let mut raw = fields.join(",");
        raw.truncate(raw.floor_char_boundary(4096));
        raw
    }

    /// Bytes consumed so far (for progress reporting).
    pub fn bytes_read(&self) -> u64 {
        self.framer.bytes_read()
    }

    /// True when the multi-line record just read is not one row but an unclosed quote
    /// followed by rows: it does not parse as a row, or a line between its first and last
    /// does (has the header's field count and a valid timestamp). A note that spans lines
    /// in a valid row is kept. (The last line holds the closing quote and the rest of the
    /// row, so it reads as a row in either case.)
    fn swallows_rows(&self) -> bool {
        let fields: Vec<&[u8]> = self.framer.fields().collect();
        let timestamp_ok = |f: &[&[u8]]| {
            f.len() == self.cols.count
                && std::str::from_utf8(f[self.cols.timestamp])
                    .is_ok_and(|t| parse_timestamp(t).is_ok())
        };
        if !timestamp_ok(&fields) {
            return true;
        }
        let middle = self.framer.continuation_lines().count().saturating_sub(1);
        self.framer.continuation_lines().take(middle).any(|l| {
            let mut f = Framer::new(l, l.len() + 1);
            matches!(f.next_record(), Ok(Frame::Record { .. }))
                && timestamp_ok(&f.fields().collect::<Vec<_>>())
        })
    }

    fn parse_record(&mut self) -> Result<LlmCall, String> {
        let c = self.cols;
        let rec: Vec<&[u8]> = self.framer.fields().collect();
        if rec.len() != c.count {
            return Err(format!(
                "wrong column count: expected {} fields, found {}",
                c.count,
                rec.len()
            ));
        }
        let field = |i: usize| -> Result<&str, String> {
            std::str::from_utf8(rec[i]).map_err(|_| "invalid UTF-8".to_string())
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

        let fields = KeyFields {
            model,
            task_type,
            tokens: &tokens,
            success,
            duration_ms,
            notes,
        };
        let dedup_key = fields.key(&mut self.occurrences, timestamp);
        Ok(LlmCall {
            dedup_key,
            source: CallSource::UsageCsv,
            timestamp,
            cost: self.prices.cost(model, &tokens, None),
            source_cost_usd: None,
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
            project_id: None,
            attribution: Default::default(),
        })
    }
}

/// The fields a usage.csv call is stored with, all of which identify it.
struct KeyFields<'a> {
    model: &'a str,
    task_type: Option<&'a str>,
    tokens: &'a Tokens,
    success: Option<bool>,
    duration_ms: Option<u32>,
    notes: Option<&'a str>,
}

impl KeyFields<'_> {
    /// The call's key: every field it is stored with, plus its occurrence among earlier
    /// rows with the same fields (see `docs/nothing-lost.md`, "usage.csv identity"). Numbers
    /// and flags enter as the text PostgreSQL prints for the stored value, so migration V8
    /// re-derives existing keys in SQL.
    fn key(&self, occurrences: &mut Occurrences, timestamp: DateTime<Utc>) -> DedupKey {
        let input = self.tokens.input.to_string();
        let output = self.tokens.output.to_string();
        let success = self
            .success
            .map_or("", |s| if s { "true" } else { "false" });
        let duration = self.duration_ms.map(|d| d.to_string()).unwrap_or_default();
        let fields: [&[u8]; 7] = [
            self.model.as_bytes(),
            self.task_type.unwrap_or("").as_bytes(),
            input.as_bytes(),
            output.as_bytes(),
            success.as_bytes(),
            duration.as_bytes(),
            self.notes.unwrap_or("").as_bytes(),
        ];
        let micros = timestamp.timestamp_micros().to_le_bytes();
        let ordinal = occurrences
            .next(identity_digest(&micros, &fields), timestamp)
            .to_string();
        let mut parts = fields.to_vec();
        parts.push(ordinal.as_bytes());
        DedupKey::derive(CallSource::UsageCsv.as_str(), timestamp, &parts)
    }
}

fn identity_digest(micros: &[u8], fields: &[&[u8]]) -> [u8; 16] {
    let mut h = Sha256::new();
    for p in std::iter::once(micros).chain(fields.iter().copied()) {
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
        let frame = match self.framer.next_record() {
            Ok(f) => f,
            Err(e) => {
                self.failed = true;
                return Some(Err(HeaderError::from_io(&e)));
            }
        };
        Some(Ok(match frame {
            Frame::End => return None,
            Frame::Reject { line, reason } => Row::Reject { line, reason },
            Frame::Record { line, lines } if lines > 1 && self.swallows_rows() => {
                // A quote left open ran into lines that are rows of their own: only this
                // line is rejected, and the others are read again.
                self.framer.give_back();
                Row::Reject {
                    line,
                    reason: format!(
                        "unclosed quote: the quoted field runs over the next {} lines, which are rows of their own",
                        lines - 1
                    ),
                }
            }
            Frame::Record { line, .. } => match self.parse_record() {
                Ok(call) => Row::Call { line, call },
                Err(reason) => Row::Reject { line, reason },
            },
        }))
    }
}

#[cfg(test)]
mod tests;
