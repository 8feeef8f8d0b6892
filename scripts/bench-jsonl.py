#!/usr/bin/env python3
"""`scripts/bench jsonl`: transcript trees into PostgreSQL against ccusage, in one run.

    scripts/bench jsonl [--claude-mb 1120] [--codex-mb 510] [--runs 2] [--threads N]

For the Claude Code tree and the Codex tree of scripts/jsonl-corpus.py (cached under
.bench/jsonl-corpus), each run measures:
  1. `telemetry ingest jsonl DIR` into an empty database;
  2. the same again, nothing changed;
  3. ccusage's native reader over the same tree (`ccusage claude|codex daily --json
     --offline`, the pinned @ccusage/ccusage-linux-x64 binary);
  4. a raw COPY of the rows stored (exported once, untimed; loaded into an empty copy of
     llm_calls with its indexes).
It prints wall time, MB/s, calls/s, peak RSS, the ratios, and whether the token totals per
model agree with the generator's and with ccusage's. Needs DATABASE_URL (scripts/bench sets
it), psql, the release `telemetry` binary (TELEMETRY_BIN) and the ccusage binary (CCUSAGE_BIN).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlsplit, urlunsplit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS_VERSION = "1"


def db_url(base, name):
    u = urlsplit(base)
    return urlunsplit((u.scheme, u.netloc, "/" + name, u.query, u.fragment))


def measure(cmd, env=None, stdout=subprocess.DEVNULL):
    """Runs cmd; returns (seconds, peak RSS in MB, stdout bytes or None)."""
    out = tempfile.TemporaryFile() if stdout is None else stdout
    start = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    took = time.perf_counter() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    err = p.stderr.read().decode(errors="replace")
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}):\n{err}")
    data = None
    if stdout is None:
        out.seek(0)
        data = out.read()
    return took, usage.ru_maxrss / 1024, data


def psql(url, sql, capture=False):
    r = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-F", ",", url, "-c", sql],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"psql: {r.stderr}")
    return r.stdout if capture else None


def fresh_db(base, name, telemetry):
    admin = db_url(base, "postgres")
    psql(admin, f"DROP DATABASE IF EXISTS {name}")
    psql(admin, f"CREATE DATABASE {name}")
    url = db_url(base, name)
    subprocess.run([telemetry, "migrate"], env={**os.environ, "DATABASE_URL": url}, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return url


def tree_bytes(d):
    return sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(d) for f in fs)


def stored_totals(url, source):
    out = psql(url, f"SELECT model, count(*), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), "
                    f"sum(cache_write_tokens) FROM llm_calls WHERE source = '{source}' GROUP BY model ORDER BY model",
               capture=True)
    t = {}
    for line in out.splitlines():
        m, calls, i, o, r, w = line.split(",")
        t[m] = {"calls": int(calls), "input": int(i), "output": int(o), "cache_read": int(r), "cache_write": int(w)}
    return t


def ccusage_totals(report):
    """Per model from ccusage's daily JSON (`modelBreakdowns` in its Claude report, `models`
    in its Codex one)."""
    t = {}
    for day in report.get("daily", []):
        breakdowns = day.get("modelBreakdowns")
        if breakdowns is None and isinstance(day.get("models"), dict):
            breakdowns = [dict(v, modelName=k) for k, v in day["models"].items()]
        for b in breakdowns or []:
            m = t.setdefault(b.get("modelName") or b.get("model"), {"input": 0, "output": 0, "cache_read": 0, "cache_write": 0})
            # Both reports give input without the cached tokens, as we store it.
            m["input"] += b.get("inputTokens", 0)
            m["cache_read"] += b.get("cacheReadTokens", 0)
            m["cache_write"] += b.get("cacheCreationTokens", 0)
            m["output"] += b.get("outputTokens", 0)
    return t


def agree(a, b, keys=("input", "output", "cache_read", "cache_write")):
    if set(a) != set(b):
        return f"models differ: {sorted(a)} against {sorted(b)}"
    diffs = [f"{m}.{k}: {a[m].get(k, 0)} against {b[m].get(k, 0)}" for m in a for k in keys if a[m].get(k, 0) != b[m].get(k, 0)]
    return "; ".join(diffs) or "agree"


def copy_baseline(url):
    """Seconds to COPY the stored rows into an empty llm_calls copy with its indexes."""
    cols = "dedup_key, content_hash, source, timestamp, model, prompt_name, input_tokens, cache_read_tokens, " \
           "cache_write_tokens, output_tokens, estimated_cost, cost_status, price_version, session_id, worker_id, " \
           "cache_write_1h_tokens"
    with tempfile.NamedTemporaryFile(suffix=".copy") as f:
        psql(url, f"\\copy (SELECT {cols} FROM llm_calls) TO '{f.name}'")
        psql(url, "DROP TABLE IF EXISTS llm_calls_copy; CREATE TABLE llm_calls_copy (LIKE llm_calls INCLUDING ALL)")
        took, _, _ = measure(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c",
                              f"\\copy llm_calls_copy ({cols}) FROM '{f.name}'"])
        psql(url, "DROP TABLE llm_calls_copy")
    return took


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--claude-mb", type=float, default=1120)
    ap.add_argument("--codex-mb", type=float, default=510)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--threads", type=int)
    a = ap.parse_args()
    telemetry = os.environ["TELEMETRY_BIN"]
    ccusage = os.environ["CCUSAGE_BIN"]
    base = os.environ["DATABASE_URL"]

    corpus = os.path.join(ROOT, ".bench", "jsonl-corpus")
    stamp = os.path.join(corpus, "stamp")
    want = f"{CORPUS_VERSION} {a.claude_mb} {a.codex_mb}"
    if not os.path.exists(stamp) or open(stamp).read() != want:
        print(f"generating {a.claude_mb:.0f} MB of Claude Code and {a.codex_mb:.0f} MB of Codex transcripts ...", file=sys.stderr)
        subprocess.run(["rm", "-rf", corpus], check=True)
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "jsonl-corpus.py"), "--dir", corpus,
                        "--claude-mb", str(a.claude_mb), "--codex-mb", str(a.codex_mb)], check=True)
        open(stamp, "w").write(want)
    expected = json.load(open(os.path.join(corpus, "expected.json")))
    empty_home = tempfile.mkdtemp(prefix="bench-home-")
    extra = ["--threads", str(a.threads)] if a.threads else []

    for source, sub, var, cc in [("claude_code", "claude", "CLAUDE_CONFIG_DIR", "claude"),
                                 ("codex", "codex", "CODEX_HOME", "codex")]:
        home = os.path.join(corpus, sub)
        tree = os.path.join(home, "projects" if sub == "claude" else "sessions")
        mb = tree_bytes(tree) / 1e6
        files = sum(len(fs) for _, _, fs in os.walk(tree))
        for run in range(1, a.runs + 1):
            url = fresh_db(base, "bench_jsonl", telemetry)
            env = {**os.environ, "DATABASE_URL": url}
            cmd = [telemetry, "ingest", "jsonl", tree] + extra
            t1, rss1, _ = measure(cmd, env)
            t2, rss2, _ = measure(cmd, env)
            stored = stored_totals(url, source)
            calls = sum(m["calls"] for m in stored.values())
            cc_env = {**os.environ, var: home, "HOME": empty_home}
            t3, rss3, out = measure([ccusage, cc, "daily", "--json", "--offline"], cc_env, stdout=None)
            theirs = ccusage_totals(json.loads(out))
            t4 = copy_baseline(url)
            print(f"\n== {source} run {run}: {files} files, {mb:.0f} MB, {calls} calls")
            print(f"  (1) ingest, empty database : {t1:6.2f} s  {mb / t1:7.1f} MB/s  {calls / t1:9.0f} calls/s  peak RSS {rss1:5.1f} MB")
            print(f"  (2) again, nothing changed : {t2:6.2f} s  ({100 * t2 / t1:.1f}% of (1))  peak RSS {rss2:5.1f} MB")
            print(f"  (3) ccusage {cc} daily      : {t3:6.2f} s  {mb / t3:7.1f} MB/s  peak RSS {rss3:5.1f} MB  -> (1) is {t1 / t3:.2f}x ccusage")
            print(f"  (4) raw COPY of the rows   : {t4:6.2f} s  -> (1) is {t1 / t4:.2f}x COPY")
            largest = expected["largest"].get(source, {})
            print(f"  tokens stored vs generator : {agree(stored, largest, ('calls', 'input', 'output', 'cache_read', 'cache_write'))}")
            print(f"  ccusage vs generator       : {agree(theirs, largest)}")
            print(f"  stored vs ccusage          : {agree(stored, theirs)}")


if __name__ == "__main__":
    main()
