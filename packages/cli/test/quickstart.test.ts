/** `npm start`: the narrated quickstart exits 0 only when every scene goes as expected. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCli } from "./helpers.js";

describe("bulwark quickstart", () => {
  it("plays every scene as expected, the transparency and 3CX scenes included", async () => {
    const run = await runCli(["quickstart", "--json"]);
    assert.equal(run.code, 0, run.stdout);
    const { ok, scenes } = run.json<{
      ok: boolean;
      scenes: Array<{ scene: string; expected: string; actual: string }>;
    }>();
    assert.equal(ok, true);
    assert.deepEqual(
      scenes.map((s) => [s.scene, s.actual]),
      [
        ["install 1.0.0", "accepted"],
        ["update to 1.1.0", "accepted"],
        ["swapped 1.1.0 bytes", "refused"],
        ["older snapshot served", "refused"],
        ["unsigned 9.9.9", "refused"],
        ["revoke 1.1.0", "rolled back"],
        ["stolen keys, not logged", "refused"],
        ["monitor: vendor's releases", "consistent"],
        ["logged secret release", "reported"],
        ["private log extension", "refused"],
        ["C's build at publish", "refused"],
        ["A+B agree on 1.2.0", "accepted"],
        ["stolen keys list C's build", "refused"],
      ],
    );
  });
});
