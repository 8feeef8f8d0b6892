use super::*;
use crate::model::{CostStatus, Tokens};

fn t(input: u32, cache_read: u32, cache_write: u32, output: u32) -> Tokens {
    Tokens {
        input,
        cache_read,
        cache_write,
        cache_write_1h: 0,
        output,
    }
}

fn usd(model: &str, tokens: &Tokens) -> Option<f64> {
    PriceBook::shipped().cost(model, tokens, None).usd
}

#[test]
fn shipped_table_parses_aliases_resolve_and_keys_are_normalised() {
    let table = PriceTable::shipped();
    assert!(table.version.starts_with("litellm-"), "{}", table.version);
    assert!(table.models.len() > 300, "{} models", table.models.len());
    for (alias, target) in &table.aliases {
        assert!(
            table.models.contains_key(target),
            "alias {alias} -> unknown {target}"
        );
    }
    // The generator normalises as normalize_model does; a key that is not a fixed point
    // could never be reached.
    for key in table.models.keys() {
        assert_eq!(&normalize_model(key), key, "unreachable key");
    }
    for key in table.exact.keys() {
        assert_eq!(
            key,
            &key.trim().to_ascii_lowercase(),
            "unreachable exact name"
        );
    }
}

/// A dozen list prices (USD per million), read off the providers' pages and LiteLLM's table:
/// a regeneration that moves one of them is a change to review, not noise.
#[test]
fn pinned_prices() {
    let table = PriceTable::shipped();
    type Pin = (
        &'static str,
        f64,
        f64,
        Option<f64>,
        Option<f64>,
        Option<f64>,
    );
    let pins: [Pin; 12] = [
        (
            "claude-opus-4-6",
            5.0,
            25.0,
            Some(0.5),
            Some(6.25),
            Some(10.0),
        ),
        (
            "claude-opus-4-1",
            15.0,
            75.0,
            Some(1.5),
            Some(18.75),
            Some(30.0),
        ),
        (
            "claude-sonnet-4-5",
            3.0,
            15.0,
            Some(0.3),
            Some(3.75),
            Some(6.0),
        ),
        (
            "claude-haiku-4-5",
            1.0,
            5.0,
            Some(0.1),
            Some(1.25),
            Some(2.0),
        ),
        (
            "claude-opus-5",
            5.0,
            25.0,
            Some(0.5),
            Some(6.25),
            Some(10.0),
        ),
        ("gpt-5", 1.25, 10.0, Some(0.125), None, None),
        ("gpt-5.6-sol", 4.0, 20.0, Some(0.4), Some(5.0), None),
        ("gpt-4o", 2.5, 10.0, Some(1.25), None, None),
        ("gemini-2.5-pro", 1.25, 10.0, Some(0.125), None, None),
        ("gemini-2.5-flash", 0.3, 2.5, Some(0.03), None, None),
        ("deepseek-chat", 0.28, 0.42, Some(0.028), None, None),
        ("mistral-large", 2.0, 6.0, None, None, None),
    ];
    for (model, input, output, read, write, write_1h) in pins {
        let (_, _, p) = table
            .lookup(model)
            .unwrap_or_else(|| panic!("{model} missing"));
        assert_eq!(
            (
                p.input,
                p.output,
                p.cache_read,
                p.cache_write,
                p.cache_write_1h
            ),
            (input, output, read, write, write_1h),
            "{model}"
        );
    }
    let (_, _, sonnet) = table.lookup("claude-sonnet-4-5").expect("pinned above");
    assert_eq!(sonnet.long_context[0].above_tokens, 200_000);
    assert_eq!(
        (sonnet.long_context[0].input, sonnet.long_context[0].output),
        (6.0, 22.5)
    );
    let (_, _, sol) = table.lookup("gpt-5.6-sol").expect("pinned above");
    assert_eq!(sol.long_context[0].above_tokens, 272_000);
    assert_eq!(sol.service_tiers["priority"].input, 8.0);
    assert_eq!(sol.service_tiers["flex"].input, 2.0);
}

