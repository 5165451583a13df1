// The status page: the tab's heap, a demo of caches under a budget, replay of traces, and,
// when served by `mempressure serve`, this machine. Built on the npm package (./pkg).
import { PressureMonitor, capability, replay } from "./pkg/index.js";
import { Panel, el, formatBytes, percent } from "./widgets.js";

const $ = (id) => document.getElementById(id);
const MIB = 1 << 20;
const HISTORY = 600;
const RECENT = 100;

const profileSelect = $("profile");
const profile = () => profileSelect.value;

function showThresholds(config) {
  const t = config.thresholds;
  $("thresholds").textContent =
    `${config.profile}: warning ${percent(t.warning)}, critical ${percent(t.critical)}, ` +
    `emergency ${percent(t.emergency)}`;
}

/** Keeps a bounded list. */
function push(list, item, max) {
  list.push(item);
  if (list.length > max) list.shift();
}

// --- This tab ------------------------------------------------------------------------------

const live = { panel: new Panel($("live-panel")), monitor: null, history: [], events: [] };

function startLive() {
  live.monitor?.stop();
  live.monitor = new PressureMonitor(profile());
  live.history = [];
  live.events = [];
  const config = live.monitor.config();
  live.panel.setThresholds(config.thresholds);
  showThresholds(config);

  const can = capability();
  if (can === "unsupported") {
    const notice = $("live-notice");
    notice.hidden = false;
    notice.textContent =
      "This browser does not report its JavaScript heap (performance.memory exists only in " +
      "Chromium-based browsers), so this tab's live view is off. The demo and replay below work.";
    return;
  }
  live.monitor.on("*", (e) => {
    if (e.event === "sample") {
      push(live.history, { t_ms: e.t_ms, usage: e.usage, level: e.level }, HISTORY);
      live.panel.setLevel(e.level, e.usage);
      live.panel.setFacts([
        ["heap limit", formatBytes(e.total)],
        ["heap in use", formatBytes(e.total - e.available)],
        ["quality", can === "precise" ? "precise" : "coarse (bucketed, refreshed rarely)"],
      ]);
      live.panel.setHistory(live.history);
      live.panel.renderCaches(live.monitor.status().caches_by_type);
    } else {
      push(live.events, e, RECENT);
      live.panel.renderEvents(live.events);
    }
  });
  live.monitor.start(1000);
}

// --- Demo ----------------------------------------------------------------------------------

const demo = { panel: new Panel($("demo-panel")), monitor: null, caches: new Map(), events: [], history: [] };

function demoBytes() {
  let sum = 0;
  for (const cache of demo.caches.values()) sum += cache.buffers.length * MIB;
  return sum;
}

function demoObserve() {
  const budget = Number($("demo-budget").value) * MIB;
  const used = Math.min(budget, demoBytes());
  demo.monitor.observe({ total: budget, available: budget - used });
  renderDemoCaches();
}

function startDemo() {
  demo.monitor = new PressureMonitor(profile());
  demo.events = [];
  demo.history = [];
  demo.panel.setThresholds(demo.monitor.config().thresholds);
  demo.monitor.on("*", (e) => {
    if (e.event === "sample") {
      push(demo.history, { t_ms: e.t_ms, usage: e.usage, level: e.level }, HISTORY);
      demo.panel.setLevel(e.level, e.usage);
      demo.panel.setFacts([
        ["budget", formatBytes(e.total)],
        ["held by caches", formatBytes(e.total - e.available)],
      ]);
      demo.panel.setHistory(demo.history);
      demo.panel.renderCaches(demo.monitor.status().caches_by_type);
    } else {
      push(demo.events, e, RECENT);
      demo.panel.renderEvents(demo.events);
    }
  });
  for (const [id, cache] of demo.caches) registerDemoCache(id, cache);
  demoObserve();
}

function registerDemoCache(id, cache) {
  demo.monitor.registerCache({
    id,
    type: cache.type,
    bytes: () => cache.buffers.length * MIB,
    evict: (bytes) => {
      let freed = 0;
      while (freed < bytes && cache.buffers.length > 0) freed += cache.buffers.shift().byteLength;
      return freed;
    },
  });
}

function addDemoCache() {
  const id = $("demo-id").value.trim() || "cache";
  const cache = demo.caches.get(id) ?? { type: $("demo-type").value, buffers: [] };
  const size = Number($("demo-size").value);
  for (let i = 0; i < size; i++) cache.buffers.push(new ArrayBuffer(MIB));
  if (!demo.caches.has(id)) {
    demo.caches.set(id, cache);
    registerDemoCache(id, cache);
  }
  demoObserve();
}

function renderDemoCaches() {
  const rows = [...demo.caches].map(([id, cache]) => {
    const row = el("tr");
    const grow = el("button", null, "grow +16 MiB");
    grow.type = "button";
    grow.addEventListener("click", () => {
      for (let i = 0; i < 16; i++) cache.buffers.push(new ArrayBuffer(MIB));
      demo.monitor.touch(id);
      demoObserve();
    });
    const actions = el("td");
    actions.append(grow);
    row.append(el("td", null, id), el("td", null, cache.type), el("td", null, formatBytes(cache.buffers.length * MIB)), actions);
    return row;
  });
  $("demo-caches").replaceChildren(...rows);
}

