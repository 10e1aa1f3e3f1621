/** Release-change entries: canonical bytes, round trip, refusals, and release entries unchanged beside them. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  formatLogEntry,
  formatReleaseChangeEntry,
  formatReleaseEntry,
  parseLogEntry,
  RELEASE_CHANGE_ENTRY_TYPE,
  type ReleaseChangeEntry,
  type ReleaseEntry,
  TLOG_ERRORS,
  TlogError,
} from "../src/index.js";

const HEX = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const TARGETS_HEX = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752";
const RELEASE: ReleaseEntry = {
  name: "app",
  version: "1.2.0",
  path: "app/app-1.2.0.tar.gz",
  sha256: HEX,
  length: 1234,
  targets: { role: "targets", version: 9, sha256: TARGETS_HEX },
};
const REVOKE: ReleaseChangeEntry = {
  ...RELEASE,
  change: { kind: "revoke", at: "2025-01-02T03:04:05Z", reason: "CVE" },
};
const enc = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("release-change entries", () => {
  it("are canonical JSON with the change beside the release's fields", () => {
    assert.equal(
      text(formatReleaseChangeEntry(REVOKE)),
      `{"change":"revoke","length":1234,"name":"app","path":"app/app-1.2.0.tar.gz","revoked":{"at":"2025-01-02T03:04:05Z","reason":"CVE"},"sha256":"${HEX}","targets":{"role":"targets","sha256":"${TARGETS_HEX}","version":9},"type":"${RELEASE_CHANGE_ENTRY_TYPE}","version":"1.2.0"}`,
    );
    const rollout: ReleaseChangeEntry = { ...RELEASE, change: { kind: "rollout", percent: 50 } };
    assert.match(text(formatReleaseChangeEntry(rollout)), /"change":"rollout",.*"rollout":\{"percent":50\}/);
  });

  it("round-trip through parseLogEntry, which reads release entries unchanged too", () => {
    for (const entry of [
      { kind: "change" as const, entry: REVOKE },
      { kind: "change" as const, entry: { ...RELEASE, change: { kind: "rollout" as const, percent: 0 } } },
      { kind: "release" as const, entry: RELEASE },
    ]) {
      const bytes = formatLogEntry(entry);
      const parsed = parseLogEntry(bytes);
      assert.equal(parsed.kind, entry.kind);
      assert.deepEqual(formatLogEntry(parsed), bytes);
    }
    assert.deepEqual(formatLogEntry({ kind: "release", entry: RELEASE }), formatReleaseEntry(RELEASE));
  });

  const canonical = text(formatReleaseChangeEntry(REVOKE));
  const refused: ReadonlyArray<[string, string]> = [
    ["not canonical", canonical.replace(",", ", ")],
    ["a change without its data", canonical.replace(/"revoked":\{[^}]*\},/, "")],
    ["a rollout change with revocation data", canonical.replace('"change":"revoke"', '"change":"rollout"')],
    ["an unknown change", canonical.replace('"change":"revoke"', '"change":"unrevoke"')],
    [
      "a percent over 100",
      canonical
        .replace('"change":"revoke"', '"change":"rollout"')
        .replace(/"revoked":\{[^}]*\}/, '"rollout":{"percent":101}'),
    ],
    ["an unknown field in revoked", canonical.replace('"at":', '"by":"x","at":')],
  ];
  for (const [what, bytes] of refused) {
    it(`refuses ${what}`, () => {
      assert.throws(
        () => parseLogEntry(enc(bytes)),
        (e: unknown) => e instanceof TlogError && e.code === TLOG_ERRORS.BAD_ENTRY,
      );
    });
  }
});