#[test]
fn normalisation_strips_prefixes_and_dates_only() {
    for (raw, want) in [
        ("claude-sonnet-4-20250514", "claude-sonnet-4"),
        ("anthropic/claude-sonnet-4-5", "claude-sonnet-4-5"),
        ("openrouter/anthropic/claude-opus-4-1", "claude-opus-4-1"),
        (
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "claude-sonnet-4-5",
        ),
        (
            "us-gov.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "claude-sonnet-4-5",
        ),
        ("mistral.mistral-large-2407-v1:0", "mistral-large-2407"),
        ("global.xai.grok-4.6", "grok-4.6"),
        ("claude-opus-4-1@20250805", "claude-opus-4-1"),
        ("gpt-4o-2024-08-06", "gpt-4o"),
        (" GPT-5 ", "gpt-5"),
        ("gemini/gemini-2.5-pro", "gemini-2.5-pro"),
        // Version numbers are not dates.
        ("claude-haiku-4-5", "claude-haiku-4-5"),
    ] {
        assert_eq!(normalize_model(raw), want, "{raw}");
    }
}

#[test]
fn no_substring_guessing() {
    let table = PriceTable::shipped();
    // A fine-tune or an unknown variant must not be priced as its base model.
    assert!(table.lookup("ft:gpt-4o-mini:acme::abc").is_none());
    assert!(table.lookup("claude-sonnet-4-5-experimental").is_none());
    assert!(table.lookup("sonnet").is_none());
    let cost = PriceBook::shipped().cost("my-local-llama", &t(100, 0, 0, 100), None);
    assert_eq!(cost.status, CostStatus::UnknownModel);
    assert_eq!(cost.usd, None);
    assert_eq!(cost.price_version, None);
}

#[test]
fn five_minute_and_one_hour_cache_writes() {
    // Sonnet 4.5: 5-minute writes 3.75/M (1.25x input), 1-hour writes 6/M (2x input).
    let mut k = t(0, 0, 100_000, 0);
    assert_eq!(usd("claude-sonnet-4-5", &k), Some(0.375));
    k.cache_write_1h = 100_000;
    assert_eq!(usd("claude-sonnet-4-5", &k), Some(0.6));
    // 60k at 3.75 + 40k at 6: 0.225 + 0.24.
    k.cache_write_1h = 40_000;
    assert_eq!(usd("claude-sonnet-4-5", &k), Some(0.465));
}

#[test]
fn cache_reads_bill_at_their_own_rate() {
    // Haiku 4.5: 10k input at 1/M = 0.01, 1M reads at 0.1/M = 0.1, 2k output at 5/M = 0.01.
    assert_eq!(
        usd("claude-haiku-4-5-20251001", &t(10_000, 1_000_000, 0, 2_000)),
        Some(0.12)
    );
}

#[test]
fn long_context_prices_the_whole_call() {
    // 150k input + 60k cache reads = 210k prompt > 200k: every token at the higher tier,
    // 150k * 6 + 60k * 0.6 + 10k * 22.5 = 0.9 + 0.036 + 0.225.
    assert_eq!(
        usd("claude-sonnet-4-5", &t(150_000, 60_000, 0, 10_000)),
        Some(1.161)
    );
    // Exactly 200k is not above: 140k * 3 + 60k * 0.3 + 10k * 15 = 0.42 + 0.018 + 0.15.
    assert_eq!(
        usd("claude-sonnet-4-5", &t(140_000, 60_000, 0, 10_000)),
        Some(0.588)
    );
    // Cache writes count toward the threshold too, and a 1-hour write moves to 12/M.
    let mut k = t(150_000, 0, 60_000, 0);
    k.cache_write_1h = 60_000;
    // 150k * 6 + 60k * 12 = 0.9 + 0.72.
    assert_eq!(usd("claude-sonnet-4-5", &k), Some(1.62));
}

#[test]
fn openai_cached_input() {
    // The reference Codex turn on gpt-5.6-sol: 16,142 input of which 15,104 cached, 46 output.
    // Split: 1,038 uncached at 4/M, 15,104 at 0.4/M, 46 at 20/M.
    assert_eq!(
        usd("gpt-5.6-sol", &t(1_038, 15_104, 0, 46)),
        Some(0.0111136)
    );
    // gpt-4o bills no cache write separately: at the input price.
    assert_eq!(usd("gpt-4o", &t(0, 0, 1_000_000, 0)), Some(2.5));
}

