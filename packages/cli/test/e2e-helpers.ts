/**
 * End-to-end helpers for the update client: a vendor repository made with the real CLI
 * (`repo init --single-key`, `release add`, `repo publish`, `release rollout`, `release
 * revoke`) and served over loopback HTTP, endpoints (an `UpdateClient` with a
 * `DirectoryStrategy` in temporary folders), small tar and zip writers for hostile
 * archives, and a snapshot of an endpoint's state for "nothing changed" assertions.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { deflateRawSync, gzipSync } from "node:zlib";
import {
  DirectoryStrategy,
  type DirectoryStrategyOptions,
  type HealthCheck,
  type Release,
  UpdateClient,
  type UpdateClientOptions,
} from "@bulwark/client";
import { createStaticServer, type StaticServer } from "@bulwark/publisher";
import type { TestLike } from "@bulwark/testkit";
import { Updater as TufJsUpdater } from "tuf-js";
import { tarGz } from "../src/quickstart/demo-archive.js";
import { initRepo, runCli, tempDir } from "./helpers.js";

/** The product every e2e repository publishes. */
export const APP = "app";

/**
 * The files of a well-behaved release: `VERSION`, `bin/app`, and `bin/selftest`, a health
 * check that fails when the environment names this version in `BULWARK_FAIL_VERSION`.
 */
export function demoFiles(version: string, extra: Readonly<Record<string, string | Buffer>> = {}) {
  return {
    VERSION: `${version}\n`,
    "bin/app": `#!/bin/sh\necho "app ${version}"\n`,
    "bin/selftest": `#!/bin/sh\ntest "$BULWARK_FAIL_VERSION" != "${version}"\n`,
    ...extra,
  };
}

/** Options of {@link Vendor.add}. */
export interface AddOptions {
  readonly channel?: string;
  readonly platform?: string;
  /** The release file's name (default app-VERSION.tar.gz). */
  readonly fileName?: string;
}

/** A vendor repository on disk, served over loopback HTTP from its `public/` folder. */
export class Vendor {
  private constructor(
    readonly dir: string,
    readonly work: string,
    readonly server: StaticServer,
  ) {}

  /** `bulwark repo init --single-key` (or `initArgs`) in a temporary folder, served at once. */
  static async create(t: TestLike, initArgs?: string[]): Promise<Vendor> {
    const dir = await initRepo(t, initArgs);
    const server = await createStaticServer(path.join(dir, "public"));
    t.after(() => server.close());
    return new Vendor(dir, path.dirname(dir), server);
  }

  get metadataUrl(): string {
    return `${this.server.url}metadata/`;
  }

  get targetsUrl(): string {
    return `${this.server.url}targets/`;
  }

  /** The root clients are shipped with. */
  root(): Buffer {
    return readFileSync(path.join(this.dir, "public", "metadata", "1.root.json"));
  }

  /** `bulwark release add` of `bytes` (a release file) as APP@version; not published yet. */
  async add(version: string, bytes: Uint8Array, options: AddOptions = {}): Promise<void> {
    const file = path.join(this.work, options.fileName ?? `${APP}-${version}.tar.gz`);
    writeFileSync(file, bytes);
    const argv = ["release", "add", this.dir, file, "--name", APP, "--version", version];
    if (options.channel) argv.push("--channel", options.channel);
    if (options.platform) argv.push("--platform", options.platform);
    await cli(argv);
  }

  async publish(): Promise<void> {
    await cli(["repo", "publish", this.dir]);
  }

  /** Adds and publishes a release made of {@link demoFiles}. */
  async release(version: string, options: AddOptions = {}): Promise<void> {
    await this.add(version, tarGz(demoFiles(version)), options);
    await this.publish();
  }

  async rollout(version: string, percent: number): Promise<void> {
    await cli(["release", "rollout", this.dir, `${APP}@${version}`, "--percent", String(percent)]);
  }

  async revoke(version: string, reason = "a bad release"): Promise<void> {
    await cli(["release", "revoke", this.dir, `${APP}@${version}`, "--reason", reason]);
  }
}

/** Runs `bulwark argv` in process and fails the test unless it exits 0. */
/**
 * A tuf-js 5.0.1 client (another implementation) that trusted the vendor's first root and has
 * refreshed; with the root it now trusts, as it stored it.
 */
