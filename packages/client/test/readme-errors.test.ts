/**
 * The client README's error table lists every code the client and the TUF layer under it can
 * raise, each with its meaning: a code an app meets must be one it can look up.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { it } from "node:test";
import { fileURLToPath } from "node:url";

const PACKAGES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const CODE = /"((?:TUF|DOWNLOAD|JSON|CLIENT|ARCHIVE)_[A-Z0-9_]+|STORAGE)"/g;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => path.join(e.parentPath, e.name));
}

it("every error code of the client and its TUF layer is in the README's table, with a meaning", () => {
  const codes = new Set<string>();
  for (const file of [...sources(path.join(PACKAGES, "tuf/src")), ...sources(path.join(PACKAGES, "client/src"))]) {
    for (const m of readFileSync(file, "utf8").matchAll(CODE)) codes.add(m[1] as string);
  }
  assert.ok(codes.size > 30, `found only ${codes.size} codes`);
  const readme = readFileSync(path.join(PACKAGES, "client/README.md"), "utf8");
  const rows = new Map<string, string>();
  for (const line of readme.split("\n")) {
    const row = /^\| (`[A-Z0-9_`, ]+`) \| (.+) \|$/.exec(line);
    if (row === null) continue;
    for (const code of (row[1] as string).split(",")) rows.set(code.trim().replaceAll("`", ""), row[2] as string);
  }
  const missing = [...codes].filter((c) => !rows.has(c)).sort();
  assert.deepEqual(missing, [], `codes missing from packages/client/README.md: ${missing.join(", ")}`);
  for (const [code, meaning] of rows) assert.ok(meaning.trim().length > 10, `${code} has no meaning`);
});
