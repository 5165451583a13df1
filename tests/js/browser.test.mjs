// The installed npm package in a page in headless Chromium (Debian's), driven by
// playwright-core: import it as a page would, watch levels, evict caches in priority
// order, and sample performance.memory with the right quality.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { after, before, test } from "node:test";

import { chromium } from "playwright-core";

const app = process.env.MEMPRESSURE_APP;
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".json": "application/json" };

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8">
<script type="importmap">{"imports": {"mempressure": "/node_modules/mempressure/index.js"}}</script>
</head><body>
<script type="module">
import { PressureMonitor, capability } from "mempressure";
const MIB = 1 << 20;
const result = { capability: capability(), levels: [], evictions: [] };
const monitor = new PressureMonitor({ scoring: { type_priorities: { thumbnails: 3 } } });
const caches = {};
for (const [id, type] of [["thumbs", "thumbnails"], ["frames", "frame_cache"]]) {
  const buffers = Array.from({ length: 20 }, () => new ArrayBuffer(MIB));
  caches[id] = buffers;
  monitor.registerCache({ id, type, bytes: () => buffers.length * MIB, evict: (bytes) => {
    let freed = 0;
    while (freed < bytes && buffers.length) freed += buffers.shift().byteLength;
    return freed;
  } });
}
monitor.on("level", (e) => result.levels.push(e.to));
monitor.on("evict", (e) => result.evictions.push(e.requests.map((r) => r.cache)));
let t = 0;
for (const used of [0.5, 0.76, 0.85, 0.97]) {
  monitor.observe({ t_ms: (t += 1000), total: 1 << 30, available: Math.round((1 << 30) * (1 - used)) });
}
result.left = { thumbs: caches.thumbs.length, frames: caches.frames.length };
result.sample = monitor.sampleNow()[0];
window.__result = result;
</script></body></html>`;

let server;
let browser;
let origin;

before(async () => {
  server = createServer(async (request, response) => {
    const url = new URL(request.url, "http://localhost");
    // Pages under /isolated/ are cross-origin isolated: precise performance.memory.
    const isolated = url.pathname.startsWith("/isolated/");
    const path = isolated ? url.pathname.slice("/isolated".length) : url.pathname;
    const headers = isolated
      ? { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" }
      : {};
    try {
      const body = path === "/" ? PAGE : await readFile(join(app, normalize(path)));
      const type = path === "/" ? "text/html" : TYPES[extname(path)] ?? "application/octet-stream";
      response.writeHead(200, { "Content-Type": type, ...headers });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-sync",
    ],
  });
});

after(async () => {
  await browser?.close();
  server?.close();
});

async function run(path) {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(origin + path);
  await page.waitForFunction(() => window.__result !== undefined || null, null, { timeout: 20000 }).catch(() => {});
  const result = await page.evaluate(() => window.__result);
  await page.close();
  assert.deepEqual(errors, []);
  return result;
}

test("a page imports the package, watches levels and evicts in priority order", async () => {
  const result = await run("/");
  // The last sample (the heap itself, nearly empty) brings it back to normal.
  assert.deepEqual(result.levels, ["warning", "critical", "emergency", "normal"]);
  assert.deepEqual(result.evictions[0], ["thumbs"]);
  assert.equal(result.left.frames + result.left.thumbs < 40, true);
  assert.ok(result.left.thumbs < result.left.frames, JSON.stringify(result.left));
});

test("performance.memory is coarse on a plain page", async () => {
  const result = await run("/");
  assert.equal(result.capability, "coarse");
  assert.equal(result.sample.quality, "coarse");
  assert.ok(result.sample.total > result.sample.available && result.sample.available > 0);
});

test("performance.memory is precise on a cross-origin isolated page", async () => {
  const result = await run("/isolated/");
  assert.equal(result.capability, "precise");
  assert.equal(result.sample.quality, "precise");
});
