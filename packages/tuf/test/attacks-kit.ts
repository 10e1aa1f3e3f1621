/**
 * Shared pieces of the attack tests (attacks*.test.ts): a client and repository with a
 * controllable clock, an attacker's forging tools, and checks of what the client left on
 * disk after it refused something.
 */
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { METADATA_URL, RepositorySimulator, TARGETS_URL, tempDir, topLevelSigners } from "@bulwark/testkit";
import {
  type BulwarkError,
  computeHashes,
  type ExpiryPolicy,
  type Fetcher,
  Metadata,
  MetaFile,
  PrivateKeySigner,
  Repository,
  type SignedTypes,
  type Signer,
  type Snapshot,
  type TopLevelRoleName,
  Updater,
  type UpdaterConfig,
} from "../src/index.js";

export const DAY_MS = 24 * 3600 * 1000;

/** How a repository under attack is made. */
export interface EnvOptions {
  readonly metaHashes?: boolean;
  readonly thresholds?: Partial<Record<TopLevelRoleName, number>>;
  readonly signers?: Record<TopLevelRoleName, Signer[]>;
  readonly expiry?: Partial<ExpiryPolicy>;
}

export interface UpdaterOverrides {
  readonly referenceTime?: Date;
  readonly config?: Partial<UpdaterConfig>;
}

/** A repository, the simulator serving it, and a client's directories. */
export interface Env {
  readonly repo: Repository;
  readonly sim: RepositorySimulator;
  readonly signers: Record<TopLevelRoleName, Signer[]>;
  /** The temporary tree holding every directory the client may write to (nested three deep). */
  readonly treeDir: string;
  readonly metadataDir: string;
  readonly targetDir: string;
  /** The repository's clock, in epoch milliseconds: set it to sign metadata "in the past". */
  readonly clock: { now: number };
  /** Bytes the client pulled from the server, by URL path (`metadata/timestamp.json`). */
  readonly received: Map<string, number>;
  /** Bytes a case captured earlier (an old version to replay). */
  readonly saved: Map<string, Uint8Array>;
  /** Files (by role) the client may persist although an attacker made them: accepted, validly signed bytes. */
  readonly accepted: Map<string, Uint8Array>;
  updater(overrides?: UpdaterOverrides): Updater;
  /** A full refresh with a new Updater. */
  refresh(overrides?: UpdaterOverrides): Promise<Updater>;
  /** Publishes the repository's changes and serves them. */
  publish(options?: { force?: boolean }): Promise<void>;
}

