//! `telemetry prices [MODEL]`, `prices set/unset`, and `telemetry reprice`: the rates in
//! force and why a call was priced as it was, a team's own rates, and recomputing stored
//! costs after a price change.

use anyhow::{bail, Context};
use telemetry_shared::db::Workload;
use telemetry_shared::pricing::{
    load_overrides, load_price_book, normalize_model, remove_override, reprice, set_override,
    ModelPrice, PriceBook, Rates, RepriceFilter, RepriceReport,
};

use super::stats::{parse_since, usd};
use super::DbArgs;
use crate::output::{table, write_json};

/// `prices`: the table's version and size, and the team's overrides.
pub async fn summary(db: &DbArgs, json: bool) -> anyhow::Result<()> {
    let pool = db.pool().await?;
    let client = pool.get().await.context("cannot reach the database")?;
    let overrides = load_overrides(&**client).await?;
    let t = PriceBook::shipped().table();
    if json {
        return write_json(&serde_json::json!({
            "version": t.version,
            "generated_from": t.generated_from,
            "models": t.models.len(),
            "exact_names": t.exact.len(),
            "aliases": t.aliases.len(),
            "overrides": overrides.iter().map(|o| serde_json::json!({
                "model": o.model, "version": o.version, "prices": o.price,
            })).collect::<Vec<_>>(),
        }));
    }
    println!("price table {} ({})", t.version, t.generated_from);
    println!(
        "  {} models, {} exact names, {} aliases; USD per million tokens",
        t.models.len(),
        t.exact.len(),
        t.aliases.len()
    );
    if overrides.is_empty() {
        println!("  no overrides (add one with `telemetry prices set MODEL --input X --output Y`)");
    } else {
        println!("\noverrides (model_prices), used before the table:");
        let rows: Vec<Vec<String>> = overrides
            .iter()
            .map(|o| {
                let mut r = vec![o.model.clone()];
                r.extend(rate_cells(o.price.base_rates()));
                r.push(o.version.clone());
                r
            })
            .collect();
        print!("{}", table(&RATE_HEADERS_VERSION, &rows));
    }
    Ok(())
}

const RATE_HEADERS_VERSION: [&str; 7] = [
    "model",
    "input",
    "output",
    "cache read",
    "write 5m",
    "write 1h",
    "version",
];

fn rate(v: f64) -> String {
    format!("{v}")
}

/// The cells of `r` with every fallback applied, as a call is billed.
fn rate_cells(r: Rates) -> Vec<String> {
    let r = r.resolved();
    [r.input, r.output]
        .into_iter()
        .chain(
            [r.cache_read, r.cache_write, r.cache_write_1h]
                .into_iter()
                .flatten(),
        )
        .map(rate)
        .collect()
}

/// `prices MODEL`: the rates that bill `model`, and how the name reached them.
pub async fn show(db: &DbArgs, model: &str, json: bool) -> anyhow::Result<()> {
    let pool = db.pool().await?;
    let client = pool.get().await.context("cannot reach the database")?;
    let book = load_price_book(&**client).await?;
    let Some(p) = book.lookup(model) else {
        if json {
            write_json(&serde_json::json!({
                "model": model, "normalized": normalize_model(model), "priced": false,
            }))?;
        } else {
            println!(
                "{model}: no price (normalised {:?}); its calls are unpriced (cost unknown, not $0).\n\
                 Add one with `telemetry prices set {} --input X --output Y`.",
                normalize_model(model),
                normalize_model(model)
            );
        }
        std::process::exit(1);
    };
    if json {
        return write_json(&serde_json::json!({
            "model": model,
            "normalized": normalize_model(model),
            "priced": true,
            "entry": p.key,
            "matched": p.matched.as_str(),
            "override": p.overridden,
            "version": p.version,
            "prices": p.price,
        }));
    }
    println!(
        "{model} -> {} ({}{}), provider {}, version {}",
        p.key,
        p.matched.as_str(),
        if p.overridden { ", team override" } else { "" },
        p.price.provider,
        p.version
    );
    println!("USD per million tokens:\n");
    let base = p.price.base_rates();
    let mut rows = vec![tier_row("standard", base)];
    for lc in &p.price.long_context {
        let label = format!("prompt > {}k tokens", lc.above_tokens / 1000);
        rows.push(tier_row(&label, lc.over(base)));
    }
    for (name, st) in &p.price.service_tiers {
        rows.push(tier_row(&format!("{name} service tier"), st.rates()));
    }
    print!(
        "{}",
        table(
            &[
                "tier",
                "input",
                "output",
                "cache read",
                "write 5m",
                "write 1h"
            ],
            &rows
        )
    );
    if !p.price.long_context.is_empty() {
        println!(
            "\nA long-context tier prices the whole call once its prompt (uncached input, cache \
             reads and writes) passes the threshold."
        );
    }
    Ok(())
}