// --- Replay --------------------------------------------------------------------------------

const replayView = { panel: new Panel($("replay-panel")) };

function replayText(text, name) {
  const error = $("replay-error");
  error.hidden = true;
  let log;
  try {
    log = replay(text, profile());
  } catch (e) {
    error.hidden = false;
    error.textContent = `${name}: ${e.message}`;
    $("replay-summary").textContent = "";
    return;
  }
  const events = log.trim() === "" ? [] : log.trim().split("\n").map((line) => JSON.parse(line));

  // The chart: usage of every sample, with the level the decision log gives at that time.
  const samples = [];
  text.split(/\r?\n/).slice(1).forEach((line) => {
    if (line.trim() === "") return;
    const record = JSON.parse(line);
    if (record.cache === undefined) samples.push(record);
  });
  const changes = events.filter((e) => e.event === "level");
  let level = "normal";
  let next = 0;
  const points = samples.map((s) => {
    while (next < changes.length && changes[next].t_ms <= s.t_ms) level = changes[next++].to;
    return { t_ms: s.t_ms, usage: (s.total - s.available) / s.total, level };
  });

  const config = new PressureMonitor(profile()).config();
  const panel = replayView.panel;
  panel.setThresholds(config.thresholds);
  panel.setHistory(points);
  const last = points.at(-1);
  panel.setLevel(last?.level, last?.usage);
  panel.setFacts([["trace", name], ["samples", String(points.length)]]);
  panel.renderEvents(events);
  const evictions = events.filter((e) => e.event === "evict").length;
  const alerts = events.filter((e) => e.event === "alert").length;
  $("replay-summary").textContent =
    `${name}: ${points.length} samples, ${changes.length} level changes, ${evictions} evictions, ${alerts} alerts (profile ${config.profile})`;
  replayView.last = { text, name };
}

async function loadTraceList() {
  try {
    const response = await fetch("traces/index.json");
    if (!response.ok) return;
    for (const name of await response.json()) {
      const option = el("option", null, name);
      option.value = name;
      $("replay-pick").append(option);
    }
  } catch {
    // No bundled traces: files can still be chosen or dropped.
  }
}

async function pickTrace() {
  const name = $("replay-pick").value;
  if (!name) return;
  const response = await fetch(`traces/${encodeURIComponent(name)}`);
  replayText(await response.text(), name);
}

function wireReplay() {
  $("replay-pick").addEventListener("change", pickTrace);
  $("replay-file").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    if (file) replayText(await file.text(), file.name);
  });
  const drop = $("replay-drop");
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", async (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    const file = e.dataTransfer.files[0];
    if (file) replayText(await file.text(), file.name);
  });
}

// --- This machine (when served by `mempressure serve`) -------------------------------------

const native = { panel: null };

async function pollNative() {
  let status;
  try {
    const response = await fetch("status", { cache: "no-store" });
    if (!response.ok || !response.headers.get("content-type")?.includes("json")) return false;
    status = await response.json();
  } catch {
    return false;
  }

  $("native").hidden = false;
  native.panel ??= new Panel($("native-panel"));
  const panel = native.panel;
  panel.setThresholds(status.config.thresholds);
  const notice = $("native-notice");
  notice.hidden = status.status === "ok";
  notice.textContent = status.status === "ok" ? "" : `memory is ${status.status}: ${status.error ?? "no sample yet"}`;
  $("native-source").textContent = status.source ? `(${status.source}${status.cgroup_path ? ` ${status.cgroup_path}` : ""}, profile ${status.config.profile})` : "";
  panel.setLevel(status.current_level, status.usage);
  const facts = [
    ["available", `${formatBytes(status.available_bytes)} of ${formatBytes(status.total_bytes)}`],
    ["server process", formatBytes(status.process_bytes)],
    ["machine", `${formatBytes(status.host_available_bytes)} available of ${formatBytes(status.host_total_bytes)}`],
    ["time to exhaustion", status.seconds_to_exhaustion == null ? "not rising" : `${Math.round(status.seconds_to_exhaustion)} s at the current trend`],
    ["memory stall (PSI)", status.psi_some_avg10 == null ? "not reported here" : `some ${status.psi_some_avg10.toFixed(2)}%, full ${(status.psi_full_avg10 ?? 0).toFixed(2)}%`],
    ["stall trigger", status.stall_trigger],
    ["sampling failures", String(status.sample_failures)],
  ];
  panel.setFacts(facts);
  panel.setHistory(status.history);
  panel.renderCaches(status.caches_by_type);
  panel.renderEvents(status.recent_events);
  document.body.dataset.nativeUpdated = String(Date.now());
  return true;
}

async function startNative() {
  if (!(await pollNative())) return;
  setInterval(pollNative, 1000);
}

// --- Wiring --------------------------------------------------------------------------------

profileSelect.addEventListener("change", () => {
  startLive();
  startDemo();
  if (replayView.last) replayText(replayView.last.text, replayView.last.name);
});
$("demo-add").addEventListener("click", addDemoCache);
$("demo-budget").addEventListener("change", demoObserve);
wireReplay();
startLive();
startDemo();
loadTraceList();
startNative();
document.body.dataset.ready = "true";
