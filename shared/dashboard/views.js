// The dashboard's views. Each asks the read API (or the report's inlined answers) through
// `load(route, params)` and draws its charts, their tables, and an empty state that says
// what to run when there is nothing to show.
"use strict";
window.T = window.T || {};
(function (T) {
  const el = T.el;
  T.views = {};

  /** What a view with nothing to show says, and the command that fills it. */
  T.empty = (text, command) => el("p", { class: "empty" }, text, " ", el("code", {}, command));

  /** A headline figure. */
  T.figure = (label, value, cls) => el("div", { class: "figure" }, label, el("b", { class: cls || null }, value));
  const empty = T.empty;
  const figure = T.figure;

  /** LLM cost: per day by model, tokens by kind, the unpriced share, top sessions and tasks. */
  T.views.llm = async function (host, load) {
    const [daily, sessions, tasks, users, branches, tools] = await Promise.all([
      load("/api/v1/llm/cost-daily", {}),
      load("/api/v1/llm/top", { by: "session" }),
      load("/api/v1/llm/top", { by: "task" }),
      load("/api/v1/llm/top", { by: "user" }),
      load("/api/v1/llm/top", { by: "branch" }),
      load("/api/v1/llm/top", { by: "tool" }),
    ]);
    host.replaceChildren(el("h2", {}, "LLM cost"));
    const rows = daily.days;
    if (!rows.length) {
      host.append(empty("No LLM calls in this range. Read your agents' transcripts with",
        "telemetry ingest all --claude --codex"));
      return;
    }
    const calls = rows.reduce((n, r) => n + r.calls, 0);
    const unpriced = rows.reduce((n, r) => n + r.unpriced_calls, 0);
    const cost = rows.reduce((n, r) => n + (r.cost_usd === null ? 0n : T.units(r.cost_usd)), 0n);
    host.append(el("div", { class: "summary" },
      figure("Cost of priced calls", "$" + T.fromUnits(cost, 4)),
      figure("Calls", T.int(calls)),
      figure("Unpriced calls", `${T.int(unpriced)} (${T.pct(unpriced, calls)})`, unpriced ? "unpriced" : null)));
    if (unpriced) {
      host.append(el("p", { class: "note", "data-note": "unpriced" },
        `${T.int(unpriced)} of ${T.int(calls)} calls have no price: their cost is unknown, not $0, and is left out of the figures above. `,
        "Add a price with ", el("code", {}, "telemetry prices set MODEL ..."), "."));
    }
    const byModel = T.pivot(rows, (r) => r.model, (r) => r.cost_usd);
    const costCard = el("div", { class: "card" }, el("h3", {}, "Cost per day by model (USD)"));
    host.append(costCard);
    T.stackedBars(costCard, "llm-cost", byModel.days, byModel.series, (v) => (v === null ? "unknown" : "$" + Number(v).toFixed(2)), daily.range);
    costCard.append(T.numbers(T.table("llm-cost-daily", [
      { label: "day", value: (r) => r.day },
      { label: "model", value: (r) => r.model },
      { label: "calls", value: (r) => T.int(r.calls), num: true },
      { label: "unpriced", value: (r) => T.int(r.unpriced_calls), num: true },
      { label: "cost", value: (r) => T.usd(r.cost_usd), num: true },
    ], rows)));

    const kinds = [["input_tokens", "uncached input"], ["cache_read_tokens", "cache read"],
      ["cache_write_tokens", "cache write"], ["output_tokens", "output"]];
    const days = byModel.days;
    const tokenSeries = kinds.map(([k, label]) => ({
      label, values: days.map((d) => rows.filter((r) => r.day === d).reduce((n, r) => n + r[k], 0)),
    }));
    const tokenCard = el("div", { class: "card" }, el("h3", {}, "Tokens per day by kind"));
    host.append(tokenCard);
    T.stackedBars(tokenCard, "llm-tokens", days, tokenSeries, T.int, daily.range);
    tokenCard.append(T.numbers(T.table("llm-tokens-daily",
      [{ label: "day", value: (i) => days[i] }].concat(kinds.map(([, label], k) => (
        { label, value: (i) => T.int(tokenSeries[k].values[i]), num: true }))),
      days.map((d, i) => i))));

    for (const [title, name, answer] of [["Top sessions by cost", "llm-top-sessions", sessions],
      ["Top tasks by cost", "llm-top-tasks", tasks], ["Cost by user", "llm-top-users", users],
      ["Cost by repository and branch", "llm-top-branches", branches], ["Cost by tool", "llm-top-tools", tools]]) {
      const card = el("div", { class: "card" }, el("h3", {}, title));
      card.append(answer.top.length ? T.table(name, [
        { label: answer.by, value: (r) => (answer.by === "task" ? T.taskLink(r.key) : r.key) },
        { label: "calls", value: (r) => T.int(r.calls), num: true },
        { label: "unpriced", value: (r) => T.int(r.unpriced_calls), num: true },
        { label: "tokens", value: (r) => T.int(r.total_tokens), num: true },
        { label: "cost", value: (r) => T.usd(r.cost_usd), num: true },
        { label: "last call", value: (r) => r.last_call_at },
      ], answer.top) : el("p", { class: "note" }, `No call in this range names a ${answer.by}.`));
      host.append(card);
    }
  };

  /** CI: run attempts per day by outcome, each workflow's rate and durations, failures, jobs. */
  T.views.ci = async function (host, load) {
    const [daily, workflows, failures, jobs] = await Promise.all([
      load("/api/v1/ci/runs-daily", {}),
      load("/api/v1/ci/workflows", {}),
      load("/api/v1/ci/failures", { limit: "20" }),
      load("/api/v1/ci/jobs", {}),
    ]);
    host.replaceChildren(el("h2", {}, "CI"));
    if (!daily.days.length) {
      host.append(empty("No workflow runs in this range. Follow a repository, then sync:",
        "telemetry github add OWNER/REPO && telemetry github sync"));
      return;
    }
    const outcomes = T.pivot(daily.days, (r) => r.outcome, (r) => r.runs);
    const runsCard = el("div", { class: "card" }, el("h3", {}, "Run attempts per day by outcome"));
    host.append(runsCard);
    T.stackedBars(runsCard, "ci-runs", outcomes.days, outcomes.series, T.int, daily.range);
    runsCard.append(T.numbers(T.table("ci-runs-daily", [
      { label: "day", value: (r) => r.day },
      { label: "outcome", value: (r) => r.outcome },
      { label: "runs", value: (r) => T.int(r.runs), num: true },
    ], daily.days)));

    const wf = workflows.workflows;
    const key = (r) => `${r.repository} / ${r.workflow}`;
    const totals = new Map();
    for (const r of wf) {
      const t = totals.get(key(r)) || { name: key(r), completed: 0, succeeded: 0, failed: 0 };
      t.completed += r.completed; t.succeeded += r.succeeded; t.failed += r.failed;
      totals.set(key(r), t);
    }
    const wfCard = el("div", { class: "card" }, el("h3", {}, "Workflows: success rate and duration"));
    host.append(wfCard);
    wfCard.append(T.table("ci-workflow-rates", [
      { label: "workflow", value: (t) => t.name },
      { label: "completed", value: (t) => T.int(t.completed), num: true },
      { label: "success rate", value: (t) => T.pct(t.succeeded, t.completed), num: true },
      { label: "failed", value: (t) => T.int(t.failed), num: true },
    ], [...totals.values()]));
    for (const [p, label] of [["p50_seconds", "p50"], ["p95_seconds", "p95"]]) {
      const durations = T.pivot(wf, key, (r) => r[p]);
      wfCard.append(el("h4", {}, `${label} duration per day (s)`));
      T.lines(wfCard, `ci-${label}`, durations.days, durations.series, T.secs, workflows.range);
    }
    wfCard.append(T.numbers(T.table("ci-workflows-daily", [
      { label: "day", value: (r) => r.day },
      { label: "workflow", value: key },
      { label: "completed", value: (r) => T.int(r.completed), num: true },
      { label: "succeeded", value: (r) => T.int(r.succeeded), num: true },
      { label: "p50", value: (r) => T.secs(r.p50_seconds), num: true },
      { label: "p95", value: (r) => T.secs(r.p95_seconds), num: true },
    ], wf)));

    const failCard = el("div", { class: "card" }, el("h3", {}, "Recent failures"));
    host.append(failCard);
    failCard.append(failures.failures.length ? T.table("ci-failures", [
      { label: "started", value: (f) => f.at },
      { label: "workflow", value: (f) => `${f.repository} / ${f.workflow}` },
      { label: "branch", value: (f) => f.branch || "-" },
      { label: "commit", value: (f) => (f.commit_sha || "-").slice(0, 7) },
      { label: "conclusion", value: (f) => f.conclusion },
      { label: "run", value: (f) => T.link(f.html_url, `#${f.github_run_id} attempt ${f.run_attempt}`) },
    ], failures.failures) : el("p", { class: "note" }, "No failed run in this range."));
    host.append(jobsCard(jobs.jobs));
  };

  /** Jobs: is CI slow waiting for runners or running, which jobs fail or flake, what they cost. */
  function jobsCard(j) {
    const card = el("div", { class: "card" }, el("h3", {}, "Jobs: queue time, slowest, failing, cost"));
    if (!j.queue_by_label.length && !j.slowest_jobs.length && !j.billing.length) {
      card.append(el("p", { class: "note" },
        "No jobs in this range: they come with each sync and with the webhook's workflow_job deliveries."));
      return card;
    }
    const name = (r) => `${r.repository} / ${r.job}`;
    card.append(el("h4", {}, "Queue time per runner label"), T.table("ci-job-queue", [
      { label: "label", value: (r) => r.label },
      { label: "jobs", value: (r) => T.int(r.jobs), num: true },
      { label: "p50", value: (r) => T.secs(r.p50_seconds), num: true },
      { label: "p95", value: (r) => T.secs(r.p95_seconds), num: true },
    ], j.queue_by_label));
    card.append(el("h4", {}, "Slowest jobs and steps (p95)"), T.table("ci-job-slowest", [
      { label: "job", value: (r) => (r.step ? `${name(r)} / ${r.step}` : name(r)) },
      { label: "completed", value: (r) => T.int(r.completed), num: true },
      { label: "p50", value: (r) => T.secs(r.p50_seconds), num: true },
      { label: "p95", value: (r) => T.secs(r.p95_seconds), num: true },
    ], [...j.slowest_jobs, ...j.slowest_steps]));
    card.append(el("h4", {}, "Failing and flaky jobs"), j.failing_jobs.length ? T.table("ci-job-failing", [
      { label: "job", value: name },
      { label: "completed", value: (r) => T.int(r.completed), num: true },
      { label: "failed", value: (r) => T.int(r.failed), num: true },
      { label: "failure rate", value: (r) => T.pct(r.failed, r.completed), num: true },
      { label: "flaky", value: (r) => T.int(r.flaky), num: true },
    ], j.failing_jobs) : el("p", { class: "note" }, "No failed job in this range."));
    card.append(el("h4", {}, "Billable minutes and estimated cost per workflow per day"), T.table("ci-job-billing", [
      { label: "day", value: (r) => r.day },
      { label: "workflow", value: (r) => `${r.repository} / ${r.workflow || "-"}` },
      { label: "jobs", value: (r) => T.int(r.jobs), num: true },
      { label: "minutes", value: (r) => T.int(r.billable_minutes), num: true },
      { label: "estimated cost", value: (r) => T.usd(r.cost_usd) + (r.unpriced_jobs ? ` + ${r.unpriced_jobs} unpriced` : ""), num: true },
    ], j.billing));
    return card;
  }
})(window.T);
