#!/usr/bin/env node
// Checks of the Helm chart's rendered output (run by scripts/test_deploy.sh, with NODE_PATH
// pointing at third_party/deploy-tools/node/node_modules).
//   check_chart.js validate  RENDERED.yaml
//       every object passes kubernetes-models' schema validation (offline)
//   check_chart.js reference RENDERED.yaml
//       the reference deployment of SPEC §1 (default values, release harvis-prod)
//   check_chart.js monitoring RENDERED.yaml RULES.yaml DASHBOARD.json
//       ServiceMonitor, PrometheusRule, dashboard ConfigMap and API-key Secret
//   check_chart.js external-ollama RENDERED.yaml URL
//       ollama.enabled=false with ollama.url: no Ollama objects, Harvis uses URL
//   check_chart.js existing-secret RENDERED.yaml NAME KEY
//       harvis.apiKeys.existingSecret: no Secret rendered, the env refers to NAME/KEY
// Prints one "PASS: what" or "FAIL: what: why" line per assertion; exits 1 on any FAIL.
"use strict";
const fs = require("fs");
const YAML = require("yaml");

let failed = 0;
function check(name, fn) {
  try {
    const r = fn();
    if (r === false) throw new Error("assertion is false");
    console.log(`PASS: ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL: ${name}: ${e.message}`);
  }
}
function eq(actual, expected, what) {
  const a = JSON.stringify(actual), b = JSON.stringify(expected);
  if (a === b) return;
  if (a.length + b.length < 400) throw new Error(`${what || "value"} is ${a}, expected ${b}`);
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  const at = Math.max(0, i - 80);
  throw new Error(`${what || "value"} differs at character ${i}: ...${a.slice(at, i + 80)}... ` +
    `expected ...${b.slice(at, i + 80)}...`);
}
function must(cond, why) { if (!cond) throw new Error(why); }

function loadObjects(file) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"));
  const objs = [];
  for (const d of docs) {
    if (d.errors && d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
    const o = d.toJS();
    if (o !== null && o !== undefined) objs.push(o);
  }
  return objs;
}

// Kubernetes quantities: cpu in millicores, memory in bytes, plain numbers as they are.
function quantity(q) {
  const s = String(q).trim();
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(s);
  if (!m) throw new Error(`bad quantity ${s}`);
  const n = parseFloat(m[1]);
  const units = { "": 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12,
    Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };
  if (!(m[2] in units)) throw new Error(`bad quantity unit ${s}`);
  return Math.round(n * units[m[2]] * 1000) / 1000;
}
function resourcesEqual(actual, expected, what) {
  for (const side of ["requests", "limits"]) {
    const a = (actual || {})[side] || {}, e = expected[side];
    const keys = new Set([...Object.keys(a), ...Object.keys(e)]);
    for (const k of keys) {
      must(k in a, `${what} ${side}.${k} is missing`);
      must(k in e, `${what} ${side}.${k} is not expected (${a[k]})`);
      must(quantity(a[k]) === quantity(e[k]),
        `${what} ${side}.${k} is ${a[k]}, expected ${e[k]}`);
    }
  }
}
// Harvis durations: "30s", "5m", "1h", "500ms", or seconds as a number.
function seconds(d) {
  const m = /^([0-9]+)(ms|s|m|h)?$/.exec(String(d).trim());
  if (!m) throw new Error(`bad duration ${d}`);
  const mult = { ms: 0.001, s: 1, m: 60, h: 3600, undefined: 1 }[m[2]];
  return parseInt(m[1], 10) * mult;
}