#[test]
fn bedrock_and_vertex_names() {
    // Bedrock's US cross-region profile costs 10% more than Anthropic's list price:
    // 100k * 3.3 + 10k * 16.5 = 0.33 + 0.165.
    assert_eq!(
        usd(
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            &t(100_000, 0, 0, 10_000)
        ),
        Some(0.495)
    );
    // The global profile bills the list price: 0.3 + 0.15.
    assert_eq!(
        usd(
            "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
            &t(100_000, 0, 0, 10_000)
        ),
        Some(0.45)
    );
    // Vertex's dated name: Opus 4.1 at 15/75: 10k * 15 + 1k * 75 = 0.15 + 0.075.
    assert_eq!(
        usd("claude-opus-4-1@20250805", &t(10_000, 0, 0, 1_000)),
        Some(0.225)
    );
    // An older OpenAI snapshot keeps its own price: gpt-4o-2024-05-13 at 5/15.
    assert_eq!(usd("gpt-4o-2024-05-13", &t(1_000_000, 0, 0, 0)), Some(5.0));
}

#[test]
fn long_context_threshold_is_strictly_above() {
    let at = usd("gemini-2.5-pro", &t(200_000, 0, 0, 0));
    let above = usd("gemini-2.5-pro", &t(200_001, 0, 0, 0));
    assert_eq!(at, Some(0.25));
    assert_eq!(above, Some(0.5000025));
}

fn negotiated(model: &str, input: f64, output: f64) -> PriceOverride {
    PriceOverride {
        model: model.into(),
        price: ModelPrice {
            provider: "anthropic".into(),
            input,
            output,
            cache_read: Some(input / 10.0),
            cache_write: None,
            cache_write_1h: None,
            long_context: Vec::new(),
            service_tiers: Default::default(),
        },
        version: "db:2026-12-01T00:00:00Z".into(),
    }
}

#[test]
fn a_negotiated_override_wins_and_names_its_version() {
    let book = PriceBook::with_overrides(vec![
        negotiated("claude-sonnet-4-5", 2.4, 12.0),
        negotiated("acme-internal-llm", 0.5, 1.0),
    ]);
    // The dated name reaches the override through normalisation: 100k * 2.4 + 10k * 12.
    let c = book.cost(
        "claude-sonnet-4-5-20250929",
        &t(100_000, 0, 0, 10_000),
        None,
    );
    assert_eq!(c.usd, Some(0.36));
    assert_eq!(c.status, CostStatus::Priced);
    assert_eq!(c.price_version, Some("db:2026-12-01T00:00:00Z"));
    // Writes fall back to the override's input price, not the shipped table's.
    assert_eq!(
        book.cost("claude-sonnet-4-5", &t(0, 0, 1_000_000, 0), None)
            .usd,
        Some(2.4)
    );
    // A model no table knew.
    assert_eq!(
        book.cost("acme-internal-llm", &t(1_000_000, 0, 0, 1_000_000), None)
            .usd,
        Some(1.5)
    );
    // Others still bill from the shipped table, with its version.
    let other = book.cost("claude-haiku-4-5", &t(1_000_000, 0, 0, 0), None);
    assert_eq!(other.usd, Some(1.0));
    assert_eq!(
        other.price_version,
        Some(PriceTable::shipped().version.as_str())
    );
}

#[test]
fn an_unknown_model_with_a_source_cost_keeps_it() {
    let c = PriceBook::shipped().cost("my-local-llama", &t(1, 0, 0, 1), Some(0.25));
    assert_eq!(c.status, CostStatus::FromSource);
    assert_eq!(c.usd, Some(0.25));
    // A known model is priced by the table even when the source said something else.
    let c = PriceBook::shipped().cost("gpt-4o", &t(1_000_000, 0, 0, 0), Some(9.0));
    assert_eq!((c.status, c.usd), (CostStatus::Priced, Some(2.5)));
}
