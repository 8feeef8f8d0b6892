// Drives the dashboard in Debian's Chromium as a user would, and prints what the user saw as
// JSON on stdout (the Rust test asserts on it):
//   node dashboard.mjs live BASE_URL READ_KEY SCREENSHOT.png [ADMIN_KEY PROJECT]
//   node dashboard.mjs empty BASE_URL READ_KEY
//   node dashboard.mjs offline FILE.html
// With SHOTS=DIR, screenshots of the views are written there (CI keeps them under target/).
// Every console error and CSP violation is reported; nothing here decides pass or fail.
import { chromium } from "playwright-core";

const [mode, ...args] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
const problems = [];
page.on("console", (m) => { if (m.type() === "error") problems.push(m.text()); });
page.on("pageerror", (e) => problems.push("page error: " + e.message));
const refused = [];
page.on("response", (r) => { if (r.status() >= 400) refused.push(`${r.status()} ${new URL(r.url()).pathname}`); });

/** Every table[data-table] as rows of cell texts, and the https links in them. */
async function tables() {
  return page.evaluate(() => {
    const out = {};
    for (const t of document.querySelectorAll("table[data-table]")) {
      out[t.dataset.table] = {
        head: [...t.querySelectorAll("thead th")].map((c) => c.textContent),
        rows: [...t.querySelectorAll("tbody tr")].map((r) => [...r.cells].map((c) => c.textContent)),
        links: [...t.querySelectorAll("a[href]")].map((a) => a.getAttribute("href")),
      };
    }
    return out;
  });
}

const charts = () => page.evaluate(() =>
  [...document.querySelectorAll("[data-chart]")].map((c) => ({
    name: c.dataset.chart, canvases: c.querySelectorAll("canvas").length,
  })));
const text = (sel) => page.evaluate((s) => document.querySelector(s)?.textContent ?? null, sel);
const visible = (sel) => page.evaluate((s) => { const e = document.querySelector(s); return !!e && !e.hidden; }, sel);

const seen = { problems, refused };

/** Runs `action` and waits until the page has drawn a view after it. */
async function settled(action) {
  const before = await page.evaluate(() => Number(document.body.dataset.renders || 0));
  await action();
  await page.waitForFunction((n) => Number(document.body.dataset.renders || 0) > n, before, { timeout: 15000 });
}

/** A screenshot kept for CI (`SHOTS` is a directory). */
async function keepShot(name) {
  if (process.env.SHOTS) await page.screenshot({ path: `${process.env.SHOTS}/${name}.png`, fullPage: true });
}