const find = (objs, kind, pred = () => true) => objs.filter((o) => o.kind === kind && pred(o));
const one = (objs, kind, pred, what) => {
  const l = find(objs, kind, pred);
  must(l.length === 1, `expected one ${what || kind}, found ${l.length}`);
  return l[0];
};
const component = (c) => (o) => ((o.metadata.labels || {})["app.kubernetes.io/component"] === c);
const container = (dep, name) => {
  const c = dep.spec.template.spec.containers.find((x) => x.name === name);
  must(c, `${dep.metadata.name} has no container ${name}`);
  return c;
};
const envOf = (c, name) => (c.env || []).find((e) => e.name === name);
const selects = (selector, labels) =>
  Object.entries(selector || {}).every(([k, v]) => (labels || {})[k] === v) &&
  Object.keys(selector || {}).length > 0;

// ---------------------------------------------------------------- validate
function modelModule(apiVersion) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "monitoring.coreos.com") {
    return require(`@kubernetes-models/prometheus-operator/${group}/${version}`);
  }
  return require(group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/${version}`);
}
function validate(file) {
  const objs = loadObjects(file);
  check(`${file}: renders objects`, () => must(objs.length > 0, "no objects"));
  const seen = new Set();
  for (const o of objs) {
    const id = `${o.apiVersion}/${o.kind}/${o.metadata && o.metadata.name}`;
    check(`schema ${o.kind}/${o.metadata && o.metadata.name}`, () => {
      must(!seen.has(id), `duplicate object ${id}`);
      seen.add(id);
      let mod;
      try { mod = modelModule(o.apiVersion); } catch (e) {
        throw new Error(`no schema for apiVersion ${o.apiVersion}`);
      }
      const Model = mod[o.kind];
      must(typeof Model === "function", `no schema for ${o.apiVersion} ${o.kind}`);
      new Model(o).validate();  // throws with the failing path
    });
  }
}

// ---------------------------------------------------------------- reference
function reference(file) {
  const objs = loadObjects(file);
  const deps = find(objs, "Deployment");
  const harvis = one(objs, "Deployment", component("harvis"), "harvis Deployment");
  const ollama = one(objs, "Deployment", component("ollama"), "ollama Deployment");
  const hc = container(harvis, "harvis");
  const oc = container(ollama, "ollama");
  const cm = one(objs, "ConfigMap", component("harvis"), "harvis ConfigMap");
  const cfgText = (cm.data || {})["harvis.yaml"];
  const cfg = YAML.parse(cfgText || "");

  check("harvis container resources: requests cpu 1000m, memory 8Gi, nvidia.com/gpu 1; limits cpu 12000m, memory 32Gi, nvidia.com/gpu 1",
    () => resourcesEqual(hc.resources, {
      requests: { cpu: "1000m", memory: "8Gi", "nvidia.com/gpu": 1 },
      limits: { cpu: "12000m", memory: "32Gi", "nvidia.com/gpu": 1 } }, "harvis"));
  check("ollama container resources: requests 500m / 8Gi, limits 2000m / 16Gi, the same GPU",
    () => resourcesEqual(oc.resources, {
      requests: { cpu: "500m", memory: "8Gi", "nvidia.com/gpu": 1 },
      limits: { cpu: "2000m", memory: "16Gi", "nvidia.com/gpu": 1 } }, "ollama"));
  check("OLLAMA_CLOUD_URL=http://ollama:11434 in the harvis container",
    () => eq((envOf(hc, "OLLAMA_CLOUD_URL") || {}).value, "http://ollama:11434", "OLLAMA_CLOUD_URL"));
  check("Service named ollama on port 11434 selects the ollama pods", () => {
    const s = one(objs, "Service", (o) => o.metadata.name === "ollama", "Service ollama");
    eq(s.spec.ports.map((p) => p.port), [11434], "ports");
    must(selects(s.spec.selector, ollama.spec.template.metadata.labels), "selector does not match the ollama pods");
    must(!selects(s.spec.selector, harvis.spec.template.metadata.labels), "selector also matches the harvis pods");
    const tp = s.spec.ports[0].targetPort;
    const cp = oc.ports.find((p) => p.name === tp || p.containerPort === tp);
    must(cp && cp.containerPort === 11434, `targetPort ${tp} is not the ollama container's 11434`);
  });
  check("harvis Service on port 8000 selects the harvis pods", () => {
    const s = one(objs, "Service", (o) => component("harvis")(o), "harvis Service");
    eq(s.spec.ports.map((p) => p.port), [8000], "ports");
    must(selects(s.spec.selector, harvis.spec.template.metadata.labels), "selector does not match the harvis pods");
    const tp = s.spec.ports[0].targetPort;
    const cp = hc.ports.find((p) => p.name === tp || p.containerPort === tp);
    must(cp && cp.containerPort === 8000, `targetPort ${tp} is not the harvis container's 8000`);
  });
  check("every PVC carries helm.sh/resource-policy: keep (models, state, Ollama's cache)", () => {
    const pvcs = find(objs, "PersistentVolumeClaim");
    eq(pvcs.length, 3, "PVC count");
    for (const p of pvcs) {
      eq(((p.metadata.annotations || {})["helm.sh/resource-policy"]), "keep", `${p.metadata.name} resource-policy`);
    }
    for (const suffix of ["-models", "-state", "-ollama"]) {
      must(pvcs.some((p) => p.metadata.name.endsWith(suffix)), `no PVC named *${suffix}`);
    }
  });
  check("every claim a Deployment mounts is rendered", () => {
    const names = new Set(find(objs, "PersistentVolumeClaim").map((p) => p.metadata.name));
    for (const d of deps) {
      for (const v of d.spec.template.spec.volumes || []) {
        if (v.persistentVolumeClaim) must(names.has(v.persistentVolumeClaim.claimName), `${v.persistentVolumeClaim.claimName} is not rendered`);
      }
    }
  });
  check("harvis mounts its state and models volumes at /var/lib/harvis and /var/lib/harvis/models", () => {
    const mounts = Object.fromEntries((hc.volumeMounts || []).map((m) => [m.mountPath, m.name]));
    const vols = Object.fromEntries(harvis.spec.template.spec.volumes.map((v) => [v.name, v]));
    for (const [path, suffix] of [["/var/lib/harvis", "-state"], ["/var/lib/harvis/models", "-models"]]) {
      must(mounts[path], `nothing is mounted at ${path}`);
      const v = vols[mounts[path]];
      must(v.persistentVolumeClaim && v.persistentVolumeClaim.claimName.endsWith(suffix), `${path} is not the *${suffix} claim`);
    }
  });
  check("terminationGracePeriodSeconds is longer than server.drain_timeout", () => {
    const drain = seconds(((cfg || {}).server || {}).drain_timeout || "30s");
    const grace = harvis.spec.template.spec.terminationGracePeriodSeconds;
    must(typeof grace === "number", "terminationGracePeriodSeconds is not set");
    must(grace > drain, `grace ${grace}s <= drain_timeout ${drain}s`);
  });
  check("harvis.yaml in the ConfigMap has SPEC §3's sections and the reference budget", () => {
    must(cfg && typeof cfg === "object", "harvis.yaml does not parse");
    for (const k of ["server", "ollama", "budgets", "defaults", "scheduler", "devices", "models"]) {
      must(k in cfg, `section ${k} is missing`);
    }
    eq(cfg.ollama.url, "http://ollama:11434", "ollama.url");
    eq(cfg.budgets.gpu_memory, "24GiB", "budgets.gpu_memory");
    eq(cfg.budgets.ram_fraction, 0.8, "budgets.ram_fraction");
    eq(cfg.budgets.cpu_fraction, 0.8, "budgets.cpu_fraction");
    eq(cfg.server.port, 8000, "server.port");
    must(Array.isArray(cfg.models) && cfg.models.length > 0, "no models");
    const names = cfg.models.map((m) => m.name);
    eq(new Set(names).size, names.length, "unique model names");
    for (const m of cfg.models) {
      must(["stt", "tts", "llm"].includes(m.kind), `model ${m.name}: kind ${m.kind}`);
      must(["whisper", "pocketsphinx", "espeak", "flite", "ollama", "simulated"].includes(m.engine), `model ${m.name}: engine ${m.engine}`);
    }
    for (const k of ["stt", "tts", "llm"]) {
      must(names.includes(cfg.defaults[k]), `defaults.${k} (${cfg.defaults[k]}) is not a configured model`);
    }
  });
  check("harvis serves the ConfigMap: --config /etc/harvis/harvis.yaml, mounted read-only", () => {
    const args = (hc.command || []).concat(hc.args || []).join(" ");
    must(args.includes("serve --config /etc/harvis/harvis.yaml"), `args are '${args}'`);
    const m = (hc.volumeMounts || []).find((x) => x.mountPath === "/etc/harvis");
    must(m && m.readOnly, "/etc/harvis is not mounted read-only");
    const v = harvis.spec.template.spec.volumes.find((x) => x.name === m.name);
    eq(v.configMap && v.configMap.name, cm.metadata.name, "config volume");
  });
  check("a config change restarts the pod (checksum/config annotation)", () =>
    must(/^[0-9a-f]{64}$/.test((harvis.spec.template.metadata.annotations || {})["checksum/config"] || ""), "no checksum/config"));
  check("probes: liveness /healthz, readiness /readyz on the http port", () => {
    eq(hc.livenessProbe.httpGet.path, "/healthz", "liveness path");
    eq(hc.readinessProbe.httpGet.path, "/readyz", "readiness path");
    eq(hc.livenessProbe.httpGet.port, "http", "liveness port");
    eq(hc.readinessProbe.httpGet.port, "http", "readiness port");
    must(oc.livenessProbe && oc.readinessProbe, "ollama has no probes");
  });
  check("deployment strategy Recreate, one replica (one GPU)", () => {
    for (const d of deps) {
      eq(d.spec.strategy.type, "Recreate", `${d.metadata.name} strategy`);
      eq(d.spec.replicas, 1, `${d.metadata.name} replicas`);
    }
  });
  check("security context: non-root, read-only root fs, no privilege escalation, drop ALL", () => {
    for (const d of deps) {
      const ps = d.spec.template.spec.securityContext || {};
      eq(ps.runAsNonRoot, true, `${d.metadata.name} runAsNonRoot`);
      must(ps.runAsUser > 0, `${d.metadata.name} runAsUser is ${ps.runAsUser}`);
      for (const c of d.spec.template.spec.containers) {
        const s = c.securityContext || {};
        eq(s.readOnlyRootFilesystem, true, `${c.name} readOnlyRootFilesystem`);
        eq(s.allowPrivilegeEscalation, false, `${c.name} allowPrivilegeEscalation`);
        eq((s.capabilities || {}).drop, ["ALL"], `${c.name} capabilities.drop`);
      }
    }
  });
  check("pods tolerate the nvidia.com/gpu taint", () => {
    for (const d of deps) {
      must((d.spec.template.spec.tolerations || []).some((t) => t.key === "nvidia.com/gpu"), `${d.metadata.name} has no nvidia.com/gpu toleration`);
    }
  });
  check("no Secret and no HARVIS_API_KEYS when no keys are configured (no auth)", () => {
    eq(find(objs, "Secret").length, 0, "Secret count");
    must(!envOf(hc, "HARVIS_API_KEYS"), "HARVIS_API_KEYS is set");
  });
  check("no ServiceMonitor or PrometheusRule by default", () =>
    eq(find(objs, "ServiceMonitor").length + find(objs, "PrometheusRule").length, 0, "count"));
}

