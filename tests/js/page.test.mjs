// The status page end to end: `mempressure serve` on a free loopback port, the page in
// Debian's headless Chromium driven by playwright-core. A screenshot is saved to
// target/status-page.png (not committed).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { chromium } from "playwright-core";

const repo = process.env.MEMPRESSURE_REPO;
const XSS = '<img src=x onerror="window.__xss=1">';

let server;
let url;
let browser;
let page;
const problems = [];

before(async () => {
  server = spawn(process.env.MEMPRESSURE_BIN, [
    "serve", "--addr", "127.0.0.1:0", "--interval", "300ms", "--www", join(repo, "www/dist"),
  ], { stdio: ["ignore", "pipe", "inherit"] });
  url = await new Promise((resolve, reject) => {
    let out = "";
    server.stdout.on("data", (chunk) => {
      out += chunk;
      const found = out.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (found) resolve(found[0]);
    });
    server.on("exit", (code) => reject(new Error(`mempressure serve exited with ${code}: ${out}`)));
  });

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
      "--disable-component-update", "--no-first-run", "--disable-sync"],
  });
  page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("dialog", (d) => { problems.push(`dialog: ${d.message()}`); d.dismiss(); });
  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]");
});

after(async () => {
  if (page) await page.screenshot({ path: join(repo, "target/status-page.png"), fullPage: true });
  await browser?.close();
  server?.kill("SIGINT");
});

test("the native view shows this machine live, as /status says", async () => {
  await page.waitForSelector("#native:not([hidden])");
  // Wait for a few samples on the chart.
  await page.waitForFunction(() => document.querySelectorAll("#native-panel .u-over").length === 1);
  const status = await (await fetch(url + "status")).json();
  assert.equal(status.status, "ok");
  assert.ok(status.history.length >= 1);

  const badge = await page.textContent("#native-panel .badge");
  assert.equal(badge, status.current_level);
  const facts = await page.textContent("#native-panel .facts");
  const gib = (b) => (b / 2 ** 30).toFixed(2);
  assert.ok(facts.includes(`of ${gib(status.total_bytes)} GiB`), facts);
  assert.ok((await page.textContent("#native-source")).includes(status.source));

  // The chart is fed: uPlot draws a canvas with data for every sample in the history.
  const points = await page.evaluate(() => document.querySelector("#native-panel .chart canvas") !== null);
  assert.ok(points);
});

test("the tab's own heap is shown where the browser reports it", async () => {
  await page.waitForFunction(() => document.querySelector("#live-panel .badge").textContent !== "no data");
  const badge = await page.textContent("#live-panel .badge");
  assert.ok(["normal", "warning", "critical", "emergency"].includes(badge));
  assert.ok((await page.textContent("#live-panel .facts")).includes("coarse"));
});

test("replaying a recorded trace shows its level changes in the events log", async () => {
  await page.selectOption("#replay-pick", "05-cgroup-512m-ramp-spike.jsonl");
  await page.waitForFunction(() => document.querySelectorAll("#replay-panel .events li").length > 0);
  const log = await page.$$eval("#replay-panel .events li.level", (items) => items.map((i) => i.textContent).reverse());
  assert.match(log[0], /^19\.7s {2}level normal -> warning/);
  assert.match(log[1], /^22\.1s {2}level warning -> critical/);
  assert.match(log[2], /^28\.2s {2}level critical -> emergency/);
  assert.ok((await page.textContent("#replay-summary")).includes("6 level changes"));
});

test("a broken trace is shown with its line number", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mempressure-page-"));
  const file = join(dir, "broken.jsonl");
  writeFileSync(file, '{"format":"mempressure-trace","version":1}\n{"t_ms":0,"total":10,"available":5}\n{"t_ms":5}\n');
  await page.setInputFiles("#replay-file", file);
  await page.waitForSelector("#replay-error:not([hidden])");
  const error = await page.textContent("#replay-error");
  assert.ok(error.includes("broken.jsonl: line 3: missing field `total`"), error);
});

test("cache ids from data are shown as text, never as HTML", async () => {
  // From the demo's form...
  await page.fill("#demo-id", XSS);
  await page.click("#demo-add");
  const cell = await page.textContent("#demo-caches td");
  assert.equal(cell, XSS);

  // ... and from a trace file's contents.
  const dir = mkdtempSync(join(tmpdir(), "mempressure-page-"));
  const file = join(dir, "xss.jsonl");
  const cache = { id: XSS, type: "frame_cache", bytes: 104857600 };
  writeFileSync(file, [
    JSON.stringify({ format: "mempressure-trace", version: 1 }),
    JSON.stringify({ t_ms: 0, cache }),
    JSON.stringify({ t_ms: 1000, total: 1000, available: 10 }),
  ].join("\n") + "\n");
  await page.setInputFiles("#replay-file", file);
  await page.waitForFunction(() => document.querySelector("#replay-panel .events li.evict") !== null);
  const evict = await page.textContent("#replay-panel .events li.evict");
  assert.ok(evict.includes(XSS), evict);

  assert.equal(await page.locator("main img").count(), 0);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
});

test("the demo evicts the lowest-value cache first as pressure rises", async () => {
  await page.selectOption("#demo-budget", "256");
  await page.fill("#demo-id", "frames");
  await page.selectOption("#demo-type", "frame_cache");
  await page.selectOption("#demo-size", "64");
  await page.click("#demo-add");
  await page.fill("#demo-id", "thumbs");
  await page.selectOption("#demo-type", "validation_cache");
  await page.selectOption("#demo-size", "64");
  await page.click("#demo-add");
  await page.click("#demo-add"); // 32 + 64 + 128 MiB of a 256 MiB budget: critical
  await page.waitForFunction(() => document.querySelector("#demo-panel .events li.evict") !== null);
  const evictions = await page.$$eval("#demo-panel .events li.evict", (items) => items.map((i) => i.textContent).reverse());
  // The first eviction names a validation cache (type priority 3) before the frames (1).
  assert.match(evictions[0], /\[(thumbs|<img[^\]]*) /);
  assert.ok(!evictions[0].includes("[frames"), evictions[0]);
});

test("the profile selector changes the thresholds shown", async () => {
  await page.selectOption("#profile", "low_memory");
  const text = await page.textContent("#thresholds");
  assert.equal(text, "low_memory: warning 50.00%, critical 65.00%, emergency 80.00%");
});

test("the page raised no console errors and the server sends a CSP", async () => {
  const response = await fetch(url);
  const csp = response.headers.get("content-security-policy");
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
  assert.ok(!csp.includes("unsafe-inline"));
  assert.deepEqual(problems, []);
});
