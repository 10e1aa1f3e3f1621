/**
 * Every TUF metadata file in ../shared/vectors/tuf/ (python-tuf, go-tuf, tuf-conformance)
 * must survive parse → serialise byte for byte, and its `signed` object must keep every
 * field, unknown ones included (signatures are checked over canonical JSON re-made from
 * the model, so a lost field is a failed signature or, worse, an unsigned one).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { describeVectors, SKIP_VECTORS, vectorPath } from "@bulwark/testkit";
import { canonicalize, type JsonObject, Metadata, parseJson } from "../src/index.js";

/** JSON files under tuf/ that are not TUF metadata, each for a reason. */
const NOT_METADATA = new Set([
  "checks.json", // results computed by the vectors' authors
  "metadata-serialization.json", // parser cases, see metadata-serialization.test.ts
  "go-tuf-multirepo/repository/targets/map.json", // a TAP 4 map (a target)
  "go-tuf-multirepo/repository/targets/562fc7cffe872542a430342995998546e3949dc3acbe7d37668dc76d657032ff.map.json",
  "python-tuf/repository_data/client/map.json", // a TAP 4 map
  "tuf-conformance/sigstore-root-signing/targets/f44a1b88128e55ebfb62189becbc0fa48d4ec9915c65ac54ba0e46a008b12d5b.trusted_root.json",
]);

function listJsonFiles(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...listJsonFiles(path.join(dir, entry.name), rel));
    else if (entry.name.endsWith(".json")) out.push(rel);
  }
  return out.sort();
}

/** True for a metadata envelope: an object with `signed` and `signatures`. */
function isMetadataFile(file: string): boolean {
  const value: unknown = JSON.parse(readFileSync(vectorPath("tuf", file), "utf8"));
  return typeof value === "object" && value !== null && "signed" in value && "signatures" in value;
}

/** The indentation unit of a pretty-printed file (1 space, 2 spaces, a tab), or 0 for compact. */
function detectIndent(text: string): string | 0 {
  const m = /^[{[]\r?\n([ \t]+)\S/.exec(text);
  return m?.[1] ?? 0;
}

/**
 * Python's json.dumps writes with `ensure_ascii=True` by default: every character above
 * U+007F as a lowercase `\uXXXX` escape (UTF-16 code units, so non-BMP characters become a
 * surrogate pair). Bulwark writes UTF-8 as is. A file that is pure ASCII but whose content
 * is not was written that way, so the test applies the same escaping to our output before
 * comparing. Outside string literals JSON text is ASCII, so escaping the whole text is safe.
 */
function pythonEnsureAscii(text: string): string {
  return text.replace(/[\u0080-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Where two texts part, with a little context, instead of two whole files. */
function firstDifference(expected: string, actual: string): string {
  let i = 0;
  while (i < expected.length && expected[i] === actual[i]) i++;
  const from = Math.max(0, i - 30);
  return (
    `re-serialised text differs from the file at offset ${i}:\n` +
    `  file:   …${JSON.stringify(expected.slice(from, i + 50))}…\n` +
    `  output: …${JSON.stringify(actual.slice(from, i + 50))}…`
  );
}

describeVectors("TUF fixtures round-trip (../shared/vectors/tuf)", () => {
  const all = SKIP_VECTORS ? [] : listJsonFiles(vectorPath("tuf"));
  const files = all.filter((f) => !NOT_METADATA.has(f));

  it("finds every metadata file, and skips only known non-metadata files", () => {
    for (const f of all) assert.equal(isMetadataFile(f), !NOT_METADATA.has(f), f);
    // python-tuf 7 + fishy_rolenames 7 + generated_data 4, go-tuf 9, sigstore 17, tuf-on-ci 6.
    assert.equal(files.length, 50);
  });

  for (const file of files) {
    describe(file, () => {
      it("re-serialises byte for byte", () => {
        const bytes = readFileSync(vectorPath("tuf", file));
        const text = bytes.toString("utf8");
        const md = Metadata.fromBytes(bytes, undefined, { lenientDates: true });
        let out = md.toBytes({ indent: detectIndent(text) }).toString("utf8");
        if (bytes.every((b) => b < 0x80)) out = pythonEnsureAscii(out);
        if (text.endsWith("\n")) out += "\n";
        if (out !== text) assert.fail(firstDifference(text, out));
      });

      it("keeps every field of signed, unknown ones included", () => {
        const bytes = readFileSync(vectorPath("tuf", file));
        const md = Metadata.fromBytes(bytes, undefined, { lenientDates: true });
        const json = parseJson(bytes) as JsonObject;
        assert.deepEqual(canonicalize(md.signed.toJSON()), canonicalize(json.signed as JsonObject));
        assert.deepEqual(md.signedBytes(), canonicalize(json.signed as JsonObject));
        // The whole envelope too: signatures (empty ones included) and unknown fields.
        assert.deepStrictEqual(md.toJSON(), json);
      });
    });
  }
});
