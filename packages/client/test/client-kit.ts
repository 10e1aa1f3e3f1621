/**
 * Shared pieces of the UpdateClient tests: a vendor's repository in memory served by the
 * repository simulator (the attacker controls what it serves), releases listed with
 * @bulwark/testkit/releases, and clients installing with the directory strategy into
 * temporary folders. No CLI, no HTTP.
 */
import assert from "node:assert/strict";
import { readFileSync, readlinkSync } from "node:fs";
import path from "node:path";
import {
  METADATA_URL,
  RepositorySimulator,
  TARGETS_URL,
  type TestLike,
  tempDir,
  topLevelSigners,
} from "@bulwark/testkit";
import { addRelease, type TestRelease } from "@bulwark/testkit/releases";
import { type BulwarkError, type JsonValue, Repository, type TargetFile } from "@bulwark/tuf";
import { DirectoryStrategy, type Release, UpdateClient, type UpdateClientOptions } from "../src/index.js";

/** The product every test releases. */
export const APP = "app";

/** The bytes of `version`'s release file: distinct per version (and `variant`), a few KiB. */
export function releaseBytes(version: string, variant = ""): Buffer {
  return Buffer.from(`app ${version}${variant}\n`.repeat(400));
}

/** A vendor: its repository, the simulator serving it, and publishing. */
export class Vendor {
  private constructor(
    readonly repo: Repository,
    readonly sim: RepositorySimulator,
  ) {}

  /** A repository with consistent snapshots, published, served by a simulator. */
  static async create(): Promise<Vendor> {
    const repo = await Repository.create({ signers: topLevelSigners() });
    return new Vendor(repo, new RepositorySimulator(repo));
  }

  /** Lists `APP@version` (with {@link releaseBytes} unless `data` is given); call {@link publish} after. */
  add(release: Partial<TestRelease> & { readonly version: string }): TargetFile {
    return addRelease(this.repo, { name: APP, data: releaseBytes(release.version), ...release });
  }

  /** Lists releases and publishes them. */
  async release(...releases: Array<Partial<TestRelease> & { readonly version: string }>): Promise<TargetFile[]> {
    const targets = releases.map((r) => this.add(r));
    await this.publish();
    return targets;
  }

  /** Signs what changed and serves it. */
  async publish(): Promise<void> {
    await this.repo.publish();
    this.sim.sync();
  }

  /** Serves `bytes` where the release file `target` is fetched from (the attacker replaces it). */
  replace(target: TargetFile, bytes: Uint8Array): void {
    this.sim.overrides.set(servedPath(target), bytes);
  }
}

/** Sets a field of the next root version (`x-bulwark-…` policies); the caller publishes. */
export function setRootField(vendor: Vendor, field: string, value: JsonValue): void {
  const root = vendor.repo.rotateRoot();
  root.unrecognized = { ...root.unrecognized, [field]: value };
}

/** Where the simulator serves a target under consistent snapshots: `targets/<dir>/<sha256>.<name>`. */
export function servedPath(target: TargetFile): string {
  const slash = target.path.lastIndexOf("/");
  return `targets/${target.path.slice(0, slash + 1)}${target.hashes.get("sha256")}.${target.path.slice(slash + 1)}`;
}

/** A client of the vendor's repository, with its folders. */
export interface Endpoint {
  readonly client: UpdateClient;
  readonly dataDir: string;
  readonly strategy: DirectoryStrategy;
  /** Events the client emitted, by name. */
  readonly events: string[];
}

/** A client trusting the vendor's current root, installing with the directory strategy. */
export function endpoint(t: TestLike, vendor: Vendor, options: Partial<UpdateClientOptions> = {}): Endpoint {
  const dir = tempDir(t, "bulwark-client-");
  const strategy = new DirectoryStrategy(path.join(dir, "app"));
  const events: string[] = [];
  const client = new UpdateClient({
    name: APP,
    metadataUrl: METADATA_URL,
    targetsUrl: TARGETS_URL,
    fetcher: vendor.sim,
    trustedRoot: vendor.repo.rootVersions()[0] as Buffer,
    dataDir: path.join(dir, "data"),
    clientId: "client-1",
    install: strategy,
    log: (e) => events.push(e.event),
    ...options,
  });
  return { client, dataDir: path.join(dir, "data"), strategy, events };
}

/** The version `<root>/current` points at, or undefined. */
export function currentVersion(ep: Endpoint): string | undefined {
  try {
    return path.basename(readlinkSync(ep.strategy.currentLink));
  } catch {
    return undefined;
  }
}

/** The installed copy of `version`'s release file. */
export function installedBytes(ep: Endpoint, release: Release): Buffer {
  const name = release.target.path.slice(release.target.path.lastIndexOf("/") + 1);
  return readFileSync(path.join(ep.strategy.location(release.version), name));
}

/** A value that must be there. */
export function defined<T>(value: T | undefined, what: string): T {
  assert.ok(value !== undefined, `${what} is undefined`);
  return value;
}

/** Asserts `promise` rejects with an error of class `cls` and this `code`; returns the error. */
export async function rejectsWith<E extends BulwarkError>(
  promise: Promise<unknown>,
  cls: abstract new (...args: never[]) => E,
  code: string,
  message?: RegExp,
): Promise<E> {
  let caught: E | undefined;
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof cls, `expected a ${cls.name}, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message !== undefined) assert.match(error.message, message);
    caught = error;
    return true;
  });
  return caught as E;
}

/** The release of `version` the client is offered (revoked ones included). */
export async function releaseNamed(ep: Endpoint, version: string): Promise<Release> {
  return defined(
    (await ep.client.releases()).find((r) => r.version === version),
    `release ${version}`,
  );
}
