import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { it } from "node:test";
import { describeVectors, readVectorJson, SKIP_VECTORS } from "@bulwark/testkit";
import { CanonicalJsonError, canonicalize, FormatError, parseJson } from "../src/index.js";

interface Case {
  name: string;
  inputJson: string;
  expectedHex?: string;
  expectedSha256?: string;
  expectedLength?: number;
  error?: boolean;
}

describeVectors("canonical JSON against ../shared/vectors/canonical-json", () => {
  const cases = SKIP_VECTORS ? [] : readVectorJson<{ cases: Case[] }>("canonical-json", "cases.json").cases;

  for (const c of cases) {
    it(c.name, () => {
      if (c.error) {
        assert.throws(
          () => canonicalize(parseJson(c.inputJson)),
          (e: unknown) => e instanceof CanonicalJsonError || e instanceof FormatError,
        );
        return;
      }
      const bytes = canonicalize(parseJson(c.inputJson));
      if (c.expectedHex !== undefined) assert.equal(bytes.toString("hex"), c.expectedHex);
      if (c.expectedSha256 !== undefined) {
        assert.equal(createHash("sha256").update(bytes).digest("hex"), c.expectedSha256);
      }
      if (c.expectedLength !== undefined) assert.equal(bytes.length, c.expectedLength);
    });
  }
});
