/**
 * Locates the language-neutral test vectors in `../shared/vectors/` beside the checkout.
 * The one copy for every package's tests.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type JsonValue, parseJson } from "@bulwark/tuf";

// dist/src/vectors.js -> packages/testkit -> repository root
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");

/** The vectors folder, or undefined where it is absent (a user's own clone). */
export const VECTORS_DIR: string | undefined = (() => {
  const dir = process.env.BULWARK_VECTORS_DIR ?? path.resolve(repoRoot, "../shared/vectors");
  return existsSync(dir) ? dir : undefined;
})();

/** Why vector tests are skipped, or false when they run. */
export const SKIP_VECTORS: string | false =
  VECTORS_DIR === undefined ? "../shared/vectors/ is absent: vector tests skipped (CI always has it)" : false;

if (SKIP_VECTORS && process.env.CI) {
  throw new Error("CI must have ../shared/vectors/ beside the checkout");
}

/**
 * A suite that needs the vectors. Where they are absent it holds one skipped test, so the
 * runner's summary counts the skip (a skipped `describe` is not counted).
 */
export function describeVectors(name: string, fn: () => void): void {
  if (SKIP_VECTORS) describe(name, () => it("reads ../shared/vectors/", { skip: SKIP_VECTORS }, () => {}));
  else describe(name, fn);
}

/** The path of a vector file. */
export function vectorPath(...parts: string[]): string {
  if (VECTORS_DIR === undefined) throw new Error(SKIP_VECTORS as string);
  return path.join(VECTORS_DIR, ...parts);
}

/** Reads and parses a JSON vector file. */
export function readVectorJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(vectorPath(...parts), "utf8")) as T;
}

/** The repository root. */
export const REPO_ROOT = repoRoot;

/** Reads a vector file as bytes. */
export function readVectorBytes(...parts: string[]): Buffer {
  return readFileSync(vectorPath(...parts));
}

/** Reads a JSON vector file keeping integers beyond 2^53 exact (as bigint). */
export function readVectorJsonExact(...parts: string[]): JsonValue {
  return parseJson(readFileSync(vectorPath(...parts)));
}

/** Every file under a vector folder, relative paths sorted. */
export function listVectorFiles(...parts: string[]): string[] {
  const root = vectorPath(...parts);
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push(path.relative(root, full));
    }
  };
  walk(root);
  return out.sort();
}
