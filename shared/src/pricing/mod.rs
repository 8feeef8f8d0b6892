//! Model prices: the table shipped with the crate (generated from LiteLLM's by
//! `scripts/gen-prices.py`), a team's overrides over it, model-name normalisation, and cost.
//! Lookups are by the name as written, its normalised form or the explicit alias list: no
//! substring guessing, so an unknown model is reported as unknown, never priced as another.

use std::sync::OnceLock;

mod book;
mod overrides;
mod reprice;
mod table;

pub use book::{PriceBook, PriceOverride, Priced};
pub use overrides::{
    load_overrides, load_price_book, override_version, remove_override, set_override,
    OverrideError, MAX_RATE,
};
pub use reprice::{reprice, ModelChange, RepriceFilter, RepriceReport, REPRICE_BATCH};
pub use table::{LongContext, Match, ModelPrice, PriceTable, Rates, ServiceTier};

static TABLE: OnceLock<PriceTable> = OnceLock::new();

impl PriceTable {
    /// The table shipped in `prices.json` (parsed once).
    pub fn shipped() -> &'static PriceTable {
        TABLE.get_or_init(|| {
            serde_json::from_str(include_str!("prices.json"))
                .expect("prices.json is valid: checked by a unit test")
        })
    }
}

/// Lower-cases and strips what providers and gateways wrap around a model name:
/// path-style prefixes (`anthropic/`, `openrouter/anthropic/`, `gemini/`), Bedrock's
/// `[region.]anthropic.` (`openai.`, `google.`, `mistral.`, `xai.`) prefix and `-v1:0` suffix, Vertex's `@date`, and date suffixes
/// (`-20250514`, `-2024-08-06`).
pub fn normalize_model(model: &str) -> String {
    let mut m = model.trim().to_ascii_lowercase();
    if let Some(i) = m.rfind('/') {
        m = m[i + 1..].to_string();
    }
    for prefix in ["anthropic.", "openai.", "google.", "mistral.", "xai."] {
        if let Some(i) = m.find(prefix) {
            // Bedrock cross-region ids: us.anthropic.claude-..., us-gov.anthropic.claude-...
            if m[..i]
                .chars()
                .all(|c| c.is_ascii_alphabetic() || c == '.' || c == '-')
            {
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
