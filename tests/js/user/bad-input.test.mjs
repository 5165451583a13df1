// The JavaScript rows of tests/bad-input.json (see docs/BAD_INPUT.md): each call throws an
// Error whose message contains the documented text.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import * as api from "mempressure";

const table = JSON.parse(
  readFileSync(`${process.env.MEMPRESSURE_REPO}/tests/bad-input.json`, "utf8"),
);

for (const row of table.js) {
  test(`${row.kind}: ${row.what}`, () => {
    const monitor = new api.PressureMonitor();
    const names = ["monitor", ...Object.keys(api)];
    const call = new Function(...names, `return ${row.call};`);
    assert.throws(
      () => call(monitor, ...Object.values(api)),
      (error) => {
        assert.ok(error instanceof Error, `${row.call} threw ${error}`);
        assert.ok(error.message.includes(row.error), `${error.message} lacks ${row.error}`);
        return true;
      },
    );
    monitor.stop();
  });
}