export async function tufJsPeer(
  t: TestLike,
  vendor: Vendor,
): Promise<{ updater: TufJsUpdater; targetDir: string; trustedRoot: { signed: Record<string, unknown> } }> {
  const work = tempDir(t, "bulwark-tufjs-");
  const metadataDir = path.join(work, "metadata");
  const targetDir = path.join(work, "targets");
  mkdirSync(metadataDir);
  mkdirSync(targetDir);
  writeFileSync(path.join(metadataDir, "root.json"), vendor.root());
  const updater = new TufJsUpdater({
    metadataDir,
    metadataBaseUrl: `${vendor.server.url}metadata`,
    targetDir,
    targetBaseUrl: `${vendor.server.url}targets`,
  });
  await updater.refresh();
  const trustedRoot = JSON.parse(readFileSync(path.join(metadataDir, "root.json"), "utf8")) as {
    signed: Record<string, unknown>;
  };
  return { updater, targetDir, trustedRoot };
}

export async function cli(argv: string[]): Promise<string> {
  const run = await runCli(argv);
  assert.equal(run.code, 0, `bulwark ${argv.join(" ")} failed: ${run.stderr}`);
  return run.stdout;
}

/** An endpoint: an update client with its own data and application folders. */
export interface Endpoint {
  readonly client: UpdateClient;
  readonly appDir: string;
  readonly dataDir: string;
  readonly strategy: DirectoryStrategy;
  /** Every event the client emitted, in order. */
  readonly events: Array<{ event: string; version?: string; at: number }>;
}

/** Options of {@link endpoint}. */
export interface EndpointOptions {
  readonly channel?: string;
  readonly platform?: string;
  readonly clientId?: string;
  readonly healthCheck?: HealthCheck;
  readonly strategy?: DirectoryStrategyOptions;
  /** Fetch through this server instead of the vendor's (a proxy), e.g. `http://127.0.0.1:8081/`. */
  readonly baseUrl?: string;
  /** Reuse these folders (a second client on the same installation). */
  readonly dirs?: { readonly appDir: string; readonly dataDir: string };
}

/** A new endpoint of `vendor`'s repository, in temporary folders. */
export function endpoint(t: TestLike, vendor: Vendor, options: EndpointOptions = {}): Endpoint {
  const base = options.dirs === undefined ? tempDir(t, "bulwark-endpoint-") : "";
  const appDir = options.dirs?.appDir ?? path.join(base, "app");
  const dataDir = options.dirs?.dataDir ?? path.join(base, "data");
  const strategy = new DirectoryStrategy(appDir, options.strategy ?? {});
  const events: Endpoint["events"] = [];
  const clientOptions: UpdateClientOptions = {
    name: APP,
    metadataUrl: options.baseUrl ? `${options.baseUrl}metadata/` : vendor.metadataUrl,
    targetsUrl: options.baseUrl ? `${options.baseUrl}targets/` : vendor.targetsUrl,
    trustedRoot: vendor.root(),
    dataDir,
    install: strategy,
    platform: options.platform ?? "linux-x64",
    ...(options.channel ? { channel: options.channel } : {}),
    ...(options.clientId ? { clientId: options.clientId } : {}),
    ...(options.healthCheck ? { healthCheck: options.healthCheck } : {}),
    log: (e) => events.push({ event: e.event, ...(e.version ? { version: e.version } : {}), at: Date.now() }),
  };
  return { client: new UpdateClient(clientOptions), appDir, dataDir, strategy, events };
}

/** The signed release `version` as the endpoint sees it (revoked ones included). */
export async function releaseOf(ep: Endpoint, version: string): Promise<Release> {
  const release = (await ep.client.releases()).find((r) => r.version === version);
  assert.ok(release, `${version} is not listed for this endpoint`);
  return release;
}

/** Where `current` points (relative), or null. */
export function currentLink(ep: Endpoint): string | null {
  try {
    return readlinkSync(path.join(ep.appDir, "current"));
  } catch {
    return null;
  }
}