fn tier_row(label: &str, rates: Rates) -> Vec<String> {
    let mut r = vec![label.to_string()];
    r.extend(rate_cells(rates));
    r
}

/// The rates `prices set` was given.
pub struct NewPrice {
    /// Uncached input.
    pub input: f64,
    /// Output.
    pub output: f64,
    /// Cache read.
    pub cache_read: Option<f64>,
    /// 5-minute cache write.
    pub cache_write: Option<f64>,
    /// 1-hour cache write.
    pub cache_write_1h: Option<f64>,
    /// Provider label.
    pub provider: Option<String>,
    /// A note.
    pub note: Option<String>,
}

/// `prices set MODEL --input X --output Y ...`.
pub async fn set(db: &DbArgs, model: &str, p: NewPrice) -> anyhow::Result<()> {
    let pool = db.pool().await?;
    let client = pool.get().await.context("cannot reach the database")?;
    let shipped = PriceBook::shipped();
    // Tiers the flags cannot express are not carried over: an override is the whole price.
    let provider = p
        .provider
        .or_else(|| shipped.lookup(model).map(|s| s.price.provider.clone()))
        .unwrap_or_else(|| "custom".into());
    let price = ModelPrice {
        provider,
        input: p.input,
        output: p.output,
        cache_read: p.cache_read,
        cache_write: p.cache_write,
        cache_write_1h: p.cache_write_1h,
        long_context: Vec::new(),
        service_tiers: Default::default(),
    };
    let version = set_override(&**client, model, &price, p.note.as_deref()).await?;
    println!(
        "{} priced by the team's rates from now on (version {version}); \
         run `telemetry reprice --model {model}` to reprice stored calls",
        model.trim().to_ascii_lowercase()
    );
    Ok(())
}

/// `prices unset MODEL`.
pub async fn unset(db: &DbArgs, model: &str) -> anyhow::Result<()> {
    let pool = db.pool().await?;
    let client = pool.get().await.context("cannot reach the database")?;
    if !remove_override(&**client, model).await? {
        bail!("no override for {model:?} (see `telemetry prices`)");
    }
    println!("{model}: back to the shipped table's price");
    Ok(())
}

/// `reprice [--since DATE] [--model M] [--dry-run] [--json]`.
pub async fn run_reprice(
    db: &DbArgs,
    since: Option<&str>,
    model: Option<String>,
    dry_run: bool,
    json: bool,
) -> anyhow::Result<()> {
    let filter = RepriceFilter {
        since: since.map(parse_since).transpose()?,
        model,
        dry_run,
    };
    let pool = db.pool_for(Workload::Prune).await?;
    let client = pool.get().await.context("cannot reach the database")?;
    let book = load_price_book(&**client).await?;
    let report = reprice(&**client, &book, &filter).await?;
    if json {
        return write_json(&serde_json::json!({"dry_run": dry_run, "report": report}));
    }
    print!("{}", render(&report, dry_run));
    Ok(())
}

fn render(r: &RepriceReport, dry_run: bool) -> String {
    let verb = if dry_run { "would change" } else { "changed" };
    let mut out = format!(
        "{} calls examined: {} {verb}, {} unchanged, {} kept their source's cost, {} unpriced\n",
        r.examined, r.changed, r.unchanged, r.kept_from_source, r.unpriced
    );
    if r.newly_priced > 0 {
        out += &format!("{} calls unpriced before are priced now\n", r.newly_priced);
    }
    if r.raced > 0 {
        out += &format!(
            "{} calls were rewritten by an ingestion meanwhile and left as it wrote them\n",
            r.raced
        );
    }
    out += &format!(
        "cost of the changed calls: {} -> {} ({}{})\n",
        usd(r.before_usd),
        usd(r.after_usd),
        if r.after_usd >= r.before_usd {
            "+"
        } else {
            "-"
        },
        usd((r.after_usd - r.before_usd).abs())
    );
    if !r.by_model.is_empty() {
        let rows: Vec<Vec<String>> = r
            .by_model
            .iter()
            .map(|(m, c)| {
                vec![
                    m.clone(),
                    c.changed.to_string(),
                    format!("{:+.4}", c.delta_usd),
                ]
            })
            .collect();
        out += "\n";
        out += &table(&["model", "changed", "USD moved"], &rows);
    }
    out
}
