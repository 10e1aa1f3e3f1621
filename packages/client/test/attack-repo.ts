/**
 * A vendor's repository in memory (the simulator of @bulwark/testkit) with Bulwark
 * releases in it, a client of it, and an install strategy that only records what it was
 * asked to run: enough to play the attacker who holds the online keys or the CDN.
 */
import { Buffer } from "node:buffer";
import {
  attestationBundlePath,
  type ClientEvent,
  formatReleaseIndex,
  type IndexEntry,
  type InstallStrategy,
  indexPath,
  type JournalVersion,
  type Release,
  UpdateClient,
  type UpdateClientOptions,
} from "@bulwark/client";
import {
  METADATA_URL,
  RepositorySimulator,
  TARGETS_URL,
  type TestLike,
  tempDir,
  topLevelSigners,
} from "@bulwark/testkit";
import { type JsonObject, Repository } from "@bulwark/tuf";

/** The product every test here updates. */
export const APP = "app";

/** An install strategy that keeps versions in memory: what is "running" is `active()`. */
export class RecordingStrategy implements InstallStrategy {
  readonly kind = "recording";
  readonly prepared = new Set<string>();
  current: string | undefined;

  async prepare(release: Release): Promise<void> {
    this.prepared.add(release.version);
  }

  async activate(to: JournalVersion | undefined): Promise<void> {
    this.current = to?.version;
  }

  async active(): Promise<string | undefined> {
    return this.current;
  }

  async discard(version: string): Promise<void> {
    this.prepared.delete(version);
  }

  location(version: string): string {
    return `/versions/${version}`;
  }
}

/** A release as the vendor (or whoever holds the online keys) lists it. */
export interface Listing {
  readonly version: string;
  /** The release file's name; `app-<version>.tar.gz` by default. */
  readonly fileName?: string;
  readonly bytes?: Uint8Array;
  /** An attestation bundle, listed beside the file and named in `custom.bulwark.attestations`. */
  readonly bundle?: Uint8Array;
  /** `custom.bulwark` fields added or replaced, e.g. `revoked`. */
  readonly custom?: JsonObject;
}

/** The vendor's repository, served by the simulator, with the product's release index. */
export class Vendor {
  readonly sim: RepositorySimulator;
  private readonly index = new Map<string, IndexEntry>();

  private constructor(
    readonly repo: Repository,
    /** Root version 1, as an app built then bundles it. */
    readonly firstRoot: Uint8Array,
    /** The repository's clock: `offset` ms are added to now (negative: sign already-expired metadata). */
    readonly clock: { offset: number },
  ) {
    this.sim = new RepositorySimulator(repo);
  }

  static async create(): Promise<Vendor> {
    const clock = { offset: 0 };
    const repo = await Repository.create({ signers: topLevelSigners(), now: () => Date.now() + clock.offset });
    await repo.publish();
    return new Vendor(repo, repo.publishedBytes("root") as Buffer, clock);
  }

  /** Lists (or re-lists) a release and its index entry, signs what changed and serves it. */
  async list(listing: Listing): Promise<void> {
    const target = `${APP}/${listing.version}/${listing.fileName ?? `${APP}-${listing.version}.tar.gz`}`;
    const bytes = listing.bytes ?? Buffer.from(`${APP} ${listing.version}`);
    const bulwark: JsonObject = { name: APP, version: listing.version, channel: "stable" };
    if (listing.bundle !== undefined) {
      this.repo.addTarget({ path: attestationBundlePath(target), data: listing.bundle });
      bulwark.attestations = [attestationBundlePath(target)];
    }
    Object.assign(bulwark, listing.custom);
    this.repo.addTarget({ path: target, data: bytes, custom: { bulwark } });
    this.index.set(listing.version, { version: listing.version, channel: "stable", target });
    this.repo.addTarget({
      path: indexPath(APP),
      data: formatReleaseIndex({ name: APP, releases: [...this.index.values()] }),
    });
    await this.publish();
  }

  /** Signs what changed and serves it. */
  async publish(): Promise<void> {
    await this.repo.publish();
    this.sim.sync();
  }

  /** Serves a new timestamp that expired a day ago: a repository whose metadata went stale. */
  async serveExpiredTimestamp(): Promise<void> {
    this.clock.offset = -2 * 24 * 3600 * 1000;
    await this.repo.refreshTimestamp();
    this.clock.offset = 0;
    this.sim.sync();
  }
}

/** A client of `vendor`'s repository that trusts root version 1 first, and its events. */
export function clientOf(
  t: TestLike,
  vendor: Vendor,
  options: Partial<UpdateClientOptions> = {},
): { client: UpdateClient; install: RecordingStrategy; events: ClientEvent[]; dataDir: string } {
  const install = new RecordingStrategy();
  const events: ClientEvent[] = [];
  const dataDir = tempDir(t);
  const client = new UpdateClient({
    name: APP,
    metadataUrl: METADATA_URL,
    targetsUrl: TARGETS_URL,
    trustedRoot: vendor.firstRoot,
    dataDir,
    fetcher: vendor.sim,
    install,
    log: (event) => events.push(event),
    ...options,
  });
  return { client, install, events, dataDir };
}
