//! A realistic usage.csv: time-ordered over 30 days, a model mix weighted like real usage,
//! long-tailed token counts, occasional failures, quoted notes with commas, and a few
//! identical retries in the same second. Deterministic (fixed-seed xorshift).

use std::io::Write;

/// Fixed-seed xorshift64*: the same file every run.
pub struct Rng(u64);

impl Rng {
    /// A generator with a fixed seed.
    pub fn new() -> Self {
        Rng(0x9E37_79B9_7F4A_7C15)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const MODELS: [(&str, u64); 8] = [
    ("claude-sonnet-4-5", 40),
    ("claude-haiku-4-5", 20),
    ("claude-opus-4-5", 8),
    ("gpt-5", 10),
    ("gpt-5-mini", 10),
    ("gpt-4.1", 5),
    ("gemini-2.5-pro", 5),
    ("internal-llama-70b", 2),
];
const TASKS: [&str; 6] = [
    "plan",
    "implement",
    "review",
    "classify",
    "summarise",
    "fix-tests",
];

/// Writes `rows` data rows (plus header) to `out`.
pub fn write_usage_csv(out: &mut impl Write, rows: u64) -> std::io::Result<()> {
    let mut rng = Rng::new();
    writeln!(
        out,
        "timestamp,model,prompt_tokens,completion_tokens,task_success,task_type,duration_ms,notes"
    )?;
    let start: i64 = 1_791_000_000_000; // 2026-10 in epoch milliseconds
    let span_ms: i64 = 30 * 24 * 3600 * 1000;
    let step = span_ms / rows.max(1) as i64;
    let total_weight: u64 = MODELS.iter().map(|m| m.1).sum();
    let mut last = String::new();
    for i in 0..rows {
        // About 1 in 2,000 rows is an identical retry of the previous call.
        if i > 0 && rng.below(2_000) == 0 {
            out.write_all(last.as_bytes())?;
            continue;
        }
        let ts_ms = start + i as i64 * step + rng.below(step.max(1) as u64) as i64;
        let ts = chrono::DateTime::from_timestamp_millis(ts_ms).unwrap_or_default();
        let mut w = rng.below(total_weight);
        let model = MODELS
            .iter()
            .find(|(_, weight)| {
                if w < *weight {
                    true
                } else {
                    w -= weight;
                    false
                }
            })
            .map_or("gpt-5", |m| m.0);
        let prompt =
            500 + rng.below(4_000) * (1 + rng.below(12)) * (1 + u64::from(rng.below(20) == 0) * 8);
        let completion = 50 + rng.below(3_000);
        let ok = rng.below(20) != 0;
        let task = TASKS[rng.below(TASKS.len() as u64) as usize];
        let duration = 300 + prompt / 10 + rng.below(20_000);
        let notes = match rng.below(10) {
            0 => "\"retried after 529, overloaded\"",
            1 => "phase=implementation",
            2 if !ok => "\"tool error: exit 1, see log\"",
            _ => "",
        };
        last = format!(
            "{},{model},{prompt},{completion},{ok},{task},{duration},{notes}\n",
            ts.format("%Y-%m-%dT%H:%M:%S%.3fZ")
        );
        out.write_all(last.as_bytes())?;
    }
    Ok(())
}

/// Writes `rows` rows to `path` unless a file is already there (the output is deterministic).
pub fn ensure_usage_csv(path: &std::path::Path, rows: u64) -> std::io::Result<()> {
    if path.exists() {
        return Ok(());
    }
    eprintln!("generating {rows} rows into {}", path.display());
    let tmp = path.with_extension("partial");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
    write_usage_csv(&mut f, rows)?;
    f.flush()?;
    std::fs::rename(tmp, path)
}
