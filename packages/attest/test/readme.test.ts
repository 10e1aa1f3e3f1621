/** The README opens with a runnable example: run it, so it stays runnable. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

// dist/test/readme.test.js -> packages/attest
const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

describe("README", () => {
  it("the opening example runs: two of three builders agree, and the 3CX-style build is refused", () => {
    const readme = readFileSync(path.join(packageDir, "README.md"), "utf8");
    const example = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(example, "the README has a js example");
    // Inside the package, so that "@bulwark/attest" resolves through the workspace link.
    const file = path.join(packageDir, "dist", "readme-example.mjs");
    writeFileSync(file, example);
    try {
      const out = execFileSync(process.execPath, [file], { encoding: "utf8" });
      assert.match(out, /^agreed: https:\/\/ci\.example\.com, https:\/\/rebuild\.partner\.example$/m);
      assert.match(out, /^ATTEST_NO_QUORUM - .*agreed: https:\/\/rebuilderd\.example; disagreed: /m);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
