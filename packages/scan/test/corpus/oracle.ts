/** External tools used as oracles by the binary tests (Debian's osslsigncode, readelf, objdump). */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Whether `tool` runs here; the tests that use it skip with a visible note when it does not. */
export function hasTool(tool: string): boolean {
  return spawnSync(tool, ["--version"], { stdio: "ignore" }).error === undefined;
}

/** The note a test skips with when an oracle is missing. */
export function missing(tool: string, apt: string): string {
  return `${tool} is not installed (apt-get install -y ${apt}); this oracle check is skipped`;
}

/**
 * Runs `tool` over files written to a temporary directory; returns stdout+stderr, the exit
 * status, and the files named in `outputs` that the tool wrote (paths passed to `args` too).
 */
export function runTool(
  tool: string,
  args: (files: Record<string, string>) => string[],
  files: Record<string, Uint8Array | string>,
  outputs: readonly string[] = [],
): { output: string; status: number | null; written: Record<string, Uint8Array | undefined> } {
  const dir = mkdtempSync(join(tmpdir(), "bulwark-oracle-"));
  try {
    const paths: Record<string, string> = {};
    for (const [name, data] of Object.entries(files)) {
      paths[name] = join(dir, name);
      writeFileSync(paths[name], data);
    }
    for (const name of outputs) paths[name] = join(dir, name);
    const run = spawnSync(tool, args(paths), { encoding: "utf8" });
    const written: Record<string, Uint8Array | undefined> = {};
    for (const name of outputs) {
      const path = join(dir, name);
      written[name] = existsSync(path) ? new Uint8Array(readFileSync(path)) : undefined;
    }
    return { output: `${run.stdout ?? ""}${run.stderr ?? ""}`, status: run.status, written };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
