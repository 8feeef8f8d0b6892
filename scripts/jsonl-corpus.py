#!/usr/bin/env python3
"""Claude Code and Codex transcript trees for `scripts/bench jsonl`, with the token totals a
correct reader must find.

    scripts/jsonl-corpus.py --dir DIR [--claude-mb 1120] [--codex-mb 510] [--seed 16]

Writes DIR/claude/projects/<project>/<session>.jsonl (a Claude Code config dir's layout, so
CLAUDE_CONFIG_DIR=DIR/claude) and DIR/codex/sessions/YYYY/MM/DD/rollout-*.jsonl (CODEX_HOME=
DIR/codex), shaped like ../shared/reference/llm-logs/:

- Claude Code: user turns, tool results with large text, summaries and file-history
  snapshots; each response written as one line per content block sharing `message.id` and
  `requestId`; some responses streamed (a first line with a smaller output count, the final
  lines larger); sidechain (subagent) copies; resumed sessions that start with a copy of
  another session's first lines.
- Codex: session_meta with long instructions, turn_context naming the model, response items
  (messages, function calls and their output), token_count events whose running totals grow by
  last_token_usage, a repeated token_count that did not move, rate-limit-only counts.

DIR/expected.json holds, per source and model, the calls and token totals: Claude Code by
(message.id, requestId) at the largest usage (what is billed), and at the first line's usage
(what a reader keeping the first line finds); Codex by running-total deltas.
"""

import argparse
import json
import os
import random
import time

CLAUDE_MODELS = [("claude-sonnet-4-5-20250929", 50), ("claude-opus-4-6", 20), ("claude-haiku-4-5-20251001", 30)]
CODEX_MODELS = [("gpt-5", 50), ("gpt-5-codex", 50)]
WORDS = ("the build failed because a test timed out while waiting for the database to answer "
         "so we retry with a longer deadline and log the query plan for each slow statement").split()


def pick(rng, weighted):
    x = rng.uniform(0, sum(w for _, w in weighted))
    for v, w in weighted:
        x -= w
        if x <= 0:
            return v
    return weighted[-1][0]


def text(rng, n):
    """About n characters of prose with newlines and quotes (escaped in JSON)."""
    out, size = [], 0
    while size < n:
        w = rng.choice(WORDS)
        if rng.random() < 0.05:
            w += '\n'
        elif rng.random() < 0.02:
            w = '"' + w + '"'
        out.append(w)
        size += len(w) + 1
    return " ".join(out)


def iso(t):
    ms = min(999, int(round((t - int(t)) * 1000)))
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(t))) + ".%03dZ" % ms


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


class Totals:
    def __init__(self):
        self.by = {}

    def add(self, source, model, **tokens):
        m = self.by.setdefault(source, {}).setdefault(model, {"calls": 0})
        m["calls"] += 1
        for k, v in tokens.items():
            m[k] = m.get(k, 0) + v


