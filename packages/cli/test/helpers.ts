/** Test helpers: run `bulwark` in process (or as a real process) against temporary folders. */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { createStaticServer, type PublisherOptions } from "@bulwark/publisher";
import { tempDir } from "@bulwark/testkit";
import { main } from "../src/main.js";
import type { Prompter } from "../src/ui/prompt.js";

export { listen, tempDir } from "@bulwark/testkit";

/** The `bulwark` executable of this checkout. */
export const BULWARK_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bin/bulwark.js");

/** A passphrase environment that unlocks every role's keys. */
export const PASSPHRASE_ENV = { BULWARK_PASSPHRASE: "correct horse battery staple" } as const;

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON (for `--json` runs). */
  json<T = Record<string, unknown>>(): T;
}

class Capture extends Writable {
  text = "";
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString("utf8");
    done();
  }
}

const noPrompt: Prompter = {
  interactive: false,
  secret: async (q) => {
    throw new Error(`unexpected prompt in a test: ${q}`);
  },
};

/** Runs `bulwark argv` in this process, capturing its output. */
export async function runCli(
  argv: string[],
  options: { env?: Record<string, string>; cwd?: string; prompt?: Prompter } = {},
): Promise<CliRun> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(argv, {
    streams: { stdout, stderr },
    env: { ...PASSPHRASE_ENV, ...options.env },
    prompt: options.prompt ?? noPrompt,
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  return result(code, stdout.text, stderr.text);
}

/** Runs the real `bulwark` executable as a child process. */
export function runBin(argv: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BULWARK_BIN, ...argv],
      { env: { ...process.env, ...PASSPHRASE_ENV, ...options.env }, cwd: options.cwd },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve(result(code, stdout, stderr));
      },
    );
  });
}

function result(code: number, stdout: string, stderr: string): CliRun {
  return {
    code,
    stdout,
    stderr,
    json<T>() {
      return JSON.parse(stdout) as T;
    },
  };
}

/** `bulwark repo init` in a new temporary folder; returns the repository path. */
export async function initRepo(
  t: { after(fn: () => void): void },
  extra: string[] = ["--single-key"],
): Promise<string> {
  const dir = path.join(tempDir(t), "repo");
  const run = await runCli(["repo", "init", dir, ...extra]);
  if (run.code !== 0) throw new Error(`repo init failed: ${run.stderr}`);
  return dir;
}

/** Serves `dir` with Bulwark's own static server until the test ends; returns its URL (ending in `/`). */
export async function serveFolder(t: { after(fn: () => void | Promise<void>): void }, dir: string): Promise<string> {
  const server = await createStaticServer(dir);
  t.after(() => server.close());
  return server.url;
}

/** Publisher options that unlock every key of a test repository, for calling the library directly. */
export function testOptions(now: () => number = Date.now): PublisherOptions {
  return { passphrase: async () => PASSPHRASE_ENV.BULWARK_PASSPHRASE, now };
}

/** Every file under `dir` with its sha256 (and every folder, as "dir"), for "nothing changed" checks. */
export function snapshotTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) {
        out.set(path.relative(dir, p), "dir");
        walk(p);
      } else out.set(path.relative(dir, p), createHash("sha256").update(readFileSync(p)).digest("hex"));
    }
  };
  walk(dir);
  return out;
}

/**
 * Starts a server command of the real `bulwark` executable (`argv` must make it print one
 * JSON line with its `url` once listening, as `--json` does) and stops it with SIGTERM when
 * the test ends. Resolves to that first line and the server's stderr so far.
 */
export async function startBulwarkServer(
  t: { after(fn: () => void | Promise<void>): void },
  argv: readonly string[],
  env: Record<string, string> = {},
): Promise<{ url: string; line: Record<string, unknown>; stderr: () => string }> {
  const child: ChildProcess = spawn(process.execPath, [BULWARK_BIN, ...argv], {
    env: { ...process.env, ...PASSPHRASE_ENV, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  t.after(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
  });
  for await (const text of createInterface({ input: child.stdout as NodeJS.ReadableStream })) {
    const line = JSON.parse(text) as Record<string, unknown>;
    return { url: line.url as string, line, stderr: () => stderr };
  }
  throw new Error(`bulwark ${argv.slice(0, 2).join(" ")} exited: ${stderr}`);
}
