import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { ScanFormatError, ScanLimitError } from "../src/errors.js";
import {
  DEFAULT_INTEL_LIMITS,
  readCsvHashList,
  readMispDocument,
  readPlainHashList,
  readStixBundle,
  splitCsvLine,
} from "../src/intel/index.js";
import { parseOsvRecord } from "../src/sbom/index.js";

const NOW = new Date("2026-06-01T00:00:00Z");
const typed = (e: unknown): boolean => e instanceof ScanFormatError || e instanceof ScanLimitError;

/** Runs `f`; it may return or throw a typed scan error, nothing else. */
function total(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    assert.ok(typed(e), `untyped error: ${String(e)}`);
  }
}

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
const digest = fc.oneof(hex(32), hex(40), hex(64));

describe("property: the intel readers are total on hostile input", () => {
  test("hash lists: any bytes parse or give a typed error", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        total(() => readPlainHashList(bytes, "x.txt", DEFAULT_INTEL_LIMITS));
        total(() => readCsvHashList(bytes, "x.csv", DEFAULT_INTEL_LIMITS));
      }),
      { numRuns: 1000 },
    );
  });

  test("STIX and MISP readers: any JSON value gives indicators or a typed error", () => {
    const stixish = fc.record({
      type: fc.constant("bundle"),
      objects: fc.array(
        fc.oneof(
          fc.jsonValue(),
          fc.record(
            {
              type: fc.constantFrom("indicator", "observed-data", "file", "domain-name"),
              id: fc.string(),
              pattern: fc.string(),
              pattern_type: fc.constantFrom("stix", "yara"),
              revoked: fc.jsonValue(),
              valid_until: fc.oneof(fc.string(), fc.jsonValue()),
              object_refs: fc.jsonValue(),
              hashes: fc.dictionary(fc.constantFrom("SHA-256", "MD5", "x"), fc.oneof(digest, fc.jsonValue())),
              value: fc.jsonValue(),
            },
            { requiredKeys: ["type"] },
          ),
        ),
        { maxLength: 6 },
      ),
    });
    const mispish = fc.record({
      Event: fc.record(
        {
          info: fc.jsonValue(),
          Attribute: fc.array(
            fc.oneof(
              fc.jsonValue(),
              fc.record({
                type: fc.constantFrom("sha256", "md5", "domain", "url", "ip-dst|port", "filename|sha1", "other"),
                value: fc.oneof(fc.string(), digest, fc.jsonValue()),
                to_ids: fc.oneof(fc.boolean(), fc.constantFrom("0", "1")),
                deleted: fc.boolean(),
              }),
            ),
            { maxLength: 6 },
          ),
          Object: fc.jsonValue(),
        },
        { requiredKeys: [] },
      ),
    });
    fc.assert(
      fc.property(stixish, mispish, fc.jsonValue(), (stix, misp, anything) => {
        total(() => readStixBundle(stix as never, "b.json", NOW, DEFAULT_INTEL_LIMITS));
        total(() => readMispDocument(misp as never, "m.json", DEFAULT_INTEL_LIMITS));
        if (typeof anything === "object" && anything !== null && !Array.isArray(anything)) {
          total(() => readStixBundle(anything, "b.json", NOW, DEFAULT_INTEL_LIMITS));
          total(() => readMispDocument(anything, "m.json", DEFAULT_INTEL_LIMITS));
        }
        total(() => parseOsvRecord(anything, "o.json"));
      }),
      { numRuns: 1000 },
    );
  });

  test("CSV: quoting any fields and splitting the line gives the fields back", () => {
    const field = fc.string().filter((s) => !/[\r\n]/.test(s));
    fc.assert(
      fc.property(fc.array(field, { minLength: 1, maxLength: 6 }), (fields) => {
        const line = fields.map((f) => `"${f.replaceAll('"', '""')}"`).join(", ");
        assert.deepEqual(splitCsvLine(line), fields);
      }),
    );
  });
});
