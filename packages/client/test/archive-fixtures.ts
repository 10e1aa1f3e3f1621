/**
 * Test archives built byte by byte: a tiny tar writer (ustar, GNU long names, pax headers)
 * and zip writer (stored and deflate, data descriptors), each able to lie on request, plus
 * helpers that extract into a throw-away directory and check what was left on disk.
 * Deterministic: no clocks, no randomness.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { it, type TestContext } from "node:test";
import {
  ArchiveError,
  type ArchiveErrorCode,
  type ExtractOptions,
  type ExtractResult,
  extractArchive,
} from "../src/archive/index.js";

export {
  fixtureCrc32,
  gzip,
  patchTarHeader,
  paxRecord,
  type TarSpec,
  tar,
  type ZipFields,
  type ZipOptions,
  type ZipSpec,
  zip,
} from "@bulwark/testkit/archives";

// ---------------------------------------------------------------------------------------
// extraction in a throw-away directory

/** A fresh temporary directory, removed after the test. */
export function tempDir(t: TestContext, prefix = "bulwark-archive-"): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Where one extraction happens: the archive, and `dest` inside an otherwise empty `out`. */
export interface Sandbox {
  readonly root: string;
  readonly archive: string;
  readonly out: string;
  readonly dest: string;
}

export function sandbox(t: TestContext, archive: Uint8Array, name = "archive.bin"): Sandbox {
  const root = tempDir(t);
  const file = path.join(root, name);
  writeFileSync(file, archive);
  const out = path.join(root, "out");
  mkdirSync(out);
  return { root, archive: file, out, dest: path.join(out, "dest") };
}

export type Outcome = { result: ExtractResult } | { error: unknown };

/** Extracts `archive` in a fresh sandbox; the outcome is a result or the error thrown. */
export async function extractIn(
  t: TestContext,
  archive: Uint8Array,
  options: ExtractOptions = {},
): Promise<{ box: Sandbox; outcome: Outcome }> {
  const box = sandbox(t, archive);
  try {
    return { box, outcome: { result: await extractArchive(box.archive, box.dest, options) } };
  } catch (error) {
    return { box, outcome: { error } };
  }
}

/** Asserts a refusal with `code`, and that the sandbox holds exactly what it held before. */
export function assertRefused(box: Sandbox, outcome: Outcome, code: string): ArchiveError {
  assert.ok("error" in outcome, `expected ${code}, but the archive was extracted`);
  const { error } = outcome;
  assert.ok(error instanceof ArchiveError, `expected an ArchiveError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  assertNothingLeft(box);
  return error;
}

/** Nothing at `dest`, no `.partial-` directory, nothing beside the archive and `out`. */
export function assertNothingLeft(box: Sandbox): void {
  assert.deepEqual(readdirSync(box.out), [], "the output directory is empty: no dest, no .partial- directory");
  assert.deepEqual(readdirSync(box.root).sort(), [path.basename(box.archive), "out"].sort(), "nothing written beside");
}

/** One node of a directory tree, as compared between extractions. */
export type TreeItem =
  | { path: string; kind: "dir" }
  | { path: string; kind: "file"; exec: boolean; sha256: string }
  | { path: string; kind: "symlink"; target: string };

/** Every node under `dir` (links not followed), sorted by path. */
export function walkTree(dir: string): TreeItem[] {
  const items: TreeItem[] = [];
  const visit = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel))) {
      const p = rel === "" ? name : `${rel}/${name}`;
      const abs = path.join(dir, p);
      const st = lstatSync(abs);
      if (st.isSymbolicLink()) items.push({ path: p, kind: "symlink", target: readlinkSync(abs) });
      else if (st.isDirectory()) {
        items.push({ path: p, kind: "dir" });
        visit(p);
      } else {
        const sha256 = createHash("sha256").update(readFileSync(abs)).digest("hex");
        items.push({ path: p, kind: "file", exec: (st.mode & 0o111) !== 0, sha256 });
      }
    }
  };
  visit("");
  return items.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** True when the named program runs (`which`). */
export function hasProgram(name: string): boolean {
  try {
    execFileSync("which", [name], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** One refusal case of the attack tables, named after the attack. */
export interface AttackCase {
  readonly attack: string;
  readonly archive: () => Buffer;
  readonly code: ArchiveErrorCode;
  /** A fragment the message must hold (the entry's name, usually). */
  readonly message?: string;
  readonly options?: ExtractOptions;
}

/** One test per case: refused with its code and message, nothing left behind. */
export function itRefuses(cases: readonly AttackCase[]): void {
  for (const c of cases) {
    it(`refuses ${c.attack} (${c.code})`, async (t) => {
      const { box, outcome } = await extractIn(t, c.archive(), c.options ?? {});
      const error = assertRefused(box, outcome, c.code);
      t.diagnostic(error.message);
      if (c.message !== undefined) assert.ok(error.message.includes(c.message), error.message);
    });
  }
}
