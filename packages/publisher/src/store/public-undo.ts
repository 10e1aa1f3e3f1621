/**
 * What a publish wrote to public/ before its commit point (release files, log proofs), so
 * that a publish that stops there — an error, an interrupt — puts public/ back byte for
 * byte: new files and the folders made for them removed, replaced files restored.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { readFileIfExists, writeFileAtomic } from "@bulwark/tuf";

const exists = (p: string) =>
  fs.stat(p).then(
    () => true,
    () => false,
  );

/** The writes of one publish before its commit point, newest last. */
export class PublicUndo {
  private readonly steps: Array<{ readonly file: string; readonly old?: Buffer; readonly madeDirs: string[] }> = [];

  /** `file` (and any folder above it) is about to be made, unless it exists. */
  async creating(file: string): Promise<void> {
    if (await exists(file)) return;
    this.steps.push({ file, madeDirs: await missingDirs(path.dirname(file)) });
  }

  /** `file` is about to be written: keeps its bytes when it exists. */
  async replacing(file: string): Promise<void> {
    const old = await readFileIfExists(file);
    this.steps.push(
      old === undefined ? { file, madeDirs: await missingDirs(path.dirname(file)) } : { file, old, madeDirs: [] },
    );
  }

  /** Puts everything back, newest first. */
  async run(): Promise<void> {
    for (const { file, old, madeDirs } of this.steps.reverse()) {
      if (old !== undefined) await writeFileAtomic(file, old);
      else await fs.rm(file, { force: true });
      // Deepest first; a folder something else was put in meanwhile stays.
      for (const dir of madeDirs) await fs.rmdir(dir).catch(() => undefined);
    }
    this.steps.length = 0;
  }
}

/** `dir` and its ancestors that do not exist yet, deepest first. */
async function missingDirs(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (let d = dir; !(await exists(d)); d = path.dirname(d)) {
    out.push(d);
    if (path.dirname(d) === d) break;
  }
  return out;
}
