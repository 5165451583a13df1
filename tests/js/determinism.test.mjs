// Cross-target determinism: every trace of the repository replayed natively (the
// `mempressure` binary) and in wasm (the installed npm package under Node) gives the same
// decision log, byte for byte.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

const repo = process.env.MEMPRESSURE_REPO;
const bin = process.env.MEMPRESSURE_BIN;
const { replay } = await import(
  join(process.env.MEMPRESSURE_APP, "node_modules/mempressure/node.js"),
);

const tracesDir = join(repo, "tests/traces");
const traces = readdirSync(tracesDir).filter((f) => f.endsWith(".jsonl")).sort();
const scratch = mkdtempSync(join(tmpdir(), "mempressure-determinism-"));

function native(path, profile) {
  return execFileSync(bin, ["replay", path, "--json", "--profile", profile], {
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
}

/** The trace with caches registered and growing along it, so that evictions happen. */
function withCaches(text) {
  const [header, ...lines] = text.trimEnd().split("\n");
  const out = [header];
  const types = ["frame_cache", "validation_cache", "resize_cache", "thumbnails"];
  lines.forEach((line, i) => {
    out.push(line);
    if (i % 40 === 0) {
      const t = JSON.parse(line).t_ms;
      const id = `cache-${i % 7}`;
      const bytes = (i * 7919) % (64 << 20);
      const cache = { id, type: types[i % 4], bytes, access_count: i % 5, last_access_ms: t };
      out.push(JSON.stringify({ t_ms: t, cache }));
    }
  });
  return out.join("\n") + "\n";
}

for (const name of traces) {
  for (const profile of ["default", "low_memory"]) {
    test(`${name} (${profile}): native and wasm logs are identical`, () => {
      const path = join(tracesDir, name);
      const wasm = replay(readFileSync(path, "utf8"), profile);
      assert.ok(wasm.length > 0);
      assert.equal(wasm, native(path, profile));
    });
  }

  test(`${name} with the trend, PSI levels and relief checks: identical`, () => {
    const text = withCaches(readFileSync(join(tracesDir, name), "utf8"));
    const path = join(scratch, `reacting-${name}`);
    writeFileSync(path, text);
    const config = join(scratch, "reacting.toml");
    writeFileSync(
      config,
      '[trend]\nenabled = true\n[psi]\nwarning = 10.0\n[relief]\nenabled = true\nwindow = "2s"\n',
    );
    const wasm = replay(text, {
      trend: { enabled: true },
      psi: { warning: 10.0 },
      relief: { enabled: true, window: "2s" },
    });
    const native = execFileSync(bin, ["replay", path, "--json", "--config", config], {
      encoding: "utf8",
      maxBuffer: 64 << 20,
    });
    assert.equal(wasm, native);
  });

  test(`${name} with caches: native and wasm evict identically`, () => {
    const text = withCaches(readFileSync(join(tracesDir, name), "utf8"));
    const path = join(scratch, name);
    writeFileSync(path, text);
    const wasm = replay(text, "low_memory");
    assert.match(wasm, /"event":"evict"/);
    assert.equal(wasm, native(path, "low_memory"));
  });
}
