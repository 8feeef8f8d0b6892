//! The prices in force: the shipped table with a team's own rates (`model_prices`) laid over
//! it. An override matches the name as written or its normalised name, and wins over the
//! shipped table; the calls it prices carry its version (`db:<updated_at>`).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

use super::normalize_model;
use super::table::{Match, ModelPrice, PriceTable};
use crate::model::{Cost, CostStatus, LlmCall, Tokens};

/// A team's price for one model (a row of `model_prices`).
#[derive(Debug, Clone, PartialEq)]
pub struct PriceOverride {
    /// Lower-cased name as written, or a normalised name.
    pub model: String,
    /// Its prices.
    pub price: ModelPrice,
    /// Recorded in `price_version` of the calls it prices.
    pub version: String,
}

/// Which prices bill a model, and why.
#[derive(Debug, Clone, Copy)]
pub struct Priced<'a> {
    /// Key of the entry that matched.
    pub key: &'a str,
    /// How the name matched.
    pub matched: Match,
    /// True when the entry is a team's override.
    pub overridden: bool,
    /// The prices.
    pub price: &'a ModelPrice,
    /// Version recorded with the calls it prices.
    pub version: &'static str,
}

/// The shipped table plus overrides.
#[derive(Debug)]
pub struct PriceBook {
    table: &'static PriceTable,
    overrides: HashMap<String, (ModelPrice, &'static str)>,
}

static SHIPPED: OnceLock<Arc<PriceBook>> = OnceLock::new();

impl PriceBook {
    /// The shipped table alone.
    pub fn shipped() -> Arc<PriceBook> {
        SHIPPED
            .get_or_init(|| {
                Arc::new(PriceBook {
                    table: PriceTable::shipped(),
                    overrides: HashMap::new(),
                })
            })
            .clone()
    }

    /// The shipped table with `overrides` over it.
    pub fn with_overrides(overrides: Vec<PriceOverride>) -> Arc<PriceBook> {
        if overrides.is_empty() {
            return Self::shipped();
        }
        Arc::new(PriceBook {
            table: PriceTable::shipped(),
            overrides: overrides
                .into_iter()
                .map(|o| (o.model, (o.price, intern(o.version))))
                .collect(),
        })
    }

    /// The shipped table.
    pub fn table(&self) -> &'static PriceTable {
        self.table
    }

    /// Number of overrides.
    pub fn override_count(&self) -> usize {
        self.overrides.len()
    }

    /// The prices that bill `model`, or `None` when no table knows it.
    pub fn lookup(&self, model: &str) -> Option<Priced<'_>> {
        if !self.overrides.is_empty() {
            let lower = model.trim().to_ascii_lowercase();
            let name = normalize_model(model);
            let aliased = self.table.aliases.get(&name);
            for (candidate, matched) in [
                (Some(&lower), Match::Exact),
                (Some(&name), Match::Normalized),
                (aliased, Match::Alias),
            ] {
                if let Some((k, (p, v))) = candidate.and_then(|c| self.overrides.get_key_value(c)) {
                    return Some(Priced {
                        key: k,
                        matched,
                        overridden: true,
                        price: p,
                        version: v,
                    });
                }
            }
        }
        let (key, matched, price) = self.table.lookup(model)?;
        Some(Priced {
            key,
            matched,
            overridden: false,
            price,
            version: self.table.version.as_str(),
        })
    }

    /// Cost of `tokens` on `model`; an unknown model is unpriced (NULL), or costs what the
    /// source said (`source_usd`) when it said so.
    pub fn cost(&self, model: &str, tokens: &Tokens, source_usd: Option<f64>) -> Cost {
        match (self.lookup(model), source_usd) {
            (Some(p), _) => Cost {
                usd: Some(p.price.cost(tokens)),
                status: CostStatus::Priced,
                price_version: Some(p.version),
            },
            (None, Some(usd)) => Cost {
                usd: Some(usd),
                status: CostStatus::FromSource,
                price_version: None,
            },
            (None, None) => Cost {
                usd: None,
                status: CostStatus::UnknownModel,
                price_version: None,
            },
        }
    }

    /// Re-prices `call` with these prices (no-op for the shipped table alone, which priced
    /// it when it was parsed).
    pub fn apply(&self, call: &mut LlmCall) {
        if !self.overrides.is_empty() {
            call.cost = self.cost(&call.model, &call.tokens, call.source_cost_usd);
        }
    }
}

/// Versions of overrides, kept for the process's life: `Cost` holds a `&'static str`, and
/// there are as many as a team has edited its prices, not one per call.
fn intern(v: String) -> &'static str {
    static SEEN: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut seen = SEEN
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(s) = seen.get(v.as_str()) {
        return s;
    }
    let s: &'static str = Box::leak(v.into_boxed_str());
    seen.insert(s);
    s
}