/** Builds an {@link Env}; the client's metadata directory holds root version 1. */
export async function makeEnv(t: { after(fn: () => void): void }, options: EnvOptions = {}): Promise<Env> {
  const clock = { now: Date.now() };
  const signers = options.signers ?? topLevelSigners();
  const repo = await Repository.create({
    signers,
    metaHashes: options.metaHashes ?? true,
    ...(options.thresholds ? { thresholds: options.thresholds } : {}),
    ...(options.expiry ? { expiry: options.expiry } : {}),
    now: () => clock.now,
  });
  const sim = new RepositorySimulator(repo);
  const treeDir = tempDir(t, "bulwark-attack-");
  const home = path.join(treeDir, "home", "user", "client");
  const metadataDir = path.join(home, "metadata");
  const targetDir = path.join(home, "targets");
  mkdirSync(metadataDir, { recursive: true });
  mkdirSync(targetDir, { recursive: true });
  writeFileSync(path.join(metadataDir, "root.json"), published(repo, "root"));
  const received = new Map<string, number>();
  const fetcher: Fetcher = {
    async *fetch(url, fetchOptions) {
      const key = url.replace(/^https:\/\/repo\.test\//, "");
      for await (const chunk of sim.fetch(url, fetchOptions)) {
        received.set(key, (received.get(key) ?? 0) + chunk.length);
        yield chunk;
      }
    },
  };
  const updater = (o: UpdaterOverrides = {}) =>
    new Updater({
      metadataDir,
      metadataBaseUrl: METADATA_URL,
      targetDir,
      targetBaseUrl: TARGETS_URL,
      fetcher,
      ...(o.config ? { config: o.config } : {}),
      ...(o.referenceTime ? { referenceTime: o.referenceTime } : {}),
    });
  return {
    repo,
    sim,
    signers,
    treeDir,
    metadataDir,
    targetDir,
    clock,
    received,
    saved: new Map(),
    accepted: new Map(),
    updater,
    async refresh(o) {
      const u = updater(o);
      await u.refresh();
      return u;
    },
    async publish(o) {
      await repo.publish(o);
      sim.sync();
    },
  };
}

/** Marks `role` changed and publishes: a new version of it, snapshot and timestamp. */
export async function touchAndPublish(env: Env, role = "targets"): Promise<void> {
  env.repo.touch(role);
  await env.publish();
}

/** The target the delegated role `dev` lists. */
export const DEV_TARGET = "dev/tool.txt";

/**
 * Delegates `dev/*` from `targets` to `dev` (signed by `signers`, `threshold` of them),
 * lists {@link DEV_TARGET} there, publishes, and has the client look it up.
 */
export async function publishDev(
  env: Env,
  signers: readonly Signer[] = [PrivateKeySigner.generate()],
  threshold = 1,
): Promise<void> {
  env.repo.delegate("targets", { name: "dev", paths: ["dev/*"], signers, threshold });
  env.repo.addTarget({ path: DEV_TARGET, data: Buffer.from("dev tool") }, "dev");
  await env.publish();
  assert.ok(await (await env.refresh()).getTargetInfo(DEV_TARGET));
}

/** The last published bytes of `role`. */
export function published(repo: Repository, role: string): Buffer {
  const bytes = repo.publishedBytes(role);
  assert.ok(bytes, `${role} was never published`);
  return bytes;
}

/** The version inside metadata bytes. */
export function versionOf(bytes: Uint8Array): number {
  return Metadata.fromBytes(bytes).signed.version;
}

/** What an attacker holding `signers` can serve: `bytes` edited and re-signed by them alone. */
export async function forge<K extends keyof SignedTypes>(
  type: K,
  bytes: Uint8Array,
  signers: readonly Signer[],
  edit: (signed: SignedTypes[K]) => void = () => undefined,
): Promise<Buffer> {
  const md = Metadata.fromBytes(bytes, type);
  edit(md.signed);
  md.signatures.clear();
  for (const signer of signers) await md.sign(signer);
  return md.toBytes({ indent: 0 });
}

/** `bytes` with the signature of `keyId` removed (a file short of one signer). */
export function withoutSignature(bytes: Uint8Array, keyId: string): Buffer {
  const md = Metadata.fromBytes(bytes);
  assert.ok(md.signatures.delete(keyId), `no signature by ${keyId}`);
  return md.toBytes({ indent: 0 });
}

/** The timestamp or snapshot `meta` entry describing `bytes`, as the repository would write it. */
export function metaFor(repo: Repository, bytes: Uint8Array): MetaFile {
  const version = versionOf(bytes);
  return repo.metaHashes ? new MetaFile(version, bytes.length, computeHashes(bytes)) : new MetaFile(version);
}

/**
 * An attacker holding the snapshot and timestamp keys serves a snapshot one version past
 * the published one, edited by `edit`, and a timestamp (one version past) that lists it.
 * The forged timestamp is validly signed, so the client may keep it: it goes to `accepted`.
 */
export async function forgeSnapshotAndTimestamp(
  env: Env,
  edit: (snapshot: Snapshot) => void,
): Promise<{ snapshot: Buffer; timestamp: Buffer }> {
  const { repo, sim } = env;
  const snapshot = await forge("snapshot", published(repo, "snapshot"), repo.signers("snapshot"), (s) => {
    s.version += 1;
    edit(s);
  });
  const timestamp = await forge("timestamp", published(repo, "timestamp"), repo.signers("timestamp"), (s) => {
    s.version += 1;
    s.snapshotMeta = metaFor(repo, snapshot);
  });
  sim.overrides.set(`metadata/${versionOf(snapshot)}.snapshot.json`, snapshot);
  sim.overrides.set("metadata/timestamp.json", timestamp);
  env.accepted.set("timestamp", timestamp);
  return { snapshot, timestamp };
}

/** Two signers that share one private key under two key IDs (an alias). */
export function aliasedSigners(): [PrivateKeySigner, PrivateKeySigner] {
  const { privateKey } = generateKeyPairSync("ed25519");
  const signer = new PrivateKeySigner(privateKey, "ed25519");
  const aliasId = createHash("sha256").update(`alias of ${signer.keyId}`).digest("hex");
  return [signer, new PrivateKeySigner(privateKey, "ed25519", aliasId)];
}

/** An error class of the Bulwark error tree. */
export type ErrorClass = new (...args: never[]) => BulwarkError;

/** The error a refused attack must raise. */
export interface Expected {
  readonly type: ErrorClass;
  readonly code: string;
  /** Which role or file the message must name. */
  readonly message?: RegExp;
}

/** A validator for `assert.rejects`: exactly this class, this code, and the message. */
export function rejection(expected: Expected): (error: unknown) => true {
  return (error) => {
    assert.ok(
      error instanceof expected.type,
      `expected ${expected.type.name}, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    );
    assert.equal(error.name, expected.type.name, `expected exactly ${expected.type.name}: ${error.message}`);
    assert.equal(error.code, expected.code);
    if (expected.message) assert.match(error.message, expected.message);
    return true;
  };
}

/** Every regular file directly in `dir`, by name; anything else (a directory, a link) fails. */
export function readDir(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    assert.ok(entry.isFile(), `${path.join(dir, entry.name)} is not a regular file`);
    out.set(entry.name, readFileSync(path.join(dir, entry.name)));
  }
  return out;
}

/** A readable summary of files: type, version and a hash prefix for metadata. */
function summary(files: ReadonlyMap<string, Uint8Array>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, data] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    const sha = createHash("sha256").update(data).digest("hex").slice(0, 12);
    let label = `${data.length} bytes`;
    try {
      const md = Metadata.fromBytes(data);
      label = `${md.signed.type} v${md.signed.version}`;
    } catch {
      // not metadata: length and hash say enough
    }
    out[name] = `${label} sha256:${sha}`;
  }
  return out;
}

/**
 * The client's metadata directory holds exactly `before`, except the roles in `advanced`
 * (now the repository's published bytes) and those in `env.accepted`; nothing else.
 */
export function assertMetadataDir(env: Env, before: ReadonlyMap<string, Uint8Array>, advanced: readonly string[]) {
  const expected = new Map(before);
  for (const role of advanced) expected.set(`${role}.json`, published(env.repo, role));
  for (const [role, bytes] of env.accepted) expected.set(`${role}.json`, bytes);
  assert.deepEqual(summary(readDir(env.metadataDir)), summary(expected));
}

/**
 * No file the client wrote holds bytes the attacker served, unless they were accepted or
 * were already on disk before the attack (an old version the attacker replays).
 */
export function assertAttackerBytesNotPersisted(env: Env, before: ReadonlyMap<string, Uint8Array>): void {
  const written = [...readDir(env.metadataDir).values(), ...readDir(env.targetDir).values()];
  const allowed = [...env.accepted.values(), ...before.values()];
  for (const [p, override] of env.sim.overrides) {
    if (!(override instanceof Uint8Array) || allowed.some((a) => Buffer.compare(a, override) === 0)) continue;
    assert.ok(!written.some((w) => Buffer.compare(w, override) === 0), `the attacker's ${p} was persisted`);
  }
}

/** Every path under `dir` (files and directories), relative to it, sorted. */
export function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    out.push(path.relative(dir, path.join(entry.parentPath, entry.name)));
  }
  return out.sort();
}

