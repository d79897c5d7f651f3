#!/usr/bin/env node
// Checks the Grafana dashboard and the Prometheus rules against SPEC §6's metric names.
//   check_dashboard.js DASHBOARD.json RULES.yaml [SPEC.md]
// - the dashboard is valid JSON with unique panel ids, a datasource variable and targets;
// - every metric its queries (and template variables) name is a SPEC §6 metric (histograms
//   with their _bucket/_sum/_count series), and every SPEC §6 metric is shown somewhere;
// - the rules name only SPEC §6 metrics (plus kube-state-metrics' restart counter);
// - when SPEC.md is given, the list below matches its §6 exactly.
// Prints "PASS: ..." / "FAIL: ...: why" lines; exits 1 on any FAIL.
"use strict";
const fs = require("fs");
const YAML = require("yaml");

// SPEC §6 (Metrics, prefix harvis_).
const COUNTERS_AND_GAUGES = [
  "harvis_device_memory_total_bytes", "harvis_device_memory_budget_bytes",
  "harvis_device_memory_reserved_bytes", "harvis_device_memory_used_bytes",
  "harvis_model_resident", "harvis_model_loads_total", "harvis_model_evictions_total",
  "harvis_memory_leaked_bytes", "harvis_queue_depth", "harvis_requests_total",
  "harvis_ram_used_bytes", "harvis_ram_limit_bytes", "harvis_cpu_used_cores",
  "harvis_cpu_allocated_cores", "harvis_restarts_total", "harvis_threshold_breached",
];
const HISTOGRAMS = ["harvis_model_load_seconds", "harvis_request_seconds"];
const SPEC_NAMES = [...COUNTERS_AND_GAUGES, ...HISTOGRAMS];
const SERIES = new Set([...COUNTERS_AND_GAUGES,
  ...HISTOGRAMS.flatMap((h) => [`${h}_bucket`, `${h}_sum`, `${h}_count`])]);
const RULES_EXTRA = new Set(["kube_pod_container_status_restarts_total"]);

let failed = 0;
function check(name, fn) {
  try { fn(); console.log(`PASS: ${name}`); } catch (e) { failed++; console.log(`FAIL: ${name}: ${e.message}`); }
}
function must(cond, why) { if (!cond) throw new Error(why); }

const KEYWORDS = new Set(["and", "or", "unless", "bool", "offset", "by", "without", "on",
  "ignoring", "group_left", "group_right", "inf", "nan", "Inf", "NaN"]);
