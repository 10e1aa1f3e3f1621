import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { BINARY_FINDINGS } from "../src/binary/index.js";

// The finding ids the binary sources can emit, read from the sources themselves: literal ids,
// and the certificate-table problem kinds that become `signature.pe.<kind>`.
function idsInSources(): Set<string> {
  const dir = join(import.meta.dirname, "..", "..", "src", "binary");
  const ids = new Set<string>();
  for (const name of readdirSync(dir).filter((n) => n.endsWith(".ts") && n !== "findings.ts")) {
    const text = readFileSync(join(dir, name), "utf8");
    for (const m of text.matchAll(/"((?:diff|signature)\.(?:binary|pe|macho)\.[a-z0-9-]+)"/g)) ids.add(m[1] ?? "");
    if (name === "pe-cert-table.ts" || name === "authenticode.ts") {
      for (const m of text.matchAll(/"((?:cert|overlay|pkcs7|digest|signer|signature|unsigned)[a-z0-9-]*)"/g)) {
        const kind = m[1] ?? "";
        if (/^(cert-|overlay-after|pkcs7-|digest-|signer-|signature-algorithm|unsigned$)/.test(kind))
          ids.add(`signature.pe.${kind}`);
      }
    }
    if (name === "macho.ts") {
      for (const m of text.matchAll(/id: "([a-z-]+)"/g)) ids.add(`signature.macho.${m[1]}`);
    }
  }
  return ids;
}

test("every finding id the binary layer emits has help text, and every help text an emitter", () => {
  const emitted = idsInSources();
  assert.ok(emitted.size > 20, [...emitted].join());
  assert.deepEqual([...emitted].filter((id) => !BINARY_FINDINGS.has(id)).sort(), []);
  assert.deepEqual([...BINARY_FINDINGS.keys()].filter((id) => !emitted.has(id)).sort(), []);
});
