/**
 * One nesting limit for every document (MAX_JSON_DEPTH), whatever else it holds. Code that
 * recurses into untrusted values (canonical JSON, a caller walking `custom`) relies on it: a
 * stack-exhaustion attack hides thousands of levels in a field the model does not read.
 * Before, the limit held only when the file also held a float or a long number (the exact
 * parser); plain files went through JSON.parse unchecked.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FormatError, type JsonValue, MAX_JSON_DEPTH, Metadata, MetadataFormatError, parseJson } from "../src/index.js";
import { forge, makeEnv, published, runAttack } from "./attacks-kit.js";

/** A value whose innermost level is `levels` below it: `[[[…0…]]]`, or with a float inside. */
function nested(levels: number, leaf: string): string {
  return `${"[".repeat(levels - 1)}${leaf}${"]".repeat(levels - 1)}`;
}

const LEAVES = { "holding only integers": "0", "holding a float (the exact parser)": "1.5" } as const;

describe("parseJson: one depth limit (stack exhaustion)", () => {
  for (const [what, leaf] of Object.entries(LEAVES)) {
    it(`refuses 1,000 levels ${what} with JSON_TOO_DEEP`, () => {
      assert.throws(
        () => parseJson(nested(1000, leaf)),
        (e: unknown) =>
          e instanceof FormatError && e.code === "JSON_TOO_DEEP" && /deeper than 512 levels/.test(e.message),
      );
    });

    it(`accepts exactly ${MAX_JSON_DEPTH} levels ${what}, and refuses one more`, () => {
      parseJson(nested(MAX_JSON_DEPTH, leaf));
      assert.throws(() => parseJson(nested(MAX_JSON_DEPTH + 1, leaf)), { code: "JSON_TOO_DEEP" });
    });

    it(`counts levels inside objects as inside arrays, ${what}`, () => {
      const deep = `${'{"a":'.repeat(MAX_JSON_DEPTH - 1)}${leaf}${"}".repeat(MAX_JSON_DEPTH - 1)}`;
      parseJson(deep);
      assert.throws(() => parseJson(`[${deep}]`), { code: "JSON_TOO_DEEP" });
    });
  }

  it("still parses a million-level document without overflowing the stack: it refuses it", () => {
    assert.throws(() => parseJson(nested(1_000_000, "0")), { code: "JSON_TOO_DEEP" });
  });
});

describe("metadata: a deep field the model does not read (stack exhaustion)", () => {
  /** A signed timestamp with `extra` (raw JSON text) as an unknown field of `signed`. */
  async function timestampWith(t: { after(fn: () => void): void }, extra: string): Promise<Uint8Array> {
    const env = await makeEnv(t);
    const bytes = published(env.repo, "timestamp");
    const md = Metadata.fromBytes(bytes, "timestamp");
    md.signed.unrecognized = { x: 0 };
    const text = Buffer.from(md.toBytes({ indent: 0 })).toString("utf8");
    return Buffer.from(text.replace('"x":0', `"x":${extra}`), "utf8");
  }

  for (const [what, leaf] of Object.entries(LEAVES)) {
    it(`refuses a field 1,000 levels deep ${what}, naming it`, async (t) => {
      const bytes = await timestampWith(t, nested(1000, leaf));
      assert.throws(
        () => Metadata.fromBytes(bytes, "timestamp"),
        (e: unknown) =>
          e instanceof MetadataFormatError && e.code === "TUF_BAD_METADATA" && /deeper than 512 levels/.test(e.message),
      );
    });

    it(`draws the line at level ${MAX_JSON_DEPTH} of the file ${what}`, async (t) => {
      // The document is level 1, `signed` level 2, the field's value level 3.
      Metadata.fromBytes(await timestampWith(t, nested(MAX_JSON_DEPTH - 2, leaf)), "timestamp");
      const over = await timestampWith(t, nested(MAX_JSON_DEPTH - 1, leaf));
      assert.throws(() => Metadata.fromBytes(over, "timestamp"), { code: "TUF_BAD_METADATA" });
    });
  }

  it("a deep value in a target's custom field is refused, and names the target", async () => {
    const custom: JsonValue = JSON.parse(`{"x":${nested(600, "0")}}`);
    const text = JSON.stringify({
      signed: {
        _type: "targets",
        spec_version: "1.0.31",
        version: 1,
        expires: "2030-01-01T00:00:00Z",
        targets: { "app.tar.gz": { length: 1, hashes: { sha256: "00".repeat(32) }, custom } },
      },
      signatures: [],
    });
    assert.throws(
      () => Metadata.fromBytes(text, "targets"),
      /targets\.signed\.targets\["app\.tar\.gz"\]\.custom is nested deeper/,
    );
  });
});

describe("the client refuses a validly signed timestamp with a 1,000-level field (stack exhaustion)", () => {
  for (const [what, leaf] of Object.entries(LEAVES)) {
    it(what, (t) =>
      runAttack(t, {
        name: "deep field",
        attack: async (env) => {
          const signed = await forge(
            "timestamp",
            published(env.repo, "timestamp"),
            env.repo.signers("timestamp"),
            (s) => {
              s.version += 1;
              s.unrecognized = { x: 0 };
            },
          );
          const text = signed.toString("utf8").replace('"x":0', `"x":${nested(1000, leaf)}`);
          env.sim.overrides.set("metadata/timestamp.json", Buffer.from(text));
        },
        error: { type: MetadataFormatError, code: "TUF_BAD_METADATA", message: /deeper than 512 levels/ },
      }).then(() => undefined),
    );
  }
});
