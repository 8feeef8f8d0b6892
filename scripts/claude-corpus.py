#!/usr/bin/env python3
"""A generated Claude Code corpus, and its cost recomputed independently of the pipeline.

    scripts/claude-corpus.py gen  --dir DIR [--sessions N] [--seed S]
    scripts/claude-corpus.py cost --dir DIR [--prices shared/src/pricing/prices.json] [--json]

`gen` writes one transcript per session in the shape of a real Claude Code transcript: user
turns between assistant responses, each response streamed as several lines (one per content
block, the usage growing, the final line the largest), cache writes split between 5-minute
and 1-hour lifetimes, some sidechain (subagent) copies of a response, and a share of
long-context requests (prompt over 200k tokens on Sonnet).

`cost` reads the files back on its own terms: one call per (message.id, requestId), at its
largest usage; each priced by Anthropic's published rules from the rates in prices.json
(uncached input, cache reads, 5-minute writes, 1-hour writes, output; the long-context tier
for the whole call once uncached input, reads and writes pass 200k), rounded to 8 decimals
per call as the database stores it. It also gives the figure the pipeline stored before the
1-hour tier was kept (every write at the 5-minute rate), and the naive sum over every line.
"""

import argparse
import json
import os
import random
import re
import sys
from decimal import ROUND_HALF_EVEN, Decimal

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = [
    ("claude-sonnet-4-5-20250929", 45),
    ("claude-opus-4-6", 15),
    ("claude-haiku-4-5-20251001", 30),
    ("claude-sonnet-4-6", 10),
]


def pick(rng, weighted):
    total = sum(w for _, w in weighted)
    x = rng.uniform(0, total)
    for v, w in weighted:
        x -= w
        if x <= 0:
            return v
    return weighted[-1][0]