/** Every file, folder and link under `dir`: `path kind detail`, sorted. */
export function treeOf(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    let names: string[];
    try {
      names = readdirSync(path.join(dir, rel)).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const r = rel === "" ? name : `${rel}/${name}`;
      const full = path.join(dir, r);
      const st = lstatSync(full);
      if (st.isSymbolicLink()) out.push(`${r} link ${readlinkSync(full)}`);
      else if (st.isDirectory()) {
        out.push(`${r} dir`);
        walk(r);
      } else {
        const sha = createHash("sha256").update(readFileSync(full)).digest("hex");
        out.push(`${r} file ${(st.mode & 0o777).toString(8)} ${sha}`);
      }
    }
  };
  walk("");
  return out;
}

/** What must not change when a release is refused: the app folder (link, versions/) and the journal. */
export function endpointState(ep: Endpoint): { app: string[]; journal: string | null } {
  let journal: string | null = null;
  try {
    journal = readFileSync(path.join(ep.dataDir, "journal.json"), "utf8");
  } catch {
    journal = null;
  }
  return { app: treeOf(ep.appDir), journal };
}

/** The files of `current/` as name → content, for comparing with an archive's input. */
export function installedFiles(ep: Endpoint): Record<string, string> {
  const root = path.join(ep.appDir, "current");
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(root, rel)).sort()) {
      const r = rel === "" ? name : `${rel}/${name}`;
      if (lstatSync(path.join(root, r)).isDirectory()) walk(r);
      else out[r] = readFileSync(path.join(root, r), "utf8");
    }
  };
  walk("");
  return out;
}

// ---------------------------------------------------------------------------------------
// hostile archives, byte by byte

/** One tar entry: a file (`0`), a folder (`5`), a symbolic (`2`) or hard (`1`) link. */
export interface RawTarEntry {
  readonly name: string;
  readonly type?: "0" | "1" | "2" | "5";
  readonly data?: Buffer | string;
  readonly linkname?: string;
  readonly mode?: number;
}

function tarHeader(entry: RawTarEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  const text = (offset: number, length: number, value: string) => h.write(value, offset, length, "utf8");
  const octal = (offset: number, length: number, value: number) =>
    text(offset, length, `${value.toString(8).padStart(length - 1, "0")}\0`);
  text(0, 100, entry.name);
  octal(100, 8, entry.mode ?? (entry.type === "5" ? 0o755 : 0o644));
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, 1_700_000_000);
  h.fill(0x20, 148, 156);
  text(156, 1, entry.type ?? "0");
  text(157, 100, entry.linkname ?? "");
  text(257, 6, "ustar\0");
  text(263, 2, "00");
  let sum = 0;
  for (const b of h) sum += b;
  text(148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return h;
}

/** A ustar archive of `entries`, names written exactly as given (`..`, `/` and all). */
export function rawTar(entries: readonly RawTarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = entry.data === undefined ? Buffer.alloc(0) : Buffer.from(entry.data);
    parts.push(tarHeader(entry, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** {@link rawTar}, gzipped. */
export function rawTarGz(entries: readonly RawTarEntry[]): Buffer {
  return gzipSync(rawTar(entries), { level: 9 });
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const b of data) crc = (CRC_TABLE[(crc ^ b) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** One zip entry; `unixMode` (e.g. 0o120777 for a symbolic link) goes in the external attributes. */
export interface RawZipEntry {
  readonly name: string;
  readonly data?: Buffer | string;
  readonly unixMode?: number;
  readonly deflate?: boolean;
  /** Written as the uncompressed size instead of the data's length (a lying zip bomb). */
  readonly declaredSize?: number;
}

/** A zip archive (stored or deflated entries, no data descriptors), names written exactly as given. */
export function rawZip(entries: readonly RawZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, "utf8");
    const data = entry.data === undefined ? Buffer.alloc(0) : Buffer.from(entry.data);
    const body = entry.deflate ? deflateRawSync(data) : data;
    const method = entry.deflate ? 8 : 0;
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(entry.declaredSize ?? data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix
    dir.writeUInt16LE(20, 6);
    dir.writeUInt16LE(0x0800, 8);
    dir.writeUInt16LE(method, 10);
    dir.writeUInt32LE(crc, 16);
    dir.writeUInt32LE(body.length, 20);
    dir.writeUInt32LE(entry.declaredSize ?? data.length, 24);
    dir.writeUInt16LE(name.length, 28);
    dir.writeUInt32LE(((entry.unixMode ?? 0o100644) << 16) >>> 0, 38);
    dir.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    central.push(dir, name);
    offset += local.length + name.length + body.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