// ---------------------------------------------------------------- monitoring
function monitoring(file, rulesFile, dashboardFile) {
  const objs = loadObjects(file);
  const harvisSvc = one(objs, "Service", component("harvis"), "harvis Service");
  const harvis = one(objs, "Deployment", component("harvis"), "harvis Deployment");
  const hc = container(harvis, "harvis");
  check("ServiceMonitor scrapes /metrics on the harvis Service's http port", () => {
    const sm = one(objs, "ServiceMonitor");
    must(selects(sm.spec.selector.matchLabels, harvisSvc.metadata.labels), "selector does not match the harvis Service");
    const ep = sm.spec.endpoints[0];
    eq(ep.port, "http", "port");
    eq(ep.path, "/metrics", "path");
    must(harvisSvc.spec.ports.some((p) => p.name === "http"), "the Service has no port named http");
  });
  check("PrometheusRule carries the rules of deploy/prometheus/harvis-rules.yaml", () => {
    const pr = one(objs, "PrometheusRule");
    const rules = YAML.parse(fs.readFileSync(rulesFile, "utf8"));
    eq(pr.spec, rules, "spec");
  });
  check("dashboard ConfigMap carries deploy/grafana/harvis-dashboard.json", () => {
    const cm = one(objs, "ConfigMap", (o) => o.data && "harvis-dashboard.json" in o.data, "dashboard ConfigMap");
    eq(JSON.parse(cm.data["harvis-dashboard.json"]), JSON.parse(fs.readFileSync(dashboardFile, "utf8")), "dashboard");
    eq(cm.metadata.labels.grafana_dashboard, "1", "grafana_dashboard label");
  });
  check("API keys come from the chart's Secret (HARVIS_API_KEYS)", () => {
    const secret = one(objs, "Secret");
    const e = envOf(hc, "HARVIS_API_KEYS");
    must(e && e.valueFrom && e.valueFrom.secretKeyRef, "HARVIS_API_KEYS does not come from a Secret");
    eq(e.valueFrom.secretKeyRef.name, secret.metadata.name, "secret name");
    const val = (secret.stringData || {})[e.valueFrom.secretKeyRef.key];
    eq(val, "key-one,key-two", "keys");
  });
}

