/** The README's opening example (examples/quickstart.ts) runs as published. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

describe("the README example", () => {
  it("logs a release, verifies the log and checks an offline proof", () => {
    const script = fileURLToPath(new URL("../examples/quickstart.js", import.meta.url));
    assert.equal(execFileSync(process.execPath, [script], { encoding: "utf8" }), "release is entry 0 of 1\n");
  });
});