// The metric names a PromQL expression reads.
function metricNames(expr) {
  let e = expr;
  e = e.replace(/"(?:[^"\\]|\\.)*"/g, '""');                    // strings
  e = e.replace(/\{[^}]*\}/g, " ");                              // label matchers
  e = e.replace(/\[[^\]]*\]/g, " ");                             // ranges, subqueries
  e = e.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  e = e.replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g, " ");          // Grafana variables
  const names = [];
  const re = /(?<![A-Za-z0-9_:.$])([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?/g;
  let m;
  while ((m = re.exec(e)) !== null) {
    if (m[2]) continue;                                          // function or aggregation
    if (KEYWORDS.has(m[1])) continue;
    names.push(m[1]);
  }
  return names;
}

// The names listed in SPEC.md's "## 6." section, with {a,b} alternatives expanded.
function specNames(specFile) {
  const text = fs.readFileSync(specFile, "utf8");
  const start = text.search(/^## 6\./m);
  must(start >= 0, `${specFile} has no section 6`);
  const rest = text.slice(start + 4);
  const end = rest.search(/^## /m);
  const sec = end >= 0 ? rest.slice(0, end) : rest;
  const out = new Set();
  for (const [, tok] of sec.matchAll(/`(harvis_[^`]+)`/g)) {
    let t = tok;
    const alt = /^([a-z_]*)\{([a-z_,]+)\}(_[a-z_]+)/.exec(t);
    if (alt) {
      for (const a of alt[2].split(",")) out.add(`${alt[1]}${a}${alt[3]}`);
      continue;
    }
    t = t.replace(/\{.*$/, "");
    out.add(t);
  }
  return out;
}

function dashboardChecks(file) {
  let d;
  check("dashboard is valid JSON", () => { d = JSON.parse(fs.readFileSync(file, "utf8")); });
  if (!d) return;
  const panels = [];
  const walk = (ps) => { for (const p of ps || []) { panels.push(p); walk(p.panels); } };
  walk(d.panels);
  check("dashboard has a title, a uid and panels with unique ids", () => {
    must(d.title && d.uid, "title or uid missing");
    must(panels.length >= 10, `only ${panels.length} panels`);
    const ids = panels.map((p) => p.id);
    must(new Set(ids).size === ids.length, "duplicate panel ids");
    for (const p of panels) must(p.gridPos && p.type && p.title, `panel ${p.id} lacks gridPos, type or title`);
  });
  check("dashboard has a Prometheus datasource variable", () => {
    const vars = (d.templating || {}).list || [];
    must(vars.some((v) => v.type === "datasource" && v.query === "prometheus"), "no datasource variable");
  });
  const exprs = [];
  for (const p of panels) for (const t of p.targets || []) {
    check(`panel "${p.title}" target ${t.refId} has a query`, () => must(typeof t.expr === "string" && t.expr.trim(), "empty expr"));
    if (t.expr) exprs.push([p.title, t.expr]);
  }
  for (const v of (d.templating || {}).list || []) {
    if (v.type !== "query") continue;
    const q = typeof v.query === "string" ? v.query : (v.query || {}).query;
    const lv = /^label_values\(\s*([A-Za-z_:][A-Za-z0-9_:]*)\s*,\s*[A-Za-z_][A-Za-z0-9_]*\s*\)$/.exec(q || "");
    check(`variable ${v.name} reads a SPEC §6 metric`, () => {
      must(lv, `unexpected query ${q}`);
      must(SERIES.has(lv[1]), `${lv[1]} is not a SPEC §6 metric`);
    });
  }
  const used = new Set();
  check("dashboard queries name only SPEC §6 metrics", () => {
    const bad = [];
    for (const [title, e] of exprs) {
      const names = metricNames(e);
      if (names.length === 0) bad.push(`"${title}": no metric in ${e}`);
      for (const n of names) { used.add(n); if (!SERIES.has(n)) bad.push(`"${title}": ${n}`); }
    }
    must(bad.length === 0, bad.join("; "));
  });
  check("dashboard shows every SPEC §6 metric", () => {
    const missing = SPEC_NAMES.filter((n) => !used.has(n) && !used.has(`${n}_bucket`));
    must(missing.length === 0, `not shown: ${missing.join(", ")}`);
  });
  check("dashboard shows the GPU ledger, loads, evictions, load seconds, queue, latency and thresholds", () => {
    const all = exprs.map((x) => x[1]).join("\n");
    for (const needle of [
      "harvis_device_memory_reserved_bytes", "harvis_model_resident", "rate(harvis_model_loads_total",
      "rate(harvis_model_evictions_total", "histogram_quantile(0.95, sum by (model, le) (rate(harvis_model_load_seconds_bucket",
      "sum by (priority) (harvis_queue_depth", "histogram_quantile(0.95, sum by (route, le) (rate(harvis_request_seconds_bucket",
      "sum by (code) (rate(harvis_requests_total", "0.8 * harvis_ram_limit_bytes", "0.8 * harvis_cpu_allocated_cores",
    ]) must(all.includes(needle), `no query with ${needle}`);
  });
}

function rulesChecks(file) {
  let doc;
  check("rules file parses", () => { doc = YAML.parse(fs.readFileSync(file, "utf8")); });
  if (!doc) return;
  const rules = (doc.groups || []).flatMap((g) => g.rules || []);
  check("rules name only SPEC §6 metrics (and kube_pod_container_status_restarts_total)", () => {
    const bad = [];
    for (const r of rules) for (const n of metricNames(r.expr)) {
      if (!SERIES.has(n) && !RULES_EXTRA.has(n)) bad.push(`${r.alert || r.record}: ${n}`);
    }
    must(bad.length === 0, bad.join("; "));
  });
  check("every alert has a severity, a summary and a runbook in docs/operations.md", () => {
    for (const r of rules.filter((x) => x.alert)) {
      must(r.labels && r.labels.severity, `${r.alert}: no severity`);
      must(r.annotations && r.annotations.summary, `${r.alert}: no summary`);
      must(/^docs\/operations\.md#/.test((r.annotations || {}).runbook || ""), `${r.alert}: no runbook`);
    }
  });
}

function specCheck(specFile) {
  check(`the SPEC §6 list here matches ${specFile}`, () => {
    const s = specNames(specFile);
    const mine = new Set(SPEC_NAMES);
    const onlySpec = [...s].filter((n) => !mine.has(n));
    const onlyMine = [...mine].filter((n) => !s.has(n));
    must(onlySpec.length === 0 && onlyMine.length === 0,
      `only in SPEC: [${onlySpec.join(", ")}]; only here: [${onlyMine.join(", ")}]`);
  });
}

// A few self-checks of the extractor, so that a broken regex cannot pass everything.
function extractorSelfTest() {
  check("PromQL metric-name extraction", () => {
    const cases = [
      ['sum by (model, le) (rate(harvis_model_load_seconds_bucket{instance=~"$instance"}[$__rate_interval]))', ["harvis_model_load_seconds_bucket"]],
      ["harvis_ram_used_bytes / harvis_ram_limit_bytes > 0.8", ["harvis_ram_used_bytes", "harvis_ram_limit_bytes"]],
      ["increase(up[5m]) > 1e3 and on (job) foo_total", ["up", "foo_total"]],
      ['0.8 * harvis_cpu_allocated_cores{a="b,c"}', ["harvis_cpu_allocated_cores"]],
    ];
    for (const [e, want] of cases) {
      const got = metricNames(e);
      must(JSON.stringify(got) === JSON.stringify(want), `${e}: got ${JSON.stringify(got)}`);
    }
  });
}

const [dash, rules, spec] = process.argv.slice(2);
extractorSelfTest();
dashboardChecks(dash);
rulesChecks(rules);
if (spec) specCheck(spec);
process.exit(failed ? 1 : 0);
