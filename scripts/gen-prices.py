#!/usr/bin/env python3
"""Regenerates shared/src/pricing/prices.json from LiteLLM's model price table.

    scripts/gen-prices.py                      # fetch litellm==$LITELLM_VERSION from PyPI
    scripts/gen-prices.py --from FILE.json     # a model_prices_and_context_window.json at hand

The `litellm` wheel ships `model_prices_and_context_window_backup.json`; this script takes the
token-priced chat models of the providers we price (Anthropic, OpenAI, Google, Mistral,
DeepSeek, xAI, and their Bedrock and Vertex routes), converts per-token USD to per-million,
and keys each model by our normalised name (the same rules as `normalize_model` in
shared/src/pricing/mod.rs: a unit test checks every key is a fixed point of it). A name
whose rates differ from its normalised name's (a Bedrock region, an older dated snapshot) is
kept as an `exact` entry, matched before normalisation. Our own aliases come from
shared/src/pricing/aliases.json. Nothing here types a price by hand; the only derived figure
are Anthropic's cache multipliers (read 0.1x, 5-minute write 1.25x, 1-hour write 2x input)
where LiteLLM leaves one out.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile

LITELLM_VERSION = os.environ.get("LITELLM_VERSION", "1.110.2")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "shared", "src", "pricing", "prices.json")
ALIASES = os.path.join(ROOT, "shared", "src", "pricing", "aliases.json")

# LiteLLM provider -> (our provider, rank: lower wins when several names share a key).
PROVIDERS = {
    "anthropic": ("anthropic", 0),
    "openai": ("openai", 0),
    "gemini": ("google", 0),
    "mistral": ("mistral", 0),
    "deepseek": ("deepseek", 0),
    "xai": ("xai", 0),
    "vertex_ai-language-models": ("google", 1),
    "vertex_ai-anthropic_models": ("anthropic", 1),
    "vertex_ai-mistral_models": ("mistral", 1),
    "vertex_ai-deepseek_models": ("deepseek", 1),
    "vertex_ai-openai_models": ("openai", 1),
    "vertex_ai-xai_models": ("xai", 1),
    "vertex_ai": (None, 1),
    "bedrock": (None, 2),
    "bedrock_converse": (None, 2),
    "bedrock_mantle": (None, 2),
}
MODES = {"chat", "responses", "completion", None}
# Routing prefixes LiteLLM puts before a name that sources write without them.
ROUTES = ("bedrock/", "bedrock_converse/", "bedrock_mantle/", "vertex_ai/", "gemini/",
          "mistral/", "deepseek/", "xai/", "anthropic/", "openai/")
RATES = ("input", "output", "cache_read", "cache_write", "cache_write_1h")
FIELDS = {
    "input": "input_cost_per_token",
    "output": "output_cost_per_token",
    "cache_read": "cache_read_input_token_cost",
    "cache_write": "cache_creation_input_token_cost",
    "cache_write_1h": "cache_creation_input_token_cost_above_1hr",
}
SERVICE_TIERS = ("priority", "flex")
ABOVE = re.compile(r"^input_cost_per_token_above_(\d+)k_tokens$")


def normalize(model):
    """Mirror of normalize_model in shared/src/pricing/mod.rs."""
    m = model.strip().lower()
    if "/" in m:
        m = m[m.rfind("/") + 1:]
    for prefix in ("anthropic.", "openai.", "google.", "mistral.", "xai."):
        i = m.find(prefix)
        if i >= 0 and all((c.isascii() and c.isalpha()) or c in ".-" for c in m[:i]):
            m = m[i + len(prefix):]
    if "@" in m:
        m = m[:m.find("@")]
    i = m.rfind("-v")
    if i >= 0:
        tail = m[i + 2:]
        if tail and all(c.isdigit() or c == ":" for c in tail):
            m = m[:i]
    if re.search(r"-2\d{7}$", m) and len(m) > 9:
        return m[:-9]
    if re.search(r"-\d{4}-\d{2}-\d{2}$", m) and len(m) > 11:
        return m[:-11]
    return m


def per_million(v):
    return round(v * 1e6, 9)


def rates_of(entry, provider, suffix=""):
    """One set of rates (base, a long-context tier or a service tier); None when not priced."""
    def get(rate, above=None):
        field = FIELDS[rate]
        if above is not None:
            field = f"{field}_above_{above}k_tokens"
        v = entry.get(field + suffix)
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            return None
        # LiteLLM writes 0 for a cache write where the provider counts written tokens inside
        # input (DeepSeek, Gemini): we split them out of input, so they bill at its rate.
        if v == 0 and rate in ("cache_write", "cache_write_1h"):
            return None
        return per_million(v)

    base = {r: get(r) for r in RATES}
    if base["input"] is None or base["output"] is None:
        return None
    if provider == "anthropic":
        # Anthropic's published multipliers of the input rate, where LiteLLM leaves one out.
        for rate, times in (("cache_read", 0.1), ("cache_write", 1.25), ("cache_write_1h", 2.0)):
            if base[rate] is None:
                base[rate] = round(times * base["input"], 9)
    tiers = []
    for key in entry:
        if suffix:
            if not key.endswith(suffix):
                continue
            key = key[: -len(suffix)]
        m = ABOVE.match(key)
        if not m:
            continue
        k = int(m.group(1))
        tier = {r: get(r, k) for r in RATES}
        if tier["input"] is None:
            continue
        # A tier that leaves a rate out scales the base rate by the tier's input ratio
        # (Anthropic doubles every input rate above 200k; LiteLLM sometimes lists only some).
        ratio = tier["input"] / base["input"] if base["input"] else 1.0
        for r in RATES:
            if tier[r] is None and base[r] is not None:
                tier[r] = round(base[r] * (ratio if r != "output" else 1.0), 9)
        tier["above_tokens"] = k * 1000
        tiers.append(tier)
    out = {r: v for r, v in base.items() if v is not None}
    if tiers:
        tiers.sort(key=lambda t: t["above_tokens"])
        out["long_context"] = [
            {"above_tokens": t["above_tokens"], **{r: t[r] for r in RATES if t[r] is not None}}
            for t in tiers
        ]
    return out


def price_of(entry, provider):
    base = rates_of(entry, provider)
    if base is None:
        return None
    tiers = {}
    for st in SERVICE_TIERS:
        r = rates_of(entry, provider, "_" + st)
        if r is not None:
            tiers[st] = r
    if tiers:
        base["service_tiers"] = tiers
    return {"provider": provider, **base}


def provider_of(name, litellm_provider):
    ours, rank = PROVIDERS[litellm_provider]
    if ours:
        return ours, rank
    n = normalize(name)
    if n.startswith("claude"):
        return "anthropic", rank
    if n.startswith(("gpt", "o1", "o3", "o4", "codex")):
        return "openai", rank
    if n.startswith(("mistral", "ministral", "magistral", "codestral", "devstral", "pixtral")):
        return "mistral", rank
    if n.startswith("deepseek"):
        return "deepseek", rank
    if n.startswith("grok"):
        return "xai", rank
    if n.startswith(("gemini", "gemma")):
        return "google", rank
    # Other vendors' models on Bedrock or Vertex (Nova, Llama, Cohere...): priced by the route.
    return litellm_provider.split("_")[0].split("-")[0], rank


def load_litellm(path):
    if path:
        with open(path) as f:
            return json.load(f), os.path.basename(path)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--disable-pip-version-check",
             f"litellm=={LITELLM_VERSION}", "-d", tmp],
            check=True,
        )
        wheel = next(os.path.join(tmp, f) for f in os.listdir(tmp) if f.endswith(".whl"))
        with zipfile.ZipFile(wheel) as z:
            data = json.loads(z.read("litellm/model_prices_and_context_window_backup.json"))
    return data, f"litellm {LITELLM_VERSION} model_prices_and_context_window_backup.json"


def regional(name):
    """A name routed to one region (`us.anthropic.…`, `bedrock/us-gov-west-1/…`)."""
    if name.count("/") > 1:
        return True
    tail = name.split("/")[-1]
    for prefix in ("anthropic.", "openai.", "google.", "mistral.", "deepseek.", "meta."):
        i = tail.find(prefix)
        if i > 0:
            return True
    return False


def base_rates(p):
    return tuple(p.get(r) for r in ("input", "output", "cache_read", "cache_write"))


def same_rates(a, b):
    strip = lambda p: {k: v for k, v in p.items() if k != "provider"}
    return strip(a) == strip(b)


def generate(data, origin, version):
    candidates = {}  # normalised name -> [(rank, undated?, len, name, price)]
    for name, entry in data.items():
        if not isinstance(entry, dict) or name == "sample_spec":
            continue
        lp = entry.get("litellm_provider")
        if lp not in PROVIDERS or entry.get("mode") not in MODES:
            continue
        provider, rank = provider_of(name, lp)
        if provider is None:
            continue
        price = price_of(entry, provider)
        if price is None:
            continue
        key = normalize(name)
        if not key or key.startswith("ft:"):
            continue
        lower = name.strip().lower()
        candidates.setdefault(key, []).append((rank, regional(lower), lower != key, lower, price))
    models, exact = {}, {}
    for key, cands in sorted(candidates.items()):
        votes = {}
        for c in cands:
            votes[base_rates(c[4])] = votes.get(base_rates(c[4]), 0) + 1
        # First-party before Vertex before Bedrock, a global name before a regional one,
        # the undated name, the rates most of its names share, then the newest snapshot.
        cands.sort(key=lambda c: (c[0], c[1], c[2], -votes[base_rates(c[4])]))
        best = [c for c in cands if c[:3] == cands[0][:3] and votes[base_rates(c[4])] == votes[base_rates(cands[0][4])]]
        best.sort(key=lambda c: c[3], reverse=True)
        primary = dict(best[0][4])
        # LiteLLM often lists a tier on one name of a model and not on another with the same
        # base rates (Anthropic's first-party entry vs its Vertex route): take it from there.
        for c in cands:
            if base_rates(c[4]) == base_rates(primary):
                for extra in ("cache_write_1h", "long_context", "service_tiers"):
                    if extra not in primary and extra in c[4]:
                        primary[extra] = c[4][extra]
        models[key] = primary
        for _, _, _, name, price in cands:
            if base_rates(price) == base_rates(primary):
                # The same rates, with a tier LiteLLM listed on another name only.
                price = {**{k: v for k, v in primary.items() if k in ("cache_write_1h", "long_context", "service_tiers")}, **price}
            if name == key or same_rates(price, primary):
                continue
            exact[name] = price
            for route in ROUTES:
                # Never shadow a normalised name: the primary's rates stand for it.
                if name.startswith(route) and name[len(route):] != key:
                    exact.setdefault(name[len(route):], price)
    with open(ALIASES) as f:
        aliases = json.load(f)["aliases"]
    missing = {a: t for a, t in aliases.items() if t not in models}
    if missing:
        sys.exit(f"aliases point at models the table lacks: {missing}")
    return {
        "version": version,
        "generated_from": origin,
        "note": "Generated by scripts/gen-prices.py; do not edit. USD per million tokens. "
                "cache_read/cache_write absent = billed at the input price; cache_write_1h "
                "absent = billed as cache_write. long_context tiers apply to the whole call "
                "once all its input tokens (cache reads and writes included) exceed above_tokens.",
        "models": models,
        "exact": dict(sorted(exact.items())),
        "aliases": dict(sorted(aliases.items())),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--from", dest="src", help="a LiteLLM model_prices_and_context_window.json")
    ap.add_argument("--version", help="table version recorded with every priced call")
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args()
    data, origin = load_litellm(args.src)
    version = args.version or f"litellm-{LITELLM_VERSION}"
    if len(version) > 32:
        sys.exit("version must fit llm_calls.price_version (32 characters)")
    table = generate(data, origin, version)
    with open(args.out, "w") as f:
        json.dump(table, f, indent=1, sort_keys=False)
        f.write("\n")
    print(f"{args.out}: {len(table['models'])} models, {len(table['exact'])} exact names, "
          f"{len(table['aliases'])} aliases", file=sys.stderr)


if __name__ == "__main__":
    main()
