/**
 * An in-memory repository simulator implementing the updater's Fetcher interface, after
 * python-tuf's tests/repository_simulator.py: it serves the files of a Repository and
 * lets a test play the attacker who controls the server (replace, drop or stretch files).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  DownloadHttpError,
  type Fetcher,
  type FetchOptions,
  PrivateKeySigner,
  Repository,
  type RepositoryFile,
  type Signer,
  type TopLevelRoleName,
  Updater,
  type UpdaterConfig,
} from "@bulwark/tuf";
import { tempDir } from "./temp.js";

/** Base URLs the simulator answers under. */
export const METADATA_URL = "https://repo.test/metadata/";
export const TARGETS_URL = "https://repo.test/targets/";

/** What the attacker serves instead of a file: bytes, a 404, or bytes that never end. */
export type Override = Uint8Array | "missing" | "endless";

export class RepositorySimulator implements Fetcher {
  /** Paths requested, relative to the repository root (`metadata/1.root.json`). */
  readonly requests: string[] = [];
  /** Requests that asked for bytes from an offset on (HTTP Range), in order. */
  readonly ranges: Array<{ readonly path: string; readonly offset: number }> = [];
  /** Files the attacker replaced, by path. */
  readonly overrides = new Map<string, Override>();
  private served = new Map<string, Uint8Array>();

  constructor(readonly repo: Repository) {
    this.sync();
  }

  /** Serves the repository's current state (call after publish); overrides stay. */
  sync(): void {
    this.served = new Map(this.repo.files().map((f: RepositoryFile) => [f.path, f.data]));
  }

  /** The bytes served at `p` (before overrides). */
  file(p: string): Uint8Array | undefined {
    return this.served.get(p);
  }

  async *fetch(url: string, options: FetchOptions): AsyncIterable<Uint8Array> {
    const p = url.startsWith(METADATA_URL)
      ? `metadata/${url.slice(METADATA_URL.length)}`
      : url.startsWith(TARGETS_URL)
        ? `targets/${decodeURIComponent(url.slice(TARGETS_URL.length))}`
        : url;
    this.requests.push(p);
    const offset = options.offset ?? 0;
    if (offset > 0) this.ranges.push({ path: p, offset });
    const override = this.overrides.get(p);
    if (override === "endless") {
      const chunk = new Uint8Array(64 * 1024).fill(0x20);
      for (let sent = 0; sent < 1 << 30; sent += chunk.length) yield chunk;
      return;
    }
    const data = override === "missing" ? undefined : (override ?? this.served.get(p));
    if (data === undefined) throw new DownloadHttpError(`${url} answered HTTP 404`, 404);
    // A range past the end is what a server answers with 416.
    if (offset > 0 && offset >= data.length) throw new DownloadHttpError(`${url} answered HTTP 416`, 416);
    const step = Math.max(1, Math.min(64 * 1024, options.maxLength + 1));
    for (let i = offset; i < data.length; i += step) yield data.subarray(i, i + step);
  }
}

/** Fresh ed25519 signers for every top-level role. */
export function topLevelSigners(): Record<TopLevelRoleName, Signer[]> {
  return {
    root: [PrivateKeySigner.generate()],
    timestamp: [PrivateKeySigner.generate()],
    snapshot: [PrivateKeySigner.generate()],
    targets: [PrivateKeySigner.generate()],
  };
}

/** A repository, its simulator, and a client whose metadata dir holds root v1. */
export async function setup(
  t: { after(fn: () => void): void },
  options: { consistentSnapshot?: boolean; config?: Partial<UpdaterConfig>; now?: () => number } = {},
): Promise<{
  repo: Repository;
  sim: RepositorySimulator;
  signers: Record<TopLevelRoleName, Signer[]>;
  metadataDir: string;
  targetDir: string;
  updater: (overrides?: { referenceTime?: Date; config?: Partial<UpdaterConfig> }) => Updater;
}> {
  const signers = topLevelSigners();
  const repo = await Repository.create({
    signers,
    consistentSnapshot: options.consistentSnapshot ?? true,
    ...(options.now ? { now: options.now } : {}),
  });
  const sim = new RepositorySimulator(repo);
  const dir = tempDir(t);
  const metadataDir = path.join(dir, "metadata");
  const targetDir = path.join(dir, "targets");
  mkdirSync(metadataDir);
  mkdirSync(targetDir);
  writeFileSync(path.join(metadataDir, "root.json"), repo.publishedBytes("root") as Buffer);
  const updater = (o: { referenceTime?: Date; config?: Partial<UpdaterConfig> } = {}) =>
    new Updater({
      metadataDir,
      metadataBaseUrl: METADATA_URL,
      targetDir,
      targetBaseUrl: TARGETS_URL,
      fetcher: sim,
      config: { ...options.config, ...o.config },
      ...(o.referenceTime ? { referenceTime: o.referenceTime } : {}),
    });
  return { repo, sim, signers, metadataDir, targetDir, updater };
}
