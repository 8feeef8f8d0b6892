// The dashboard's shell: the read key (asked once, kept in this tab's sessionStorage), the
// range and project controls, and `load`, which asks the read API with them. A report
// written by `telemetry report --html` carries its answers inline and asks nothing.
"use strict";
(function (T) {
  const $ = (id) => document.getElementById(id);
  const KEY = "telemetry.readKey";
  const inline = document.getElementById("telemetry-data");
  const report = inline ? JSON.parse(inline.textContent, T.exactCosts) : null;
  let view = "llm";

  function key() { return sessionStorage.getItem(KEY); }

  function status(text, error) {
    $("status").textContent = text || "";
    $("status").className = error ? "error" : "";
  }

  /** The range (and, unless `rangeOnly`, the project) as query parameters. */
  function scope(rangeOnly) {
    const p = {};
    const range = $("range").value;
    if (range === "custom") {
      if ($("since").value) p.since = $("since").value;
      if ($("until").value) {
        // The last day chosen is included: the range ends at the next day's start.
        const end = new Date($("until").value + "T00:00:00Z");
        end.setUTCDate(end.getUTCDate() + 1);
        p.until = end.toISOString().slice(0, 10);
      }
    } else {
      p.since = range;
    }
    if ($("project").value && !rangeOnly) p.project = $("project").value;
    return p;
  }

  class Refused extends Error {
    constructor(status, body) { super(body.message || `HTTP ${status}`); this.status = status; }
  }

  async function fetchJson(path, params) {
    const qs = new URLSearchParams(params).toString();
    // Relative to the page (…/dashboard), so a path prefix in front of the API is kept.
    const resp = await fetch(path.replace(/^\//, "") + (qs ? "?" + qs : ""), {
      headers: { Authorization: "Bearer " + key() }, cache: "no-store",
    });
    const text = await resp.text();
    let body = {};
    try { body = JSON.parse(text, T.exactCosts); } catch (e) { /* not JSON: the status says it */ }
    if (!resp.ok) throw new Refused(resp.status, body);
    return body;
  }

  /**
   * One route's answer: the report's, or the API's. `how.range` adds the chosen range (and
   * `how.project` the chosen project); otherwise only `extra` is sent.
   */
  async function load(route, extra, how) {
    how = how || { range: true, project: true };
    if (report) {
      // Named by the route and what the view asks besides the range and page size.
      const asked = Object.entries(extra).filter(([k]) => k !== "limit");
      const name = route + (asked.length ? "?" + new URLSearchParams(asked).toString() : "");
      if (!(name in report.answers)) throw new Error("this report does not hold " + name + "; open the dashboard for it");
      const a = report.answers[name];
      if (a && a.refused) throw new Refused(a.refused.status, a.refused);
      return a;
    }
    return fetchJson(route, Object.assign(how.range ? scope(!how.project) : {}, extra));
  }

  /** The view and task the address names: #llm, #ci, #agents, #coverage, #events, #fleet,
   * #task=ID, #conversation=WORKER. */
  function fromHash() {
    const h = decodeURIComponent(location.hash.slice(1));
    if (h.startsWith("task=")) return { view: "agents", task: h.slice(5), conversation: null };
    if (h.startsWith("conversation=")) return { view: "agents", task: null, conversation: h.slice(13) };
    return { view: ["llm", "ci", "agents", "coverage", "events", "fleet"].includes(h) ? h : view, task: null, conversation: null };
  }
  let task = null;
  let conversation = null;

  async function show() {
    for (const b of document.querySelectorAll("#views button")) {
      b.setAttribute("aria-pressed", String(b.dataset.view === view));
    }
    for (const s of document.querySelectorAll("section.view")) s.hidden = s.id !== "view-" + view;
    status("Loading…");
    try {
      await T.views[view]($("view-" + view), load, { task, conversation, offline: !!report });
      status("");
      // A count of finished renders: what a test (or a script) waits on after an action.
      document.body.dataset.renders = String(Number(document.body.dataset.renders || 0) + 1);
    } catch (e) {
      if (e instanceof Refused && (e.status === 401 || e.status === 403) && !report) {
        sessionStorage.removeItem(KEY);
        return ask(e.message);
      }
      status("Could not load: " + e.message + (e.status >= 500 ? " (retry in a moment)" : ""), true);
    }
  }

  function ask(why) {
    $("login").hidden = false;
    for (const s of document.querySelectorAll("section.view")) s.hidden = true;
    $("key-error").textContent = why || "";
    status("");
    $("key").focus();
  }

  /** The key's scope; for an admin key, the projects to filter by. */
  async function open() {
    const who = report ? report.answers["/api/v1/whoami"] : await fetchJson("/api/v1/whoami", {});
    $("login").hidden = true;
    const select = $("project");
    select.replaceChildren(T.el("option", { value: "" }, who.project_id ? who.project_id : "all projects"));
    if (who.scope === "all_projects" && !report) {
      const list = await fetchJson("/api/v1/projects", {});
      for (const p of list.projects) select.append(T.el("option", { value: p.project_id }, p.project_id));
    }
    select.disabled = who.scope !== "all_projects" || !!report;
    $("who").textContent = report
      ? `Report of ${report.range.since} to ${report.range.until}, written ${report.generated_at}`
      : who.scope === "all_projects" ? "Reading every project" : "Reading " + who.project_id;
    await show();
  }

  $("key-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(KEY, $("key").value.trim());
    $("key").value = "";
    try {
      await open();
    } catch (e) {
      sessionStorage.removeItem(KEY);
      ask(e instanceof Refused ? "That key was refused: " + e.message : "Could not reach the API: " + e.message);
    }
  });
  $("controls").addEventListener("submit", (ev) => { ev.preventDefault(); show(); });
  $("range").addEventListener("change", () => { $("custom").hidden = $("range").value !== "custom"; });
  $("forget").addEventListener("click", () => { sessionStorage.removeItem(KEY); ask("The key was forgotten."); });
  for (const b of document.querySelectorAll("#views button")) {
    b.addEventListener("click", () => { location.hash = b.dataset.view; });
  }
  window.addEventListener("hashchange", () => {
    ({ view, task, conversation } = fromHash());
    if ($("login").hidden) show();
  });
  ({ view, task, conversation } = fromHash());

  if (report) {
    $("controls").hidden = true;
    $("forget").hidden = true;
    open();
  } else if (key()) {
    open().catch((e) => ask(e instanceof Refused ? e.message : "Could not reach the API: " + e.message));
  } else {
    ask();
  }
})(window.T);
