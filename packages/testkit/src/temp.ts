/** Temporary folders that live as long as one test. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** What a test (or suite) offers for clean-up: node:test's `t` or a `describe` scope. */
export interface TestLike {
  after(fn: () => void | Promise<void>): void;
}

/** A temporary directory removed when the test ends. */
export function tempDir(t: TestLike, prefix = "bulwark-test-"): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