def claude_session(rng, sid, project, t0, target_bytes, totals, first_totals, copied_lines):
    cwd = "/work/" + project
    lines = list(copied_lines)
    size = sum(len(l) + 1 for l in lines)
    parent = None
    t = t0
    n = 0
    model = pick(rng, CLAUDE_MODELS)

    def base(kind):
        nonlocal parent
        uid = "%08x-%04x-4%03x-8%03x-%012x" % (rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(12), rng.getrandbits(12), rng.getrandbits(48))
        d = {"parentUuid": parent, "isSidechain": False, "type": kind, "uuid": uid, "timestamp": iso(t),
             "userType": "external", "entrypoint": "cli", "cwd": cwd, "sessionId": sid,
             "version": "2.1.80", "gitBranch": "main"}
        parent = uid
        return d

    lines.append(dumps({"type": "queue-operation", "operation": "enqueue", "timestamp": iso(t), "sessionId": sid, "content": text(rng, 150)}))
    context = rng.randint(8000, 30000)
    while size < target_bytes:
        start = len(lines)
        t += rng.uniform(2, 60)
        u = base("user")
        if n == 0 or rng.random() < 0.3:
            u["message"] = {"role": "user", "content": text(rng, rng.randint(80, 400))}
        else:
            u["message"] = {"role": "user", "content": [{"tool_use_id": "toolu_%024x" % rng.getrandbits(96), "type": "tool_result",
                                                          "content": text(rng, rng.randint(2000, 30000)), "is_error": False}]}
            u["toolUseResult"] = {"stdout": text(rng, 200), "stderr": "", "interrupted": False, "isImage": False}
        lines.append(dumps(u))
        # One response: blocks written as lines sharing the ids.
        n += 1
        mid = "msg_01%022x" % rng.getrandbits(88)
        rid = "req_01%022x" % rng.getrandbits(88)
        sidechain = rng.random() < 0.08
        agent = "a%016x" % rng.getrandbits(64) if sidechain else None
        inp = rng.randint(1, 12)
        write = rng.randint(0, 12000)
        w1h = write // 2 if rng.random() < 0.4 else 0
        read = context
        out = rng.randint(20, 1500)
        context += write + out
        blocks = rng.randint(1, 3)
        streamed = rng.random() < 0.1
        first = None
        for b in range(blocks + (1 if streamed else 0)):
            partial = streamed and b == 0
            o = max(1, out // 10) if partial else out
            t += rng.uniform(0.1, 3)
            a = base("assistant")
            a["isSidechain"] = sidechain
            if agent:
                a["agentId"] = agent
            kind = "thinking" if b == 0 and blocks > 1 else ("tool_use" if b == blocks - 1 else "text")
            if kind == "tool_use":
                block = {"type": "tool_use", "id": "toolu_%024x" % rng.getrandbits(96), "name": "Bash",
                         "input": {"command": "cargo test -p x", "description": text(rng, 60)}}
            elif kind == "thinking":
                block = {"type": "thinking", "thinking": text(rng, rng.randint(200, 2000)), "signature": "%064x" % rng.getrandbits(256)}
            else:
                block = {"type": "text", "text": text(rng, rng.randint(100, 1500))}
            a["message"] = {"model": model, "id": mid, "type": "message", "role": "assistant", "content": [block],
                            "stop_reason": None if partial else "tool_use", "stop_sequence": None,
                            "usage": {"input_tokens": inp, "cache_creation_input_tokens": write,
                                      "cache_read_input_tokens": read, "output_tokens": o,
                                      "cache_creation": {"ephemeral_5m_input_tokens": write - w1h, "ephemeral_1h_input_tokens": w1h},
                                      "service_tier": "standard"}}
            a["requestId"] = rid
            line = dumps(a)
            lines.append(line)
            if first is None:
                first = o
        totals.add("claude_code", model, input=inp, output=out, cache_read=read, cache_write=write)
        first_totals.add("claude_code", model, input=inp, output=first, cache_read=read, cache_write=write)
        if rng.random() < 0.03:
            lines.append(dumps({"type": "summary", "summary": text(rng, 80), "leafUuid": parent}))
        if rng.random() < 0.05:
            lines.append(dumps({"type": "file-history-snapshot", "messageId": parent, "snapshot": {"messageId": parent, "trackedFileBackups": {}, "timestamp": iso(t)}, "isSnapshotUpdate": False}))
        size += sum(len(l) + 1 for l in lines[start:])
    return lines


def codex_session(rng, sid, t0, target_bytes, totals):
    lines = []
    size = 0
    t = t0

    def add(kind, payload):
        nonlocal size
        line = dumps({"timestamp": iso(t), "type": kind, "payload": payload})
        lines.append(line)
        size += len(line) + 1

    add("session_meta", {"session_id": sid, "id": sid, "timestamp": iso(t), "cwd": "/work/app", "originator": "codex_cli_rs",
                         "cli_version": "0.146.0", "source": "cli", "model_provider": "openai",
                         "base_instructions": {"text": text(rng, rng.randint(3000, 9000))}})
    total = {"input_tokens": 0, "cached_input_tokens": 0, "output_tokens": 0, "reasoning_output_tokens": 0, "total_tokens": 0}
    model = pick(rng, CODEX_MODELS)
    turn = 0
    while size < target_bytes:
        turn += 1
        t += rng.uniform(5, 90)
        if turn == 1 or rng.random() < 0.2:
            model = pick(rng, CODEX_MODELS) if rng.random() < 0.3 else model
            add("turn_context", {"turn_id": "t%d" % turn, "cwd": "/work/app", "approval_policy": "never",
                                 "sandbox_policy": {"type": "read-only"}, "model": model, "effort": "medium", "summary": "auto"})
        add("event_msg", {"type": "task_started", "turn_id": "t%d" % turn, "model_context_window": 258400})
        add("response_item", {"type": "message", "id": "msg_%032x" % rng.getrandbits(128), "role": "user",
                              "content": [{"type": "input_text", "text": text(rng, rng.randint(100, 800))}]})
        for _ in range(rng.randint(0, 3)):
            call = "call_%024x" % rng.getrandbits(96)
            add("response_item", {"type": "function_call", "id": "fc_%032x" % rng.getrandbits(128), "name": "exec", "call_id": call,
                                  "arguments": dumps({"cmd": ["bash", "-lc", "rg -n foo"]})})
            add("response_item", {"type": "function_call_output", "call_id": call,
                                  "output": text(rng, rng.randint(500, 6000))})
        last_in = rng.randint(2000, 40000)
        last = {"input_tokens": last_in, "cached_input_tokens": rng.randint(0, last_in), "output_tokens": rng.randint(20, 2000),
                "reasoning_output_tokens": rng.randint(0, 500)}
        last["total_tokens"] = last["input_tokens"] + last["output_tokens"]
        for k in total:
            total[k] += last[k]
        t += rng.uniform(1, 20)
        add("event_msg", {"type": "token_count", "info": {"total_token_usage": dict(total), "last_token_usage": last,
                                                          "model_context_window": 258400},
                          "rate_limits": {"primary": {"used_percent": 12.0, "window_minutes": 300}, "plan_type": "pro"}})
        totals.add("codex", model, input=last["input_tokens"] - last["cached_input_tokens"], cache_read=last["cached_input_tokens"],
                   output=last["output_tokens"], cache_write=0)
        if rng.random() < 0.1:
            # The same total again: no new usage.
            add("event_msg", {"type": "token_count", "info": {"total_token_usage": dict(total), "last_token_usage": last,
                                                              "model_context_window": 258400}, "rate_limits": None})
        if rng.random() < 0.1:
            add("event_msg", {"type": "token_count", "info": None, "rate_limits": {"primary": {"used_percent": 13.0}}})
        add("event_msg", {"type": "agent_message", "message": text(rng, rng.randint(100, 600)), "phase": "final_answer"})
        add("response_item", {"type": "message", "id": "msg_%032x" % rng.getrandbits(128), "role": "assistant",
                              "content": [{"type": "output_text", "text": text(rng, rng.randint(200, 2000))}]})
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--claude-mb", type=float, default=1120)
    ap.add_argument("--codex-mb", type=float, default=510)
    ap.add_argument("--seed", type=int, default=16)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    totals, first = Totals(), Totals()
    t0 = 1_788_000_000  # 2026-08-29
    claude_files = max(1, int(a.claude_mb / 5.6))
    kept = []
    for i in range(claude_files):
        project = "-work-repo%d" % (i % 7)
        sid = "%08x-0000-4000-8000-%012x" % (rng.getrandbits(32), i)
        copied = []
        if kept and rng.random() < 0.1:
            # A resumed session starts with a copy of another session's first lines.
            src = rng.choice(kept)
            copied = src[: rng.randint(5, min(40, len(src)))]
        lines = claude_session(rng, sid, project, t0 + i * 1800, a.claude_mb * 1e6 / claude_files, totals, first, copied)
        if len(kept) < 20:
            kept.append(lines)
        d = os.path.join(a.dir, "claude", "projects", project)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, sid + ".jsonl"), "w") as f:
            f.write("\n".join(lines) + "\n")
    codex_files = max(1, int(a.codex_mb / 2.5))
    for i in range(codex_files):
        t = t0 + i * 1200
        day = time.strftime("%Y/%m/%d", time.gmtime(t))
        sid = "0199%04x-%04x-7000-8000-%012x" % (rng.getrandbits(16), rng.getrandbits(16), i)
        lines = codex_session(rng, sid, t, a.codex_mb * 1e6 / codex_files, totals)
        d = os.path.join(a.dir, "codex", "sessions", day)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "rollout-%s.jsonl" % sid), "w") as f:
            f.write("\n".join(lines) + "\n")
    with open(os.path.join(a.dir, "expected.json"), "w") as f:
        json.dump({"largest": totals.by, "first_line": first.by}, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