def gen(out_dir, sessions, seed):
    rng = random.Random(seed)
    os.makedirs(out_dir, exist_ok=True)
    for s in range(sessions):
        sid = f"{rng.getrandbits(32):08x}-0000-4000-8000-{s:012x}"
        ts = 1_767_225_600 + s * 3600  # 2026-01-01 + s hours
        lines = []
        model = pick(rng, MODELS)
        context = rng.randint(8_000, 30_000)
        for turn in range(rng.randint(5, 40)):
            ts += rng.randint(5, 120)
            lines.append({
                "type": "user", "sessionId": sid, "isSidechain": False,
                "timestamp": iso(ts), "uuid": f"u-{s}-{turn}",
                "message": {"role": "user", "content": "next step"},
            })
            if rng.random() < 0.1:
                model = pick(rng, MODELS)
            long = model.startswith("claude-sonnet-4-5") and rng.random() < 0.08
            written = rng.randint(200, 12_000)
            hour = rng.random() < 0.6
            split_1h = written if hour else (rng.randint(0, written) if rng.random() < 0.2 else 0)
            read = context + (rng.randint(200_000, 400_000) if long else 0)
            usage_final = {
                "input_tokens": rng.randint(1, 40),
                "cache_creation_input_tokens": written,
                "cache_read_input_tokens": read,
                "output_tokens": rng.randint(20, 4_000),
                "service_tier": "standard",
                "cache_creation": {
                    "ephemeral_5m_input_tokens": written - split_1h,
                    "ephemeral_1h_input_tokens": split_1h,
                },
            }
            context += written
            msg_id = f"msg_{s:06d}{turn:04d}{rng.getrandbits(24):06x}"
            req_id = f"req_{s:06d}{turn:04d}"
            blocks = rng.randint(1, 4)
            for b in range(blocks):
                usage = dict(usage_final)
                if b < blocks - 1:
                    # A streamed partial: same response, output so far.
                    usage["output_tokens"] = max(1, usage_final["output_tokens"] * (b + 1) // (blocks + 1))
                ts_line = ts + b
                line = {
                    "type": "assistant", "sessionId": sid, "isSidechain": False,
                    "requestId": req_id, "timestamp": iso(ts_line),
                    "uuid": f"a-{s}-{turn}-{b}",
                    "message": {
                        "model": model, "id": msg_id, "type": "message", "role": "assistant",
                        "content": [{"type": "text", "text": "..."}], "usage": usage,
                    },
                }
                lines.append(line)
            if rng.random() < 0.05:
                copy = json.loads(json.dumps(lines[-1]))
                copy["isSidechain"] = True
                copy["agentId"] = f"agent-{s}-{turn}"
                copy["uuid"] += "-side"
                lines.append(copy)
        with open(os.path.join(out_dir, f"session-{s:05d}.jsonl"), "w") as f:
            for line in lines:
                f.write(json.dumps(line, separators=(",", ":")) + "\n")


def iso(ts):
    import datetime
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def rates(table, model):
    m = model.strip().lower()
    if m in table.get("exact", {}):
        return table["exact"][m]
    m = re.sub(r"-2\d{7}$", "", m)
    m = table.get("aliases", {}).get(m, m)
    return table["models"].get(m)


EIGHT = Decimal("0.00000001")


def call_cost(p, u, one_hour_tier=True):
    inp = u.get("input_tokens", 0)
    read = u.get("cache_read_input_tokens", 0)
    write = u.get("cache_creation_input_tokens", 0)
    split = u.get("cache_creation") or {}
    w1h = split.get("ephemeral_1h_input_tokens", 0) if one_hour_tier else 0
    out = u.get("output_tokens", 0)
    tier = p
    for lc in p.get("long_context", []):
        if inp + read + write > lc["above_tokens"]:
            tier = lc
    d = lambda x: Decimal(repr(x))
    r_in, r_out = d(tier["input"]), d(tier["output"])
    r_read = d(tier.get("cache_read", tier["input"]))
    r_5m = d(tier.get("cache_write", tier["input"]))
    r_1h = d(tier.get("cache_write_1h", tier.get("cache_write", tier["input"])))
    usd = (inp * r_in + out * r_out + read * r_read + (write - w1h) * r_5m + w1h * r_1h) / Decimal(1_000_000)
    return usd.quantize(EIGHT, rounding=ROUND_HALF_EVEN)


def cost(in_dir, prices):
    with open(prices) as f:
        table = json.load(f)
    calls = {}
    every_line = Decimal(0)
    lines = 0
    for name in sorted(os.listdir(in_dir)):
        if not name.endswith(".jsonl"):
            continue
        with open(os.path.join(in_dir, name)) as f:
            for raw in f:
                v = json.loads(raw)
                msg = v.get("message") or {}
                u = msg.get("usage")
                if v.get("type") != "assistant" or not u:
                    continue
                lines += 1
                p = rates(table, msg["model"])
                if p:
                    every_line += call_cost(p, u)
                key = (msg["id"], v.get("requestId", ""))
                size = sum(u.get(k, 0) for k in ("input_tokens", "cache_read_input_tokens",
                                                 "cache_creation_input_tokens", "output_tokens"))
                if key not in calls or size > calls[key][0]:
                    calls[key] = (size, msg["model"], u)
    billed = before = Decimal(0)
    unpriced = 0
    for _, model, u in calls.values():
        p = rates(table, model)
        if not p:
            unpriced += 1
            continue
        billed += call_cost(p, u)
        before += call_cost(p, u, one_hour_tier=False)
    return {
        "calls": len(calls), "assistant_lines": lines, "unpriced": unpriced,
        "cost_usd": str(billed), "cost_without_1h_tier_usd": str(before),
        "sum_over_every_line_usd": str(every_line), "price_version": table["version"],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("--dir", required=True)
    g.add_argument("--sessions", type=int, default=2000)
    g.add_argument("--seed", type=int, default=14)
    c = sub.add_parser("cost")
    c.add_argument("--dir", required=True)
    c.add_argument("--prices", default=os.path.join(ROOT, "shared", "src", "pricing", "prices.json"))
    c.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.cmd == "gen":
        gen(args.dir, args.sessions, args.seed)
        return
    r = cost(args.dir, args.prices)
    if args.json:
        print(json.dumps(r))
    else:
        for k, v in r.items():
            print(f"{k}: {v}")


if __name__ == "__main__":
    sys.exit(main())