function externalOllama(file, url) {
  const objs = loadObjects(file);
  const harvis = one(objs, "Deployment", component("harvis"), "harvis Deployment");
  const hc = container(harvis, "harvis");
  check("ollama.enabled=false renders no Ollama objects", () =>
    eq(objs.filter(component("ollama")).length, 0, "ollama objects"));
  check(`OLLAMA_CLOUD_URL and ollama.url follow ollama.url (${url})`, () => {
    eq((envOf(hc, "OLLAMA_CLOUD_URL") || {}).value, url, "OLLAMA_CLOUD_URL");
    const cm = one(objs, "ConfigMap", component("harvis"), "harvis ConfigMap");
    eq(YAML.parse(cm.data["harvis.yaml"]).ollama.url, url, "ollama.url");
  });
}

function existingSecret(file, name, key) {
  const objs = loadObjects(file);
  const hc = container(one(objs, "Deployment", component("harvis"), "harvis Deployment"), "harvis");
  check("existingSecret: no Secret rendered, HARVIS_API_KEYS refers to it", () => {
    eq(find(objs, "Secret").length, 0, "Secret count");
    const e = envOf(hc, "HARVIS_API_KEYS");
    must(e && e.valueFrom, "HARVIS_API_KEYS is not set");
    eq(e.valueFrom.secretKeyRef, { name, key }, "secretKeyRef");
  });
}

const [cmd, ...args] = process.argv.slice(2);
try {
  switch (cmd) {
    case "validate": validate(args[0]); break;
    case "reference": reference(args[0]); break;
    case "monitoring": monitoring(args[0], args[1], args[2]); break;
    case "external-ollama": externalOllama(args[0], args[1]); break;
    case "existing-secret": existingSecret(args[0], args[1], args[2]); break;
    default: throw new Error(`unknown command ${cmd}`);
  }
} catch (e) {
  failed++;
  console.log(`FAIL: ${cmd}: ${e.message}`);
}
process.exit(failed ? 1 : 0);
