use super::*;

fn t(input: u32, cache_read: u32, cache_write: u32, output: u32) -> Tokens {
    Tokens {
        input,
        cache_read,
        cache_write,
        output,
    }
}

#[test]
fn shipped_table_parses_and_aliases_resolve() {
    let table = PriceTable::shipped();
    assert!(!table.version.is_empty());
    for (alias, target) in &table.aliases {
        assert!(
            table.models.contains_key(target),
            "alias {alias} -> unknown {target}"
        );
    }
}

#[test]
fn normalisation_strips_prefixes_and_dates_only() {
    assert_eq!(
        normalize_model("claude-sonnet-4-20250514"),
        "claude-sonnet-4"
    );
    assert_eq!(
        normalize_model("anthropic/claude-sonnet-4-5"),
        "claude-sonnet-4-5"
    );
    assert_eq!(
        normalize_model("openrouter/anthropic/claude-opus-4-1"),
        "claude-opus-4-1"
    );
    assert_eq!(
        normalize_model("us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
        "claude-sonnet-4-5"
    );
    assert_eq!(
        normalize_model("claude-opus-4-1@20250805"),
        "claude-opus-4-1"
    );
    assert_eq!(normalize_model("gpt-4o-2024-08-06"), "gpt-4o");
    assert_eq!(normalize_model(" GPT-5 "), "gpt-5");
    assert_eq!(normalize_model("gemini/gemini-2.5-pro"), "gemini-2.5-pro");
    // Version numbers are not dates.
    assert_eq!(normalize_model("claude-haiku-4-5"), "claude-haiku-4-5");
}

#[test]
fn no_substring_guessing() {
    let table = PriceTable::shipped();
    // A fine-tune or an unknown variant must not be priced as its base model.
    assert!(table.lookup("ft:gpt-4o-mini:acme::abc").is_none());
    assert!(table.lookup("claude-sonnet-4-5-experimental").is_none());
    assert!(table.lookup("sonnet").is_none());
    let cost = table.cost("my-local-llama", &t(100, 0, 0, 100));
    assert_eq!(cost.status, CostStatus::UnknownModel);
    assert_eq!(cost.usd, None);
}

#[test]
fn anthropic_split_is_priced_per_bucket() {
    let table = PriceTable::shipped();
    // 1M of each bucket on Sonnet 4.5: 3 + 0.3 + 3.75 + 15.
    let c = table.cost(
        "claude-sonnet-4-5",
        &t(1_000_000, 1_000_000, 1_000_000, 1_000_000),
    );
    // Prompt total 3M > 200k: the long-context tier applies: 6 + 0.6 + 7.5 + 22.5.
    assert_eq!(c.usd, Some(36.6));
    let c = table.cost("claude-sonnet-4-5", &t(100_000, 50_000, 10_000, 1_000));
    // 0.3 + 0.015 + 0.0375 + 0.015
    assert_eq!(c.usd, Some(0.3675));
    assert_eq!(c.price_version, Some(table.version.as_str()));
}

#[test]
fn long_context_threshold_is_strictly_above() {
    let table = PriceTable::shipped();
    let at = table.cost("gemini-2.5-pro", &t(200_000, 0, 0, 0)).usd;
    let above = table.cost("gemini-2.5-pro", &t(200_001, 0, 0, 0)).usd;
    assert_eq!(at, Some(0.25));
    assert_eq!(above, Some(0.5000025));
}

#[test]
fn openai_cache_write_falls_back_to_input_price() {
    let table = PriceTable::shipped();
    let c = table.cost("gpt-4o", &t(0, 0, 1_000_000, 0));
    assert_eq!(c.usd, Some(2.5));
}
