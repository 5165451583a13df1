// The page's widgets: level badge, usage gauge, history chart, caches table, events log.
// Every string that comes from data is set with textContent, never as HTML.
import uPlot from "./vendor/uPlot.esm.js";

export const LEVELS = ["normal", "warning", "critical", "emergency"];
const BAND_COLORS = {
  warning: "rgba(249, 168, 37, 0.18)",
  critical: "rgba(239, 108, 0, 0.22)",
  emergency: "rgba(198, 40, 40, 0.25)",
};

/** Creates an element with a class and text. */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = String(text);
  return node;
}

/** Bytes in binary units: 512 B, 1.50 KiB, 23.54 GiB. */
export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined) return "unknown";
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(2)} ${units[unit]}`;
}

export const percent = (usage) => `${(usage * 100).toFixed(2)}%`;
const seconds = (tMs) => `${(tMs / 1000).toFixed(1)}s`;

/** One line of text for an event (level, evict, alert, error). */
export function describeEvent(e) {
  switch (e.event) {
    case "level": {
      const why = { trend: " (trend: exhaustion predicted)", psi: " (stall pressure)" }[e.reason] ?? "";
      return `${seconds(e.t_ms)}  level ${e.from} -> ${e.to} at ${percent(e.usage)} used${why}`;
    }
    case "relief":
      return `${seconds(e.t_ms)}  relief ${e.relieved ? "seen" : "NOT seen"} after the eviction at ${seconds(e.eviction_t_ms)}: freed ${formatBytes(e.freed_bytes)}, usage fell ${formatBytes(e.usage_drop_bytes)}`;
    case "evict": {
      const requests = e.requests
        .map((r) => `${r.cache} ${formatBytes(r.freed_bytes ?? r.bytes)}${r.error ? ` (${r.error})` : ""}`)
        .join(", ");
      const dry = e.dry_run ? " (dry run)" : "";
      return `${seconds(e.t_ms)}  evict ${e.level}${dry}: asked ${formatBytes(e.target_bytes)}, freed ${formatBytes(e.freed_bytes)} [${requests}]`;
    }
    case "alert":
      return `${seconds(e.t_ms)}  ALERT ${e.level} at ${percent(e.usage)} used: ${formatBytes(e.available_bytes)} of ${formatBytes(e.total_bytes)} available`;
    case "error":
      return `${seconds(e.t_ms)}  error: ${e.message}`;
    default:
      return `${seconds(e.t_ms ?? 0)}  ${e.event}`;
  }
}

/** The widgets of one view, laid into `root`. */
export class Panel {
  constructor(root) {
    root.replaceChildren();
    const summary = el("div", "summary");
    this.badge = el("span", "badge unknown", "no data");
    this.usage = el("div", "usage", "");
    this.gauge = el("div", "gauge");
    this.fill = el("div", "fill");
    this.gauge.append(this.fill);
    this.marks = LEVELS.slice(1).map((level) => {
      const mark = el("div", `mark ${level}`);
      mark.title = `${level} threshold`;
      this.gauge.append(mark);
      return mark;
    });
    this.facts = el("dl", "facts");
    summary.append(this.badge, this.usage, this.gauge, this.facts);

    this.chartBox = el("div", "chart");
    this.caches = el("table", "caches");
    this.events = el("ol", "events");
    const cachesBox = el("div", "wide");
    cachesBox.append(el("h3", null, "Caches by type"), this.caches);
    const eventsBox = el("div", "wide");
    eventsBox.append(el("h3", null, "Events"), this.events);
    root.append(summary, this.chartBox, cachesBox, eventsBox);

    this.thresholds = { warning: 0.7, critical: 0.8, emergency: 0.95 };
    this.chart = null;
    this.renderCaches({});
  }

  /** Shows the thresholds on the gauge and the chart. */
  setThresholds(thresholds) {
    this.thresholds = thresholds;
    this.marks.forEach((mark, i) => {
      mark.style.left = `calc(${thresholds[LEVELS[i + 1]] * 100}% - 1px)`;
    });
    if (this.points) this.setHistory(this.points);
  }

  /** Level badge, usage text and gauge. */
  setLevel(level, usage) {
    this.badge.className = `badge ${level ?? "unknown"}`;
    this.badge.textContent = level ?? "no data";
    this.usage.textContent = usage === null || usage === undefined ? "" : `${percent(usage)} used`;
    this.fill.style.width = `${Math.min(1, Math.max(0, usage ?? 0)) * 100}%`;
  }

  /** Key/value facts below the gauge. */
  setFacts(pairs) {
    this.facts.replaceChildren();
    for (const [key, value] of pairs) this.facts.append(el("dt", null, key), el("dd", null, value));
  }

  /** The history chart: usage over time with threshold lines and level bands. */
  setHistory(points) {
    this.points = points;
    const xs = points.map((p) => p.t_ms / 1000);
    const usage = points.map((p) => p.usage * 100);
    const lines = LEVELS.slice(1).map((level) => points.map(() => this.thresholds[level] * 100));
    const data = [xs, usage, ...lines];
    this.levels = points.map((p) => p.level);
    if (!this.chart) {
      this.chart = this.makeChart(data);
    } else {
      this.chart.setData(data);
    }
  }

  makeChart(data) {
    const panel = this;
    const width = Math.max(300, this.chartBox.clientWidth || 600);
    const thresholdSeries = (level, stroke) => ({ label: level, stroke, dash: [6, 4], width: 1, points: { show: false } });
    const options = {
      width,
      height: 220,
      scales: { x: { time: false }, y: { range: [0, 100] } },
      axes: [{ label: "seconds" }, { label: "% used" }],
      series: [
        {},
        { label: "usage", stroke: "#37474f", width: 2, points: { show: false } },
        thresholdSeries("warning", "#f9a825"),
        thresholdSeries("critical", "#ef6c00"),
        thresholdSeries("emergency", "#c62828"),
      ],
      hooks: {
        // Level bands: the time spent at each level above normal, behind the lines.
        drawClear: [
          (u) => {
            const xs = u.data[0];
            if (!panel.levels || xs.length < 2) return;
            const { ctx } = u;
            const { top, height } = u.bbox;
            for (let i = 0; i < xs.length - 1; i++) {
              const color = BAND_COLORS[panel.levels[i]];
              if (!color) continue;
              const left = u.valToPos(xs[i], "x", true);
              const right = u.valToPos(xs[i + 1], "x", true);
              ctx.fillStyle = color;
              ctx.fillRect(left, top, Math.max(1, right - left), height);
            }
          },
        ],
      },
    };
    return new uPlot(options, data, this.chartBox);
  }

  /** The caches table: type, bytes, count, average. */
  renderCaches(byType) {
    const head = el("tr");
    for (const name of ["type", "bytes", "count", "average"]) head.append(el("th", null, name));
    const rows = Object.entries(byType).map(([type, b]) => {
      const row = el("tr");
      row.append(el("td", null, type), el("td", null, formatBytes(b.bytes)), el("td", null, b.count), el("td", null, formatBytes(b.average_bytes)));
      return row;
    });
    if (rows.length === 0) {
      const row = el("tr");
      const cell = el("td", null, "no caches registered");
      cell.colSpan = 4;
      row.append(cell);
      rows.push(row);
    }
    this.caches.replaceChildren(head, ...rows);
  }

  /** The events log, newest first. */
  renderEvents(events) {
    const items = events.slice().reverse().map((e) => el("li", e.event, describeEvent(e)));
    this.events.replaceChildren(...items);
  }
}
