/**
 * Property tests of the parsers this package added for witnesses and releases: whatever the
 * bytes, the witness request parser, the 409 size and 200 cosignature answers, the release
 * entry parser and the witness itself give a value or a TlogError, never another exception;
 * and generated values round-trip through their text forms.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  formatAddCheckpointRequest,
  formatReleaseEntry,
  formatSizeBody,
  MAX_CONSISTENCY_PROOF_LINES,
  parseAddCheckpointRequest,
  parseCosignatureResponse,
  parseReleaseEntry,
  parseSizeBody,
  type ReleaseEntry,
  TLOG_ERRORS,
  TlogError,
  WitnessRefusal,
} from "../src/index.js";
import { makeWitness, memoryLog, release } from "./log-fixtures.js";

const RUNS = 400;
const CODES = new Set<string>(Object.values(TLOG_ERRORS));
const enc = (s: string) => new TextEncoder().encode(s);

function valueOrTlogError<T>(fn: () => T): { value: T } | { error: TlogError } {
  try {
    return { value: fn() };
  } catch (e) {
    if (e instanceof TlogError && CODES.has(e.code)) return { error: e };
    const what = e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e);
    throw new assert.AssertionError({ message: `escaped a non-TlogError exception: ${what}` });
  }
}

/** Bytes: arbitrary, or a valid sample with bytes inserted, cut or flipped. */
function bytesNear(...samples: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const edit = fc
    .tuple(fc.constantFrom(...samples), fc.nat(), fc.nat(8), fc.uint8Array({ maxLength: 6 }))
    .map(([s, at, cut, insert]) => {
      const i = at % (s.length + 1);
      return new Uint8Array([...s.subarray(0, i), ...insert, ...s.subarray(i + cut)]);
    });
  return fc.oneof(
    edit,
    edit,
    fc.uint8Array({ maxLength: 300 }),
    fc.string({ unit: fc.constantFrom("\n", "old ", "0", "1", "=", "A", "{", '"', "}") }).map(enc),
  );
}

const hash = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe("witness wire format", () => {
  it("parseAddCheckpointRequest: any bytes give a request or a TlogError", async () => {
    const log = await memoryLog(["1.0.0", "1.0.1"]);
    const sample = formatAddCheckpointRequest({ oldSize: 1n, proof: [new Uint8Array(32)], checkpoint: log.checkpoint });
    fc.assert(
      fc.property(bytesNear(sample, enc("old 0\n\nx")), (bytes) => {
        const r = valueOrTlogError(() => parseAddCheckpointRequest(bytes));
        if ("error" in r) assert.equal(r.error.code, TLOG_ERRORS.MALFORMED_REQUEST);
        else assert.ok(r.value.proof.length <= MAX_CONSISTENCY_PROOF_LINES);
      }),
      { numRuns: RUNS },
    );
  });

  it("formatAddCheckpointRequest round-trips", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.array(hash, { maxLength: MAX_CONSISTENCY_PROOF_LINES }),
        fc.string({ minLength: 1 }).filter((s) => s.isWellFormed()),
        (oldSize, proof, checkpoint) => {
          const parsed = parseAddCheckpointRequest(formatAddCheckpointRequest({ oldSize, proof, checkpoint }));
          assert.equal(parsed.oldSize, oldSize);
          assert.deepEqual(
            parsed.proof.map((h) => Buffer.from(h)),
            proof.map((h) => Buffer.from(h)),
          );
          assert.equal(new TextDecoder().decode(parsed.checkpoint), checkpoint);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("parseSizeBody and parseCosignatureResponse: any text gives a value or a TlogError", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (text, size) => {
        valueOrTlogError(() => parseSizeBody(text));
        valueOrTlogError(() => parseCosignatureResponse(text));
        assert.equal(parseSizeBody(formatSizeBody(size)), size);
      }),
      { numRuns: RUNS },
    );
  });

  it("the witness answers any body with cosignatures or a WitnessRefusal", async () => {
    const witness = makeWitness();
    const log = await memoryLog(["1.0.0", "1.0.1"]);
    const sample = formatAddCheckpointRequest({ oldSize: 0n, proof: [], checkpoint: log.checkpoint });
    await fc.assert(
      fc.asyncProperty(bytesNear(sample), async (bytes) => {
        try {
          await witness.addCheckpoint(bytes);
        } catch (e) {
          if (!(e instanceof WitnessRefusal)) throw e;
          assert.ok([400, 403, 404, 409, 422].includes(e.status), `status ${e.status}`);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe("release entries", () => {
  it("parseReleaseEntry: any bytes give an entry or a TLOG_BAD_ENTRY", () => {
    const sample = formatReleaseEntry(release("1.2.3"));
    fc.assert(
      fc.property(bytesNear(sample), (bytes) => {
        const r = valueOrTlogError(() => parseReleaseEntry(bytes));
        if ("error" in r) assert.equal(r.error.code, TLOG_ERRORS.BAD_ENTRY);
        else assert.deepEqual(formatReleaseEntry(r.value), bytes);
      }),
      { numRuns: RUNS },
    );
  });

  it("formatReleaseEntry round-trips generated entries", () => {
    const field = fc
      .string({ minLength: 1, maxLength: 40 })
      .filter((s) => s.isWellFormed() && ![...s].some((c) => c < " " || (c >= "\u007f" && c <= "\u009f")));
    const hex = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString("hex"));
    const entry: fc.Arbitrary<ReleaseEntry> = fc.record(
      {
        name: field,
        version: field,
        path: field,
        sha256: hex,
        length: fc.nat(),
        targets: fc.record({ role: field, version: fc.integer({ min: 1 }), sha256: hex }, { noNullPrototype: true }),
      },
      { noNullPrototype: true },
    );
    fc.assert(
      fc.property(entry, (e) => {
        const bytes = formatReleaseEntry(e);
        assert.deepEqual(parseReleaseEntry(bytes), e);
      }),
      { numRuns: RUNS },
    );
  });
});
