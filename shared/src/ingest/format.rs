//! Which parser a file needs, from its name, and the decompressing reader for it.

use std::io::{BufRead, BufReader, Read};

use crate::coverage::CoverageFormat;

/// A readable format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// usage.csv.
    UsageCsv,
    /// JSONL / NDJSON logs (agent records, Claude Code, Codex).
    Jsonl,
    /// A coverage report (lcov, Cobertura, Istanbul summary), one record per file.
    Coverage(CoverageFormat),
}

/// Format plus compression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileKind {
    /// Parser to use.
    pub format: Format,
    /// gzip-compressed.
    pub gzip: bool,
}

impl FileKind {
    /// From the file name's extension: `.csv`, `.jsonl`, `.ndjson`, each optionally `.gz`
    /// (case-insensitive). Anything else is an error naming what is accepted.
    pub fn from_name(name: &str) -> Result<FileKind, String> {
        let lower = name.to_ascii_lowercase();
        let (stem, gzip) = match lower.strip_suffix(".gz") {
            Some(s) => (s, true),
            None => (lower.as_str(), false),
        };
        let format = if let Some(c) = CoverageFormat::from_name(stem) {
            Format::Coverage(c)
        } else if stem.ends_with(".csv") {
            Format::UsageCsv
        } else if stem.ends_with(".jsonl") || stem.ends_with(".ndjson") {
            Format::Jsonl
        } else {
            return Err(format!(
                "unsupported file type {name:?}: expected .csv, .jsonl, .ndjson or a coverage report (.info, .xml, coverage-summary.json), optionally .gz"
            ));
        };
        Ok(FileKind { format, gzip })
    }

    /// The source kind recorded in `ingest_runs`.
    pub fn source_kind(&self) -> &'static str {
        match self.format {
            Format::UsageCsv => "usage_csv",
            Format::Jsonl => "jsonl",
            Format::Coverage(_) => "coverage",
        }
    }

    /// `input`, decompressed when gzip (multi-member archives included), buffered.
    pub fn reader<R: Read + Send + 'static>(&self, input: R) -> Box<dyn BufRead + Send> {
        const BUF: usize = 256 * 1024;
        if self.gzip {
            Box::new(BufReader::with_capacity(
                BUF,
                flate2::read::MultiGzDecoder::new(BufReader::new(input)),
            ))
        } else {
            Box::new(BufReader::with_capacity(BUF, input))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_extension() {
        let k = |n| FileKind::from_name(n);
        assert_eq!(
            k("usage.csv"),
            Ok(FileKind {
                format: Format::UsageCsv,
                gzip: false
            })
        );
        assert_eq!(
            k("logs/a b.JSONL.GZ"),
            Ok(FileKind {
                format: Format::Jsonl,
                gzip: true
            })
        );
        assert_eq!(
            k("x.ndjson"),
            Ok(FileKind {
                format: Format::Jsonl,
                gzip: false
            })
        );
        assert!(k("photo.jpg")
            .expect_err("unsupported")
            .contains("unsupported file type"));
        assert!(k("data.gz").is_err());
    }

    #[test]
    fn gzip_is_decompressed() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"hello\n").expect("write");
        let bytes = gz.finish().expect("finish");
        let kind = FileKind {
            format: Format::Jsonl,
            gzip: true,
        };
        let mut out = String::new();
        kind.reader(std::io::Cursor::new(bytes))
            .read_to_string(&mut out)
            .expect("read");
        assert_eq!(out, "hello\n");
    }
}
