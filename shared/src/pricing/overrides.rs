//! `model_prices`: a team's own rates, read at the start of every ingestion and request
//! that prices calls, and edited by `telemetry prices set/unset`.

use crate::failure::Retryable;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio_postgres::GenericClient;

use super::book::{PriceBook, PriceOverride};
use super::table::ModelPrice;
use crate::columns::tables::llm_calls;
use crate::db::DbError;

/// Why an override was refused before it reached the database.
#[derive(Debug, thiserror::Error)]
pub enum OverrideError {
    /// The name cannot be a model name.
    #[error("model name: {0}")]
    Name(String),
    /// A rate is negative, not finite or absurd.
    #[error("{0}")]
    Rate(String),
    /// A stored row no longer parses (edited by hand).
    #[error("model_prices row {model:?}: {reason}")]
    Stored {
        /// The row's model.
        model: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl Retryable for OverrideError {
    /// Whether trying again may succeed.
    fn is_retryable(&self) -> bool {
        matches!(self, OverrideError::Db(e) if e.is_retryable())
    }

    fn boundary(&self) -> &'static str {
        "Prices"
    }
}

/// Most a rate may be, USD per million tokens: far above any list price, low enough that a
/// typo in units (per token vs per million) is caught.
pub const MAX_RATE: f64 = 10_000.0;

/// The prices in force: the shipped table with `model_prices` over it.
pub async fn load_price_book(client: &impl GenericClient) -> Result<Arc<PriceBook>, OverrideError> {
    Ok(PriceBook::with_overrides(load_overrides(client).await?))
}

/// Every row of `model_prices`.
pub async fn load_overrides(
    client: &impl GenericClient,
) -> Result<Vec<PriceOverride>, OverrideError> {
    let rows = client
        .query(
            "SELECT model, prices, updated_at FROM model_prices ORDER BY model",
            &[],
        )
        .await
        .map_err(DbError::from)?;
    rows.iter()
        .map(|r| {
            let model: String = r.get("model");
            let prices: serde_json::Value = r.get("prices");
            let updated: DateTime<Utc> = r.get("updated_at");
            let price: ModelPrice =
                serde_json::from_value(prices).map_err(|e| OverrideError::Stored {
                    model: model.clone(),
                    reason: e.to_string(),
                })?;
            Ok(PriceOverride {
                version: override_version(updated),
                model,
                price,
            })
        })
        .collect()
}

/// `price_version` of the calls an override stored at `updated` prices.
pub fn override_version(updated: DateTime<Utc>) -> String {
    format!("db:{}", updated.format("%Y-%m-%dT%H:%M:%SZ"))
}

/// Checks `price` and stores it as the override for `model` (lower-cased); returns its
/// version.
pub async fn set_override(
    client: &impl GenericClient,
    model: &str,
    price: &ModelPrice,
    note: Option<&str>,
) -> Result<String, OverrideError> {
    let model = model.trim().to_ascii_lowercase();
    if model.is_empty() {
        return Err(OverrideError::Name("empty".into()));
    }
    llm_calls::MODEL
        .check_str(&model)
        .map_err(|e| OverrideError::Name(e.reason))?;
    check_rates(price)?;
    let json = serde_json::to_value(price).map_err(|e| OverrideError::Rate(e.to_string()))?;
    // Whole seconds: the version names the second, and two edits in one second must not
    // share a version.
    let row = client
        .query_one(
            "INSERT INTO model_prices (model, prices, note, updated_at)
             VALUES ($1, $2, $3, date_trunc('second', now()))
             ON CONFLICT (model) DO UPDATE SET prices = EXCLUDED.prices, note = EXCLUDED.note,
                 updated_at = greatest(date_trunc('second', now()),
                                       model_prices.updated_at + interval '1 second')
             RETURNING updated_at",
            &[&model, &json, &note],
        )
        .await
        .map_err(DbError::from)?;
    Ok(override_version(row.get("updated_at")))
}

/// Removes the override for `model`; whether there was one.
pub async fn remove_override(
    client: &impl GenericClient,
    model: &str,
) -> Result<bool, OverrideError> {
    let n = client
        .execute(
            "DELETE FROM model_prices WHERE model = $1",
            &[&model.trim().to_ascii_lowercase()],
        )
        .await
        .map_err(DbError::from)?;
    Ok(n > 0)
}

fn check_rates(p: &ModelPrice) -> Result<(), OverrideError> {
    let mut rates = vec![
        ("input", Some(p.input)),
        ("output", Some(p.output)),
        ("cache_read", p.cache_read),
        ("cache_write", p.cache_write),
        ("cache_write_1h", p.cache_write_1h),
    ];
    for lc in &p.long_context {
        rates.extend([
            ("long_context.input", Some(lc.input)),
            ("long_context.output", Some(lc.output)),
            ("long_context.cache_read", lc.cache_read),
            ("long_context.cache_write", lc.cache_write),
            ("long_context.cache_write_1h", lc.cache_write_1h),
        ]);
    }
    for (name, v) in rates {
        if let Some(v) = v {
            if !v.is_finite() || !(0.0..=MAX_RATE).contains(&v) {
                return Err(OverrideError::Rate(format!(
                    "{name}: {v} is not a price in USD per million tokens (0 to {MAX_RATE})"
                )));
            }
        }
    }
    Ok(())
}
