// Charts and the tables of their numbers. Every value reaches the page as text
// (textContent), never as markup; every chart is drawn by uPlot and followed by a table of
// exactly the numbers it draws.
"use strict";
window.T = window.T || {};
(function (T) {
  const palette = ["#2f5fd0", "#e07b39", "#3a9b5b", "#b3261e", "#8a5cc2", "#c9a227",
    "#2a9bb3", "#d15b9b", "#6b7a8f", "#7a9b2a"];
  // Outcomes keep their meaning's colour whatever their order.
  const meaning = { success: "#3a9b5b", failure: "#b3261e", timed_out: "#d15b9b", cancelled: "#6b7a8f",
    startup_failure: "#8a1c16", in_progress: "#c9a227", queued: "#2a9bb3" };
  T.color = (i, label) => meaning[label] || palette[i % palette.length];

  /** An element with attributes and children (strings become text nodes). */
  T.el = function (tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== null && v !== undefined) e.setAttribute(k, v);
    }
    for (const c of children.flat()) {
      if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
    }
    return e;
  };

  /**
   * JSON.parse's reviver for the API's answers: a cost stays the exact decimal text the API
   * sent (the stored NUMERIC), not the nearest binary float, so the page rounds what was
   * stored rather than an approximation of it.
   */
  T.exactCosts = (k, v, ctx) => (typeof v === "number" && k.endsWith("cost_usd")
    ? (ctx && ctx.source ? ctx.source : String(v)) : v);

  /** A decimal text as a whole number of 1e-8 dollars (the stored scale). */
  T.units = function (text) {
    let s = String(text);
    if (/e/i.test(s)) s = Number(s).toFixed(8);
    const neg = s.startsWith("-");
    const [i, f = ""] = (neg ? s.slice(1) : s).split(".");
    const u = BigInt(i || "0") * 100000000n + BigInt((f + "00000000").slice(0, 8));
    return neg ? -u : u;
  };

  /** Units of 1e-8 as a decimal of `places` digits, rounded half away from zero (as SQL). */
  T.fromUnits = function (u, places) {
    const neg = u < 0n;
    if (neg) u = -u;
    const step = 10n ** BigInt(8 - places);
    let q = u / step;
    if ((u % step) * 2n >= step) q += 1n;
    const s = q.toString().padStart(places + 1, "0");
    return (neg ? "-" : "") + s.slice(0, s.length - places) + (places ? "." + s.slice(s.length - places) : "");
  };

  T.usd = (v) => (v === null || v === undefined ? "unknown" : "$" + T.fromUnits(T.units(v), 4));
  T.int = (v) => (v === null || v === undefined ? "-" : Number(v).toLocaleString("en-US"));
  T.secs = (v) => (v === null || v === undefined ? "-" : Number(v).toFixed(0) + " s");
  T.pct = (n, d) => (d ? (100 * n / d).toFixed(1) + "%" : "-");
  T.dayStart = (day) => Date.parse(day + "T00:00:00Z") / 1000;

  /** A link only to an https URL; anything else stays text. */
  T.link = function (href, text) {
    return typeof href === "string" && href.startsWith("https://")
      ? T.el("a", { href, rel: "noopener noreferrer", target: "_blank" }, text)
      : document.createTextNode(text);
  };

  /**
   * A table: `columns` are {label, value(row) -> string|Node, num}; `name` is its
   * data-table attribute (the tests and scripts find it by that).
   */
  T.table = function (name, columns, rows) {
    const head = T.el("tr", {}, columns.map((c) => T.el("th", { class: c.num ? "num" : null, scope: "col" }, c.label)));
    const body = rows.map((r) => T.el("tr", {}, columns.map((c) =>
      T.el("td", { class: c.num ? "num" : null }, c.value(r)))));
    return T.el("table", { "data-table": name }, T.el("thead", {}, head), T.el("tbody", {}, body));
  };

  /** A chart's numbers, folded under it. */
  T.numbers = (table) => T.el("details", {}, T.el("summary", {}, "Numbers"), table);

  function width(host) {
    return Math.max(320, Math.min(1100, (host.clientWidth || 900) - 24));
  }

  const DAY = 86400;

  /**
   * The x axis of a daily chart: every UTC day of `range` (the answer's), half a day of
   * margin each side so the first and last bars show whole, ticks on days.
   */
  function dayAxis(range, days) {
    const first = range ? Math.floor(Date.parse(range.since) / 1000 / DAY) * DAY : T.dayStart(days[0]);
    const last = range ? Math.floor((Date.parse(range.until) / 1000 - 1) / DAY) * DAY : T.dayStart(days[days.length - 1]);
    return {
      series: { label: "day", value: (u, v) => (v === null || v === undefined ? "-" : new Date(v * 1000).toISOString().slice(0, 10)) },
      scale: { time: true, range: () => [first - DAY / 2, last + DAY / 2] },
      axis: { incrs: [DAY, 2 * DAY, 7 * DAY, 30 * DAY], values: (u, ticks) => ticks.map((t) => new Date(t * 1000).toISOString().slice(5, 10)) },
    };
  }

  /**
   * Stacked bars per UTC day: `series` are {label, values[]} aligned with `days`; the
   * legend shows each series' own value, the bars their sum.
   */
  T.stackedBars = function (host, name, days, series, fmt, range) {
    const xs = days.map(T.dayStart);
    let acc = xs.map(() => 0);
    const stacked = series.map((s) => (acc = acc.map((a, i) => a + (s.values[i] || 0))));
    const x = dayAxis(range, days);
    const opts = {
      width: width(host), height: 260,
      scales: { x: x.scale },
      axes: [x.axis, { values: (u, ticks) => ticks.map(fmt), size: 70 }],
      series: [x.series],
    };
    const data = [xs];
    // The highest stack is drawn first so each lower one paints over it.
    for (let k = series.length - 1; k >= 0; k--) {
      opts.series.push({
        label: series[k].label, fill: T.color(k, series[k].label), stroke: T.color(k, series[k].label), width: 0,
        paths: uPlot.paths.bars({ size: [0.7, 48] }), points: { show: false },
        value: (u, v, si, i) => (i === null || i === undefined ? "" : fmt(series[k].values[i])),
      });
      data.push(stacked[k]);
    }
    const box = T.el("div", { class: "chart", "data-chart": name, role: "img", "aria-label": name });
    host.append(box);
    return new uPlot(opts, data, box);
  };

  /** Lines per UTC day (`null` where a series has no value that day). */
  T.lines = function (host, name, days, series, fmt, range) {
    const x = dayAxis(range, days);
    const opts = {
      width: width(host), height: 240,
      scales: { x: x.scale },
      axes: [x.axis, { values: (u, ticks) => ticks.map(fmt), size: 70 }],
      series: [x.series].concat(series.map((s, k) => ({
        label: s.label, stroke: T.color(k, s.label), width: 2, spanGaps: true,
        value: (u, v) => fmt(v),
      }))),
    };
    const box = T.el("div", { class: "chart", "data-chart": name, role: "img", "aria-label": name });
    host.append(box);
    return new uPlot(opts, [days.map(T.dayStart)].concat(series.map((s) => s.values)), box);
  };

  /** Rows grouped into a day axis and one series per `key(row)`, summing `value(row)`. */
  T.pivot = function (rows, key, value) {
    const days = [...new Set(rows.map((r) => r.day))].sort();
    const keys = [...new Set(rows.map(key))].sort();
    const at = new Map(days.map((d, i) => [d, i]));
    const series = keys.map((k) => ({ label: k, values: days.map(() => null) }));
    const index = new Map(keys.map((k, i) => [k, i]));
    for (const r of rows) {
      const s = series[index.get(key(r))];
      const i = at.get(r.day);
      const v = value(r);
      if (v !== null && v !== undefined) s.values[i] = (s.values[i] || 0) + Number(v);
    }
    return { days, series };
  };
})(window.T);
