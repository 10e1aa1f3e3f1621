/** Release entries: the canonical bytes, the lossless round trip, and a table of refusals. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { UsageError } from "@bulwark/tuf";
import {
  formatReleaseEntry,
  MAX_RELEASE_ENTRY_SIZE,
  parseReleaseEntry,
  RELEASE_ENTRY_TYPE,
  type ReleaseEntry,
  releaseEntryFor,
  releaseEntryFromJson,
  TLOG_ERRORS,
  TlogError,
} from "../src/index.js";

const HEX = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const TARGETS_HEX = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752";
const ENTRY: ReleaseEntry = {
  name: "app",
  version: "1.2.0",
  path: "app/app-1.2.0.tar.gz",
  sha256: HEX,
  length: 1234,
  targets: { role: "targets", version: 7, sha256: TARGETS_HEX },
};
const enc = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("release entries", () => {
  it("are canonical JSON: sorted keys, no white space, the type first among equals", () => {
    assert.equal(
      text(formatReleaseEntry(ENTRY)),
      `{"length":1234,"name":"app","path":"app/app-1.2.0.tar.gz","sha256":"${HEX}","targets":{"role":"targets","sha256":"${TARGETS_HEX}","version":7},"type":"${RELEASE_ENTRY_TYPE}","version":"1.2.0"}`,
    );
  });

  it("round-trip losslessly, unknown fields at both levels included (even __proto__)", () => {
    const canonical = text(formatReleaseEntry(ENTRY))
      .replace("{", `{"__proto__":"kept","channel":"stable",`)
      .replace(`"targets":{`, `"targets":{"delegatedBy":"targets",`);
    const parsed = parseReleaseEntry(enc(canonical));
    assert.equal(text(formatReleaseEntry(parsed)), canonical);
    assert.equal(parsed.unrecognized?.channel, "stable");
    assert.ok(Object.hasOwn(parsed.unrecognized ?? {}, "__proto__"));
    assert.equal(parsed.targets.unrecognized?.delegatedBy, "targets");
    assert.deepEqual(releaseEntryFromJson(JSON.parse(canonical)).targets.role, "targets");
  });

  const canonical = text(formatReleaseEntry(ENTRY));
  const refused: ReadonlyArray<[string, string]> = [
    ["white space (not canonical)", canonical.replace(",", ", ")],
    [
      "keys out of order (not canonical)",
      canonical.replace(`{"length":1234,"name":"app",`, `{"name":"app","length":1234,`),
    ],
    ["a duplicate key", canonical.replace(`{"length":1234,`, `{"length":1,"length":1234,`)],
    ["another type", canonical.replace(RELEASE_ENTRY_TYPE, "bulwark.dev/other@v1")],
    ["no type", canonical.replace(`"type":"${RELEASE_ENTRY_TYPE}",`, "")],
    ["an uppercase digest", canonical.replace(HEX, HEX.toUpperCase())],
    ["a short digest", canonical.replace(HEX, HEX.slice(2))],
    ["a negative length", canonical.replace("1234", "-1")],
    ["a float length", canonical.replace("1234", "1234.0")],
    ["a length past 2^53", canonical.replace("1234", "9007199254740993")],
    ["an empty name", canonical.replace(`"name":"app"`, `"name":""`)],
    ["a control character in the path", canonical.replace("app/app", "app\\napp")],
    ["targets version 0", canonical.replace(`"version":7`, `"version":0`)],
    ["targets that is an array", canonical.replace(/"targets":\{[^}]*\}/, `"targets":[]`)],
    ["an array", "[]"],
    ["not JSON", "{"],
    ["invalid UTF-8", "\uFFFD"],
    ["too large", `${canonical}${" ".repeat(MAX_RELEASE_ENTRY_SIZE)}`],
  ];
  for (const [what, body] of refused) {
    it(`refuses ${what}`, () => {
      const bytes = what === "invalid UTF-8" ? new Uint8Array([0x7b, 0xff, 0x7d]) : enc(body);
      assert.throws(
        () => parseReleaseEntry(bytes),
        (e: unknown) => e instanceof TlogError && e.code === TLOG_ERRORS.BAD_ENTRY,
      );
    });
  }

  it("are made from a target and the targets metadata that lists it", () => {
    const metadata = enc('{"signed":{}}');
    const entry = releaseEntryFor(
      { name: "app", version: "1.2.0" },
      { path: ENTRY.path, length: 1234, sha256: HEX.toUpperCase() },
      { role: "targets", version: 7, metadata },
    );
    assert.equal(entry.sha256, HEX);
    assert.equal(entry.targets.sha256, createHash("sha256").update(metadata).digest("hex"));
  });

  it("will not format an invalid entry", () => {
    assert.throws(() => formatReleaseEntry({ ...ENTRY, sha256: "nope" }), UsageError);
  });
});
