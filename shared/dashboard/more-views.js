// The dashboard's views of agents, coverage, CLI events and the fleet (views.js has LLM cost
// and CI),
// drawn from the read API's answers through `load`, as there.
"use strict";
window.T = window.T || {};
(function (T) {
  const el = T.el;
  const empty = T.empty;
  const figure = T.figure;

  /** A link to a task's timeline in the agents view. */
  T.taskLink = (id) => el("a", { href: "#task=" + encodeURIComponent(id), "data-task": id }, id);

  /** Agents: tasks by status, the tasks with their cost, one task's timeline. */
  T.views.agents = async function (host, load, state) {
    host.replaceChildren(el("h2", {}, "Agents"));
    let answer;
    try {
      answer = state.conversation
        ? await load("/api/v1/agents/conversation", { worker: state.conversation }, { range: false })
        : state.task
          ? await load("/api/v1/agents/task", { id: state.task }, { range: false })
          : await load("/api/v1/agents/tasks", { limit: "50" }, { range: true, project: false });
    } catch (e) {
      // A refused read (a project's key, a log the API may not read) or a report's missing
      // answer is said in the page; anything else is the shell's error.
      if (e.status === 403 || e.status === 400 || (state.offline && (state.task || state.conversation))) {
        host.append(el("p", { class: "note", "data-note": "agents" }, e.message));
        return;
      }
      throw e;
    }
    if (state.conversation) return conversationView(host, answer);
    if (state.task) return taskView(host, answer.task);
    const n = (s) => answer.by_status[s] || 0;
    host.append(el("div", { class: "summary" },
      ["active", "completed", "failed", "detected"].map((s) => figure(s, T.int(n(s))))));
    if (!answer.tasks.length) {
      host.append(empty("No agent task was detected in this range. Read the agents' records with",
        "telemetry ingest jsonl PATH"));
      return;
    }
    const card = el("div", { class: "card" }, el("h3", {}, "Tasks, newest first"));
    card.append(T.table("agent-tasks", [
      { label: "task", value: (t) => T.taskLink(t.task_id) },
      { label: "title", value: (t) => t.title || "" },
      { label: "status", value: (t) => t.status },
      { label: "detected", value: (t) => t.detected_at },
      { label: "ended", value: (t) => t.ended_at || "-" },
      { label: "calls", value: (t) => T.int(t.calls), num: true },
      { label: "unpriced", value: (t) => T.int(t.unpriced_calls), num: true },
      { label: "cost", value: (t) => T.usd(t.cost_usd), num: true },
    ], answer.tasks));
    host.append(card);
  };

  function conversationView(host, c) {
    host.append(el("p", {}, el("a", { href: "#agents" }, "← all tasks")));
    host.append(el("h3", { "data-conversation": c.worker_id }, `${c.worker_id}: ${c.log_file}`));
    const card = el("div", { class: "card" });
    card.append(T.table("agent-conversation", [
      { label: "line", value: (t) => String(t.line), num: true },
      { label: "at", value: (t) => t.at || "" },
      { label: "who", value: (t) => t.role },
      { label: "said", value: (t) => el("span", { class: "turn" }, t.text) },
    ], c.turns));
    if (c.more_turns) card.append(el("p", { class: "note" }, `${T.int(c.more_turns)} more turns: telemetry worker ${c.worker_id} --show-conversation --json`));
    host.append(card);
  }

  function taskView(host, t) {
    host.append(el("p", {}, el("a", { href: "#agents" }, "← all tasks")));
    host.append(el("h3", { "data-task-view": t.task_id }, `${t.task_id}: ${t.title || "(no title)"} (${t.status})`));
    host.append(el("div", { class: "summary" },
      figure("Calls", T.int(t.total.calls)),
      figure("Cost of priced calls", T.usd(t.total.cost_usd)),
      figure("Unpriced calls", T.int(t.total.unpriced_calls), t.total.unpriced_calls ? "unpriced" : null)));
    const workers = el("div", { class: "card" }, el("h3", {}, "Workers"));
    workers.append(t.workers.length ? T.table("agent-workers", [
      { label: "worker", value: (w) => w.worker_id },
      { label: "status", value: (w) => w.status },
      { label: "spawned", value: (w) => w.spawned_at },
      { label: "completed", value: (w) => w.completed_at || "-" },
      { label: "calls", value: (w) => T.int(w.calls), num: true },
      { label: "tokens", value: (w) => T.int(w.tokens), num: true },
      { label: "cost", value: (w) => T.usd(w.cost_usd), num: true },
      { label: "conversation", value: (w) => (w.log_file ? el("a", { href: "#conversation=" + encodeURIComponent(w.worker_id), "data-worker": w.worker_id }, "read") : "-") },
    ], t.workers) : el("p", { class: "note" }, "No worker was spawned for this task."));
    host.append(workers);
    const timeline = el("div", { class: "card" }, el("h3", {}, "Timeline"));
    timeline.append(T.table("agent-timeline", [
      { label: "at", value: (e) => e.at },
      { label: "kind", value: (e) => e.kind },
      { label: "what", value: (e) => e.message },
    ], t.timeline));
    host.append(timeline);
  }

  /** Coverage: line % per repository and branch over time, each report with its commit's run. */
  T.views.coverage = async function (host, load) {
    const answer = await load("/api/v1/coverage", { limit: "500" });
    host.replaceChildren(el("h2", {}, "Coverage"));
    const reports = answer.reports;
    if (!reports.length) {
      host.append(empty("No coverage report in this range. Post one to /ingest, or upload it to",
        "uploads/coverage/OWNER/REPO/BRANCH/COMMIT/lcov.info"));
      return;
    }
    // The newest report of each repository and branch per day (the answer is newest first).
    const key = (r) => `${r.repository} @ ${r.branch || "(no branch)"}`;
    const latest = new Map();
    for (const r of reports) {
      const k = key(r) + "|" + r.captured_at.slice(0, 10);
      if (!latest.has(k)) latest.set(k, { day: r.captured_at.slice(0, 10), key: key(r), pct: r.line_percent });
    }
    const series = T.pivot([...latest.values()], (r) => r.key, (r) => r.pct);
    const card = el("div", { class: "card" }, el("h3", {}, "Line coverage per day (%), the day's last report"));
    host.append(card);
    T.lines(card, "coverage-lines", series.days, series.series, (v) => (v === null || v === undefined ? "-" : Number(v).toFixed(2) + "%"), answer.range);
    card.append(T.table("coverage-reports", [
      { label: "captured", value: (r) => r.captured_at },
      { label: "repository", value: (r) => r.repository },
      { label: "branch", value: (r) => r.branch || "-" },
      { label: "commit", value: (r) => r.commit_sha.slice(0, 7) },
      // Stored with 2 decimals: toFixed(2) gives back exactly the stored digits.
      { label: "lines %", value: (r) => (r.line_percent === null ? "-" : Number(r.line_percent).toFixed(2)), num: true },
      { label: "branches %", value: (r) => (r.branch_percent === null ? "-" : Number(r.branch_percent).toFixed(2)), num: true },
      { label: "lines", value: (r) => `${T.int(r.lines_covered)} / ${T.int(r.lines_total)}`, num: true },
      { label: "run", value: (r) => r.run_conclusion || "no run synced" },
    ], reports));
  };

  /** CLI events: per day by name, distinct ids per day, and a breakdown by one property. */
  T.views.events = async function (host, load, state) {
    const property = state.property || "";
    const answer = await load("/api/v1/events/daily", property ? { property } : {});
    host.replaceChildren(el("h2", {}, "CLI events"));
    if (!answer.days.length) {
      host.append(empty("No CLI event in this range. CLIs send them with the client library to",
        "POST /ingest (or /p/<public token>/ingest)"));
      return;
    }
    const byName = T.pivot(answer.days, (r) => r.event, (r) => r.events);
    const card = el("div", { class: "card" }, el("h3", {}, "Events per day by name"));
    host.append(card);
    T.stackedBars(card, "events-daily", byName.days, byName.series, T.int, answer.range);
    const ids = T.pivot(answer.days, (r) => r.event, (r) => r.distinct_ids);
    card.append(el("h4", {}, "Distinct ids per day"));
    T.lines(card, "events-distinct", ids.days, ids.series, T.int, answer.range);
    card.append(T.numbers(T.table("events-daily", [
      { label: "day", value: (r) => r.day },
      { label: "event", value: (r) => r.event },
      { label: "events", value: (r) => T.int(r.events), num: true },
      { label: "distinct ids", value: (r) => T.int(r.distinct_ids), num: true },
    ], answer.days)));

    const input = el("input", { id: "property", value: property, placeholder: "a property, e.g. os", maxlength: "200" });
    const form = el("form", { id: "property-form" }, el("label", {}, "Break down by property ", input), " ", el("button", { type: "submit" }, "Show"));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      T.views.events(host, load, Object.assign({}, state, { property: input.value.trim() }));
    });
    // A report holds no breakdown: the property is chosen on the live page.
    if (state.offline) return;
    const breakdown = el("div", { class: "card" }, el("h3", {}, "Events per day by a property's value"), form);
    host.append(breakdown);
    if (property) {
      const byValue = T.pivot(answer.by_property, (r) => r.value, (r) => r.events);
      T.stackedBars(breakdown, "events-by-property", byValue.days, byValue.series, T.int, answer.range);
      breakdown.append(T.table("events-by-property", [
        { label: "day", value: (r) => r.day },
        { label: property, value: (r) => r.value },
        { label: "events", value: (r) => T.int(r.events), num: true },
      ], answer.by_property));
    }
  };

  /** The fleet (seed 003): recent briefings, pending jobs, the job history, the projects. */
  T.views.fleet = async function (host, load) {
    const [briefings, pending, history, projects] = await Promise.all([
      load("/api/v1/fleet/briefings", { limit: "50" }),
      load("/api/v1/fleet/jobs", { pending: "true", limit: "50" }),
      load("/api/v1/fleet/jobs", { limit: "50" }),
      load("/api/v1/projects", { status: "all" }, { range: false }),
    ]);
    host.replaceChildren(el("h2", {}, "Fleet"));
    const risky = briefings.briefings.filter((b) => b.doc_drift_risk === "high").length;
    host.append(el("div", { class: "summary" },
      figure("Briefings", T.int(briefings.briefings.length)),
      figure("High doc-drift risk", T.int(risky), risky ? "unpriced" : null),
      figure("Pending jobs", T.int(pending.jobs.length)),
      figure("Projects", T.int(projects.projects.length))));
    const card = (title, node) => host.append(el("div", { class: "card" }, el("h3", {}, title), node));
    card("Recent briefings", briefings.briefings.length ? T.table("fleet-briefings", [
      { label: "ended", value: (b) => b.at },
      { label: "project", value: (b) => b.project_id },
      { label: "task", value: (b) => b.task_id || "-" },
      { label: "status", value: (b) => b.status },
      { label: "impact", value: (b) => b.impact_level || "-" },
      { label: "doc drift", value: (b) => b.doc_drift_risk || "-" },
      { label: "branch", value: (b) => b.branch || "-" },
    ], briefings.briefings) : empty("No briefing in this range. Agents post them to", "POST /ingest {\"briefings\": [...]}"));
    const jobColumns = [
      { label: "created", value: (j) => j.ts_created },
      { label: "project", value: (j) => j.project_id },
      { label: "job", value: (j) => j.job_id },
      { label: "type", value: (j) => j.type },
      { label: "model", value: (j) => j.model },
      { label: "status", value: (j) => j.status },
      { label: "error", value: (j) => j.error || "" },
    ];
    card("Pending jobs", pending.jobs.length ? T.table("fleet-pending", jobColumns, pending.jobs)
      : el("p", { class: "note" }, "No job is queued or running."));
    card("Job history", history.jobs.length ? T.table("fleet-jobs", jobColumns, history.jobs)
      : empty("No job in this range. Agents post them to", "POST /ingest {\"jobs\": [...]}"));
    card("Projects", T.table("fleet-projects", [
      { label: "project", value: (p) => p.project_id },
      { label: "remote", value: (p) => p.git_remote || "-" },
      { label: "root", value: (p) => p.repo_root || "-" },
      { label: "status", value: (p) => p.status },
    ], projects.projects));
  };
})(window.T);
