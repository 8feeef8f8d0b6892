//! Versioned model price table shipped with the crate, model-name normalisation, and cost
//! estimation. Lookups are exact after normalisation or through the explicit alias list:
//! no substring guessing, so an unknown model is reported as unknown, never priced as another.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::model::{Cost, CostStatus, Tokens};

/// Per-million-token prices in USD for one model.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct ModelPrice {
    /// Provider (anthropic, openai, google).
    pub provider: String,
    /// Uncached input.
    pub input: f64,
    /// Output.
    pub output: f64,
    /// Cache read; input price when absent.
    #[serde(default)]
    pub cache_read: Option<f64>,
    /// Cache write; input price when absent (providers that do not bill writes separately).
    #[serde(default)]
    pub cache_write: Option<f64>,
    /// Long-context tier, used when the prompt (all input tokens) exceeds its threshold.
    #[serde(default)]
    pub long_context: Option<LongContext>,
}

/// Prices that apply above a prompt-size threshold.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct LongContext {
    /// Prompt tokens above which the tier applies.
    pub above_tokens: u64,
    /// Uncached input.
    pub input: f64,
    /// Output.
    pub output: f64,
    /// Cache read.
    #[serde(default)]
    pub cache_read: Option<f64>,
    /// Cache write.
    #[serde(default)]
    pub cache_write: Option<f64>,
}

/// The whole table.
#[derive(Debug, Deserialize)]
pub struct PriceTable {
    /// Version recorded with every priced call.
    pub version: String,
    /// Canonical model name → prices.
    pub models: HashMap<String, ModelPrice>,
    /// Other names → canonical name.
    pub aliases: HashMap<String, String>,
}

static TABLE: OnceLock<PriceTable> = OnceLock::new();

impl PriceTable {
    /// The table shipped in `prices.json` (parsed once).
    pub fn shipped() -> &'static PriceTable {
        TABLE.get_or_init(|| {
            let table: PriceTable = serde_json::from_str(include_str!("prices.json"))
                .expect("prices.json is valid: checked by a unit test");
            table
        })
    }

    /// Prices for `model` and its canonical name, or `None` when unknown.
    pub fn lookup(&self, model: &str) -> Option<(&str, &ModelPrice)> {
        let name = normalize_model(model);
        let canonical = self.aliases.get(&name).map(String::as_str).unwrap_or(&name);
        self.models
            .get_key_value(canonical)
            .map(|(k, v)| (k.as_str(), v))
    }

    /// Cost of `tokens` on `model`: priced, or [`CostStatus::UnknownModel`] with no amount.
    pub fn cost(&'static self, model: &str, tokens: &Tokens) -> Cost {
        match self.lookup(model) {
            Some((_, price)) => Cost {
                usd: Some(price.cost(tokens)),
                status: CostStatus::Priced,
                price_version: Some(self.version.as_str()),
            },
            None => Cost {
                usd: None,
                status: CostStatus::UnknownModel,
                price_version: None,
            },
        }
    }
}

impl ModelPrice {
    /// USD for `tokens`, choosing the long-context tier by the prompt's total size.
    pub fn cost(&self, t: &Tokens) -> f64 {
        let (input, output, read, write) = match &self.long_context {
            Some(lc) if t.prompt_total() > lc.above_tokens => (
                lc.input,
                lc.output,
                lc.cache_read.or(self.cache_read).unwrap_or(lc.input),
                lc.cache_write.or(self.cache_write).unwrap_or(lc.input),
            ),
            _ => (
                self.input,
                self.output,
                self.cache_read.unwrap_or(self.input),
                self.cache_write.unwrap_or(self.input),
            ),
        };
        let usd = (f64::from(t.input) * input
            + f64::from(t.output) * output
            + f64::from(t.cache_read) * read
            + f64::from(t.cache_write) * write)
            / 1_000_000.0;
        // The column holds 8 decimals; round here so re-ingests compare equal.
        (usd * 1e8).round() / 1e8
    }
}

/// Lower-cases and strips what providers and gateways wrap around a model name:
/// path-style prefixes (`anthropic/`, `openrouter/anthropic/`, `gemini/`), Bedrock's
/// `[region.]anthropic.` prefix and `-v1:0` suffix, Vertex's `@date`, and date suffixes
/// (`-20250514`, `-2024-08-06`).
pub fn normalize_model(model: &str) -> String {
    let mut m = model.trim().to_ascii_lowercase();
    if let Some(i) = m.rfind('/') {
        m = m[i + 1..].to_string();
    }
    for prefix in ["anthropic.", "openai.", "google."] {
        if let Some(i) = m.find(prefix) {
            // Bedrock cross-region ids: us.anthropic.claude-...
            if m[..i].chars().all(|c| c.is_ascii_alphabetic() || c == '.') {
                m = m[i + prefix.len()..].to_string();
            }
        }
    }
    if let Some(i) = m.find('@') {
        m.truncate(i);
    }
    if let Some(i) = m.rfind("-v") {
        let tail = &m[i + 2..];
        if !tail.is_empty() && tail.chars().all(|c| c.is_ascii_digit() || c == ':') {
            m.truncate(i);
        }
    }
    strip_date_suffix(&m).to_string()
}

fn strip_date_suffix(m: &str) -> &str {
    let b = m.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    // -YYYYMMDD
    if b.len() > 9 && b[b.len() - 9] == b'-' && digits(&b[b.len() - 8..]) && b[b.len() - 8] == b'2'
    {
        return &m[..m.len() - 9];
    }
    // -YYYY-MM-DD
    if b.len() > 11 {
        let t = &b[b.len() - 11..];
        if t[0] == b'-'
            && digits(&t[1..5])
            && t[5] == b'-'
            && digits(&t[6..8])
            && t[8] == b'-'
            && digits(&t[9..])
        {
            return &m[..m.len() - 11];
        }
    }
    m
}

#[cfg(test)]
mod tests;