/** One attack in a data table: how the repository got here, what the attacker serves, what must fail. */
export interface AttackCase {
  /** Named after the attack it stops. */
  readonly name: string;
  readonly env?: EnvOptions;
  /** Skip the first good refresh (when the trusted root itself is the problem). */
  readonly noBaseline?: true;
  /** Legitimate history and client refreshes before the attack; the disk is captured after it. */
  readonly stage?: (env: Env) => Promise<void>;
  /** What the repository and the attacker serve. */
  readonly attack: (env: Env) => Promise<void>;
  /** What the client does; a refresh with a new Updater by default. */
  readonly act?: (env: Env) => Promise<unknown>;
  readonly error: Expected;
  /** Roles the client may legitimately advance (to the published bytes) before the refusal. */
  readonly advances?: readonly string[];
}

/**
 * Runs one {@link AttackCase}: the client refuses with the expected error, its metadata
 * directory holds the previous good files (plus legitimately advanced ones), none of the
 * attacker's bytes were persisted, and nothing was written to the target directory.
 */
export async function runAttack(t: { after(fn: () => void): void }, c: AttackCase): Promise<Env> {
  const env = await makeEnv(t, c.env);
  if (c.noBaseline === undefined) await env.refresh();
  await c.stage?.(env);
  const before = readDir(env.metadataDir);
  await c.attack(env);
  await assert.rejects(c.act?.(env) ?? env.refresh(), rejection(c.error));
  assertMetadataDir(env, before, c.advances ?? []);
  assertAttackerBytesNotPersisted(env, before);
  assert.deepEqual(readdirSync(env.targetDir), [], "nothing may be written to the target directory");
  return env;
}
