/** The trail entry format: canonical bytes, strict parsing, and a property test of the parser. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  formatTrailEntry,
  MAX_TRAIL_ENTRY_SIZE,
  parseTrailEntry,
  TRAIL_ACTIONS,
  TRAIL_ACTOR_KINDS,
  TRAIL_ERRORS,
  type TrailEntry,
  TrailError,
} from "../src/index.js";
import { entry } from "./trail-fixtures.js";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe("trail entries", () => {
  it("formats the documented canonical JSON and parses it back", () => {
    const approved: TrailEntry = {
      actor: { kind: "user", id: "alice@example.org" },
      action: "release.approved",
      subject: { kind: "release", id: "acme/app@1.2.0" },
      time: new Date("2026-12-07T23:00:00.000Z"),
      details: { soakHours: 48 },
    };
    const bytes = formatTrailEntry(approved);
    assert.equal(
      dec(bytes),
      '{"action":"release.approved","actor":{"id":"alice@example.org","kind":"user"},' +
        '"details":{"soakHours":48},"subject":{"id":"acme/app@1.2.0","kind":"release"},' +
        '"time":"2026-12-07T23:00:00.000Z","type":"bulwark.dev/gateway-trail@v1"}',
    );
    assert.deepEqual(parseTrailEntry(bytes), approved);
  });

  const good = dec(formatTrailEntry(entry(1)));
  const refused: [string, string][] = [
    ["not JSON", "{"],
    ["not an object", "[]"],
    ["another type", good.replace("gateway-trail@v1", "gateway-trail@v2")],
    ["an unknown action", good.replace("release.verified", "release.teleported")],
    ["an unknown actor kind", good.replace('"kind":"system"', '"kind":"robot"')],
    ["an unknown field (this version cannot vouch for it)", good.replace('{"action"', '{"a":1,"action"')],
    ["an unknown actor field", good.replace('{"id":"poller"', '{"extra":1,"id":"poller"')],
    ["an empty actor id", good.replace('"id":"poller"', '"id":""')],
    ["a control character in an id", good.replace('"id":"poller"', '"id":"pol\\u001bler"')],
    ["a bad subject kind", good.replace('"kind":"release"', '"kind":"Release!"')],
    ["a time without milliseconds", good.replace(".001Z", "Z")],
    ["an impossible date", good.replace("2026-12-07", "2026-02-30")],
    ["details that are not an object", good.replace('"details":{"n":1}', '"details":[1]')],
    ["a float in details", good.replace('"details":{"n":1}', '"details":{"n":1.5}')],
    ["white space (not canonical)", good.replace('{"action"', '{ "action"')],
    ["a missing action", good.replace('"action":"release.verified",', "")],
    [
      "unsorted keys (not canonical)",
      good.replace(/^\{"action":"release\.verified",("actor":\{[^}]*\}),/, '{$1,"action":"release.verified",'),
    ],
    [
      "more than the size limit",
      good.replace('"details":{"n":1}', `"details":{"x":"${"a".repeat(MAX_TRAIL_ENTRY_SIZE)}"}`),
    ],
  ];
  for (const [what, text] of refused) {
    it(`refuses ${what}`, () => {
      assert.throws(
        () => parseTrailEntry(enc(text)),
        (e: unknown) => e instanceof TrailError && e.code === TRAIL_ERRORS.BAD_ENTRY,
      );
    });
  }

  it("refuses to format an invalid entry or one with a float", () => {
    assert.throws(() => formatTrailEntry({ ...entry(0), action: "nope" as TrailEntry["action"] }), {
      code: "TRAIL_USAGE",
    });
    assert.throws(() => formatTrailEntry({ ...entry(0), time: new Date(Number.NaN) }), { code: "TRAIL_USAGE" });
    assert.throws(() => formatTrailEntry({ ...entry(0), details: { ratio: 0.5 } }), { code: "TRAIL_USAGE" });
  });
});

const id = fc
  .string({ minLength: 1, maxLength: 40 })
  .filter((s) => [...s].every((c) => c > "\u009f" || (c >= " " && c < "\u007f")) && s.isWellFormed());
const jsonLeaf = fc.oneof(
  fc.boolean(),
  fc.constant(null),
  fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n }),
  fc.string(),
);
const anyEntry: fc.Arbitrary<TrailEntry> = fc.record({
  actor: fc.record({ kind: fc.constantFrom(...TRAIL_ACTOR_KINDS), id }),
  action: fc.constantFrom(...TRAIL_ACTIONS),
  subject: fc.record({ kind: fc.stringMatching(/^[a-z][a-z0-9-]{0,31}$/), id }),
  time: fc.date({ min: new Date(0), max: new Date("9999-12-31T23:59:59.999Z"), noInvalidDate: true }),
  details: fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(jsonLeaf, fc.array(jsonLeaf, { maxLength: 3 })), {
    maxKeys: 5,
  }),
});

describe("trail entry parser (property)", () => {
  it("parses every formatted entry back to it, byte for byte", () => {
    fc.assert(
      fc.property(anyEntry, (e) => {
        const bytes = formatTrailEntry(e);
        assert.deepEqual(formatTrailEntry(parseTrailEntry(bytes)), bytes);
      }),
    );
  });

  it("throws only TRAIL_BAD_ENTRY on mutated bytes, and accepts none that re-format differently", () => {
    fc.assert(
      fc.property(
        anyEntry,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        (e, flips) => {
          const bytes = new Uint8Array(formatTrailEntry(e));
          for (const [at, x] of flips) bytes[at % bytes.length] = (bytes[at % bytes.length] as number) ^ x;
          try {
            assert.deepEqual(formatTrailEntry(parseTrailEntry(bytes)), bytes);
          } catch (error) {
            assert.ok(error instanceof TrailError && error.code === TRAIL_ERRORS.BAD_ENTRY, String(error));
          }
        },
      ),
    );
  });

  it("throws only TRAIL_BAD_ENTRY on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          parseTrailEntry(bytes);
        } catch (error) {
          assert.ok(error instanceof TrailError && error.code === TRAIL_ERRORS.BAD_ENTRY, String(error));
        }
      }),
    );
  });
});
