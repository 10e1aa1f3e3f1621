/**
 * staged/state.json, the working state between commands: any bytes either parse into a
 * state or are refused as CORRUPT_FILE naming the file (never another error, never an
 * empty state), and every state written reads back as it was.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { PublisherError } from "../src/errors.js";
import { parseStagedState, type StagedState } from "../src/store/staged-state.js";

const sha256 = fc.stringMatching(/^[0-9a-f]{64}$/);
const version = fc.integer({ min: 1, max: 2 ** 40 });
const state: fc.Arbitrary<StagedState> = fc.record(
  {
    added: fc.array(fc.record({ path: fc.string({ minLength: 1 }), sha256, length: fc.nat() })),
    resign: fc.array(fc.string()),
    base: fc.record({
      snapshot: fc.oneof(
        fc.constant("snapshot.json"),
        version.map((v) => `${v}.snapshot.json`),
      ),
      timestampVersion: version,
      snapshotVersion: version,
      roles: fc.dictionary(
        fc.string({ minLength: 1 }).filter((k) => k !== "__proto__"),
        version,
      ),
    }),
  },
  { requiredKeys: ["added", "resign"] },
);

function refusal(bytes: Uint8Array): PublisherError | undefined {
  try {
    parseStagedState("/repo", bytes);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof PublisherError, String(error));
    return error;
  }
}

describe("staged/state.json", () => {
  it("reads back every state written", () => {
    fc.assert(
      fc.property(state, (s) => {
        const written = JSON.stringify(s, null, 2);
        assert.deepEqual(parseStagedState("/repo", Buffer.from(written)), JSON.parse(written));
      }),
    );
  });

  it("refuses any other bytes as CORRUPT_FILE naming the file, with the repair hint", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const error = refusal(bytes);
        if (error === undefined) return;
        assert.equal(error.code, "CORRUPT_FILE");
        assert.match(error.message, /^staged\/state\.json is corrupt: /);
        assert.match(error.hint ?? "", /bulwark repo repair \/repo/);
      }),
    );
  });

  for (const [attack, bytes] of [
    ["a truncated file", '{"added": [{"path": "app/1.0.0/a.tgz", "sha2'],
    [
      "a sha256 that is not hex (a path out of staged/targets/)",
      '{"added": [{"path": "a", "sha256": "../../etc/passwd", "length": 1}], "resign": []}',
    ],
    ["a negative length", `{"added": [{"path": "a", "sha256": "${"0".repeat(64)}", "length": -1}], "resign": []}`],
    [
      "a repair base naming a file that is not a snapshot",
      '{"added": [], "resign": [], "base": {"snapshot": "../bulwark.json", "timestampVersion": 1, "snapshotVersion": 1, "roles": {}}}',
    ],
    ["an unknown key", '{"added": [], "resign": [], "publishEverything": true}'],
  ] as const) {
    it(`refuses ${attack}`, () => {
      assert.equal(refusal(Buffer.from(bytes))?.code, "CORRUPT_FILE");
    });
  }
});
