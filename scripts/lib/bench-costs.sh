# Sourced by scripts/bench for `scripts/bench costs [--sessions N]`: the total cost the
# pipeline stores for a generated Claude Code corpus, against an independent recomputation
# from the raw files (scripts/claude-corpus.py), twice over the same files.

bench_costs() {
  local sessions=2000
  while [ $# -gt 0 ]; do
    case "$1" in
      --sessions) sessions=$2; shift 2 ;;
      *) echo "bench costs: unknown argument $1" >&2; return 2 ;;
    esac
  done
  local target=${CARGO_TARGET_DIR:-$ROOT/target}
  cargo build --quiet --release -p telemetry-cli
  local tel="$target/release/telemetry"
  local dir="$ROOT/.bench/claude-$sessions"
  if [ ! -f "$dir/.done" ]; then
    echo "generating a Claude Code corpus of $sessions sessions in $dir" >&2
    rm -rf "$dir"
    python3 scripts/claude-corpus.py gen --dir "$dir" --sessions "$sessions"
    touch "$dir/.done"
  fi
  local admin=$DATABASE_URL db=telemetry_bench_costs
  psql "$admin" -qAtc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
  local url
  url=$(pg_url_with_db "$admin" "$db")
  DATABASE_URL=$url "$tel" migrate >/dev/null
  local files
  files=$(find "$dir" -name '*.jsonl' | sort)
  echo "corpus: $(echo "$files" | wc -l) files, $(du -sh "$dir" | cut -f1)" >&2
  local expected
  expected=$(python3 scripts/claude-corpus.py cost --dir "$dir" --json)
  local run
  for run in 1 2; do
    local start end reported before
    before=$(psql "$url" -qAtc "SELECT coalesce(max(id), 0) FROM ingest_runs")
    start=$(date +%s.%N)
    reported=$(for f in $files; do DATABASE_URL=$url "$tel" ingest jsonl "$f" --json 2>/dev/null; done |
      python3 -c 'import sys, json, decimal
print(sum(decimal.Decimal(str(json.loads(l)["cost_usd"])) for l in sys.stdin if l.strip()))')
    end=$(date +%s.%N)
    local stored runs
    stored=$(psql "$url" -qAtc "SELECT sum(estimated_cost) FROM llm_calls")
    runs=$(psql "$url" -qAtc "SELECT sum(cost_usd) FROM ingest_runs WHERE id > $before")
    python3 - "$run" "$start" "$end" "$reported" "$stored" "$runs" "$expected" <<'PY'
import json, sys
from decimal import Decimal as D
run, start, end, reported, stored, runs, expected = sys.argv[1:]
e = json.loads(expected)
want = D(e["cost_usd"])
def row(label, v):
    d = D(v) - want
    print(f"  {label:<44} ${D(v):>14,.4f}  {'+' if d >= 0 else '-'}${abs(d):,.4f}")
print(f"run {run}: ingested in {float(end) - float(start):.1f}s; {e['calls']} calls from {e['assistant_lines']} assistant lines ({e['price_version']})")
row("independent recomputation (scripts/)", e["cost_usd"])
row("stored: sum(llm_calls.estimated_cost)", stored)
row("reported: sum of the ingest reports' cost_usd", reported)
row("ingest_runs: sum(cost_usd)", runs)
row("before: every cache write at the 5m rate", e["cost_without_1h_tier_usd"])
row("before: the report summed every streamed line", e["sum_over_every_line_usd"])
agree = abs(D(stored) - want) < D("0.01") and abs(D(reported) - want) < D("0.01") and abs(D(runs) - want) < D("0.01")
print(f"  stored, reported and ingest_runs agree with the recomputation to the cent: {'yes' if agree else 'NO'}")
sys.exit(0 if agree else 1)
PY
  done
}
