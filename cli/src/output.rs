//! Terminal output: aligned tables, a progress bar, JSON on stdout, one-line errors.

use std::io::Write;

use telemetry_shared::ingest::Progress;

/// Left-aligned first column, right-aligned numbers, two-space gutters.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    if rows.is_empty() {
        return "  (no rows)\n".into();
    }
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let mut s = String::from(" ");
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i == 0 {
                s += &format!(" {cell:<w$}");
            } else {
                s += &format!("  {cell:>w$}");
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(headers.to_vec());
    out += &line(
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
    );
    for row in rows {
        out += &line(row.iter().map(String::as_str).collect());
    }
    out
}

/// A progress bar on stderr for a file of `total` bytes.
pub fn progress_bar(total: u64) -> Progress {
    Box::new(move |bytes, rows| {
        let frac = if total == 0 {
            1.0
        } else {
            bytes as f64 / total as f64
        };
        let filled = (frac * 30.0).round() as usize;
        eprint!(
            "\r[{}{}] {:>5.1}%  {rows} rows",
            "#".repeat(filled.min(30)),
            " ".repeat(30 - filled.min(30)),
            frac * 100.0
        );
    })
}

/// Writes `value` as one JSON document (plus newline) on stdout.
pub fn write_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// The error and its causes on one line.
pub fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let s = cause.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
    }
    parts.join(": ").replace('\n', " ")
}