/** Waits for `selector`; on a timeout, says what the page showed instead. */
async function wait(selector) {
  try {
    await page.waitForSelector(selector, { state: "attached", timeout: 15000 });
  } catch (e) {
    const status = [await text("#status"), await text("#key-error"), await page.evaluate(() => location.href),
      await page.evaluate(() => [...document.querySelectorAll("section")].filter((x) => !x.hidden).map((x) => x.id + ":" + x.textContent.slice(0, 200)))].join(" | ");
    throw new Error(`${selector} never appeared; status: ${status}; refused: ${refused}; console: ${problems}`);
  }
}
if (mode === "live") {
  const [base, key, shot, admin, project] = args;
  const resp = await page.goto(base + "/dashboard");
  seen.csp = resp.headers()["content-security-policy"] || null;
  seen.login_first = await visible("#login");
  // A wrong key is refused with a message, and the login stays.
  await page.fill("#key", "tr_000000000000_" + "0".repeat(48));
  await page.click("#key-form button");
  await page.waitForFunction(() => document.getElementById("key-error").textContent.length > 0);
  seen.wrong_key_message = await text("#key-error");
  await page.fill("#key", key);
  await page.click("#key-form button");
  await wait("table[data-table=llm-cost-daily], #view-llm .empty");
  seen.who = await text("#who");
  seen.llm = { tables: await tables(), charts: await charts(), unpriced_note: await text("[data-note=unpriced]"),
    summary: await text("#view-llm .summary") };
  await page.evaluate(() => document.querySelectorAll("details").forEach((d) => { d.open = true; }));
  if (shot) await page.screenshot({ path: shot, fullPage: false });
  await page.click("#views button[data-view=ci]");
  await wait("table[data-table=ci-runs-daily], #view-ci .empty");
  seen.ci = { tables: await tables(), charts: await charts(), empty: await text("#view-ci .empty") };
  await keepShot("ci");
  // Coverage, then CLI events with a breakdown by one property.
  await page.click("#views button[data-view=coverage]");
  await wait("table[data-table=coverage-reports], #view-coverage .empty");
  seen.coverage = { tables: await tables(), charts: await charts() };
  await keepShot("coverage");
  await page.click("#views button[data-view=events]");
  await wait("table[data-table=events-daily], #view-events .empty");
  await page.fill("#property", "os");
  await page.click("#property-form button");
  await wait("table[data-table=events-by-property]");
  seen.events = { tables: await tables(), charts: await charts() };
  await keepShot("events");
  await page.click("#views button[data-view=fleet]");
  await wait("table[data-table=fleet-projects]");
  seen.fleet = { tables: await tables() };
  await keepShot("fleet");
  await page.click("#views button[data-view=ci]");
  await wait("table[data-table=ci-runs-daily], #view-ci .empty");
  // A reload keeps the key for this tab, and the view the address names.
  await page.reload();
  await wait("table[data-table=ci-runs-daily], #view-ci .empty");
  seen.login_after_reload = await visible("#login");
  seen.hash_after_reload = await page.evaluate(() => location.hash);
  await page.click("#views button[data-view=llm]");
  await wait("table[data-table=llm-cost-daily], #view-llm .empty");
  // The last 24 h only: the older calls leave the table.
  await page.selectOption("#range", "24h");
  await page.click("#controls button[type=submit]");
  await page.waitForFunction(() => !document.getElementById("status").textContent);
  seen.last_24h = { tables: await tables(), empty: await text("#view-llm .empty") };
  // A project's key may not read agent records: the view says so.
  await page.click("#views button[data-view=agents]");
  await wait("[data-note=agents]");
  seen.agents_note = await text("[data-note=agents]");
  await page.click("#forget");
  seen.login_after_forget = await visible("#login");
  if (admin) {
    await page.goto(base + "/dashboard#llm");
    await page.fill("#key", admin);
    await page.click("#key-form button");
    // The address changed only its hash: the old tables are still there until the new key's
    // answers replace them.
    await page.waitForFunction(() => document.getElementById("who").textContent.includes("every project"));
    await page.waitForFunction(() => !document.getElementById("status").textContent);
    await wait("table[data-table=llm-top-tasks]");
    seen.admin_projects = await page.evaluate(() => [...document.querySelectorAll("#project option")].map((o) => o.value));
    // The top tasks link to the task's timeline.
    await page.click("table[data-table=llm-top-tasks] a[data-task]");
    await wait("table[data-table=agent-timeline]");
    seen.task = { tables: await tables(), title: await text("[data-task-view]"), hash: await page.evaluate(() => location.hash) };
    await keepShot("task");
    // The worker's conversation, from the upload bucket.
    await page.click("a[data-worker]");
    await wait("table[data-table=agent-conversation], [data-note=agents]");
    seen.conversation = { tables: await tables(), note: await text("[data-note=agents]"), hash: await page.evaluate(() => location.hash) };
    await keepShot("conversation");
    await page.click("a[href='#agents']");
    await wait("table[data-table=agent-tasks]");
    seen.agents = { tables: await tables(), summary: await text("#view-agents .summary") };
    // The project filter: every project's calls, then one project's.
    await settled(() => page.click("#views button[data-view=llm]"));
    seen.admin_all = { tables: await tables() };
    await page.selectOption("#project", project);
    await settled(() => page.click("#controls button[type=submit]"));
    seen.admin_one = { tables: await tables() };
  }
} else if (mode === "empty") {
  // A database with nothing in it: every view says what to run.
  const [base, key] = args;
  await page.goto(base + "/dashboard");
  await page.fill("#key", key);
  await settled(() => page.click("#key-form button"));
  seen.empty = {};
  for (const v of ["llm", "ci", "coverage", "events", "fleet"]) {
    if (v !== "llm") await settled(() => page.click(`#views button[data-view=${v}]`));
    seen.empty[v] = await page.evaluate((id) => [...document.querySelectorAll(`#view-${id} .empty`)].map((e) => e.textContent), v);
  }
  await keepShot("empty");
} else if (mode === "offline") {
  const [file] = args;
  await page.goto("about:blank");
  // No network at all: a report reads nothing but itself.
  await page.route("**/*", (r) => (r.request().url().startsWith("file:") ? r.continue() : r.abort()));
  await page.goto("file://" + file);
  await wait("table[data-table=llm-cost-daily], #view-llm .empty");
  seen.who = await text("#who");
  seen.login = await visible("#login");
  seen.llm = { tables: await tables(), charts: await charts() };
  await page.click("#views button[data-view=ci]");
  await wait("table[data-table=ci-runs-daily], #view-ci .empty");
  seen.ci = { tables: await tables(), charts: await charts() };
  await page.click("#views button[data-view=agents]");
  await wait("table[data-table=agent-tasks], #view-agents .empty, [data-note=agents]");
  seen.agents = { tables: await tables(), note: await text("[data-note=agents]") };
  await page.click("#views button[data-view=fleet]");
  await wait("table[data-table=fleet-projects]");
  seen.fleet = { tables: await tables() };
  await keepShot("report");
} else {
  throw new Error("usage: dashboard.mjs live BASE KEY SHOT | offline FILE");
}
await browser.close();
process.stdout.write(JSON.stringify(seen) + "\n");
