/**
 * Helpers of the transparency tests: a vendor repository whose root requires its release
 * log (made with `bulwark log init`, the policy set with `bulwark log policy set`), and
 * witnesses served in process over loopback HTTP (`listenWitness`), which a test can stop
 * and start again.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  CosignatureV1Signer,
  listenWitness,
  MemoryWitnessState,
  parseVerifierKey,
  releaseProofPath,
  TlogWitness,
  type WitnessServer,
} from "@bulwark/tlog";
import { hashPrefixedPath, isJsonObject, type JsonObject } from "@bulwark/tuf";
import { Vendor } from "./e2e-helpers.js";
import { type CliRun, runCli, startBulwarkServer } from "./helpers.js";
import { ok, openRepo, SEPARATE_ROOT, sha256, type TestLike } from "./verified-builds-helpers.js";

/** The origin of every test log. */
export const ORIGIN = "updates.example.com/log";

/** A witness in this process: its name, key and the URL it listens on now. */
export class TestWitness {
  private server: WitnessServer | undefined;

  private constructor(
    readonly name: string,
    readonly signer: CosignatureV1Signer,
    private readonly witness: TlogWitness,
  ) {}

  /** A witness of the log `logVkey`, listening on 127.0.0.1, closed after the test. */
  static async start(t: TestLike, name: string, logVkey: string): Promise<TestWitness> {
    const signer = new CosignatureV1Signer(`${name}.example/witness`, randomBytes(32));
    const witness = new TlogWitness({
      signer,
      logs: [{ origin: ORIGIN, verifiers: [parseVerifierKey(logVkey)] }],
      state: new MemoryWitnessState(),
    });
    const w = new TestWitness(name, signer, witness);
    await w.up();
    t.after(() => w.down());
    return w;
  }

  get vkey(): string {
    return this.signer.verifier().vkey;
  }

  get url(): string {
    assert.ok(this.server, `witness ${this.name} is down`);
    return this.server.url;
  }

  /** Starts listening (again: on a new port, with the state it had). */
  async up(): Promise<void> {
    this.server ??= await listenWitness(this.witness);
  }

  /** Stops listening: the witness is unreachable. */
  async down(): Promise<void> {
    await this.server?.close();
    this.server = undefined;
  }

  /** `--witness NAME=VKEY@URL`. */
  option(): string {
    return `${this.name}=${this.vkey}@${this.url}`;
  }
}

/** A vendor repository whose published root requires its log and k of the witnesses. */
export interface LoggedVendor {
  readonly vendor: Vendor;
  /** The log folder and its verifier key. */
  readonly logDir: string;
  readonly logVkey: string;
  readonly witnesses: readonly TestWitness[];
}

/**
 * `log init` beside `vendor`'s repository, witnesses started, and `log policy set --log-dir
 * ... --threshold k` staged (not published); with the policy command's run.
 */
export async function enableLog(
  t: TestLike,
  vendor: Vendor,
  names = ["w1", "w2"],
  threshold = 2,
): Promise<LoggedVendor & { readonly set: CliRun }> {
  const logDir = path.join(vendor.work, "release-log");
  const init = await ok(["log", "init", logDir, "--origin", ORIGIN, "--json"]);
  const logVkey = init.json<{ vkey: string }>().vkey;
  const witnesses: TestWitness[] = [];
  for (const name of names) witnesses.push(await TestWitness.start(t, name, logVkey));
  const set = await ok([
    ...["log", "policy", "set", vendor.dir, "--log-dir", logDir, "--threshold", String(threshold)],
    ...witnesses.flatMap((w) => ["--witness", w.option()]),
  ]);
  return { vendor, logDir, logVkey, witnesses, set };
}

/**
 * `repo init` (a root key apart from the online keys), `log init`, witnesses started, and
 * `log policy set --log-dir ... --threshold k` published as root version 2.
 */
export async function vendorWithLog(t: TestLike, names = ["w1", "w2"], threshold = 2): Promise<LoggedVendor> {
  const vendor = await Vendor.create(t, SEPARATE_ROOT);
  const { set: _, ...logged } = await enableLog(t, vendor, names, threshold);
  await vendor.publish();
  return logged;
}

/** The public files of a target's proof: beside the hash-prefixed file, and under the plain name. */
export function proofFiles(vendor: Vendor, targetPath: string, bytes: Uint8Array): { prefixed: string; plain: string } {
  const targets = path.join(vendor.dir, "public", "targets");
  const prefixed = hashPrefixedPath(targetPath, sha256(bytes));
  return {
    prefixed: path.join(targets, ...releaseProofPath(prefixed).split("/")),
    plain: path.join(targets, ...releaseProofPath(targetPath).split("/")),
  };
}

/** Publishes `proof` as the proof of `targetPath` (both names). */
export function placeProof(vendor: Vendor, targetPath: string, bytes: Uint8Array, proof: Uint8Array | string): void {
  const files = proofFiles(vendor, targetPath, bytes);
  writeFileSync(files.prefixed, proof);
  writeFileSync(files.plain, proof);
}

/** The published proof of `targetPath`. */
export function readProof(vendor: Vendor, targetPath: string, bytes: Uint8Array): string {
  return readFileSync(proofFiles(vendor, targetPath, bytes).prefixed, "utf8");
}

/** `bulwark repo publish DIR --json`, whatever its exit code. */
export function publishJson(vendor: Vendor) {
  return runCli(["repo", "publish", vendor.dir, "--json"]);
}

/** Starts `bulwark witness serve` as a real process; resolves with its URL once listening. */
export async function startWitness(t: TestLike, state: string, logVkey: string, extra: string[] = []): Promise<string> {
  const argv = [
    "witness",
    "serve",
    "--state",
    state,
    "--log-vkey",
    logVkey,
    ...extra,
    "--port",
    "0",
    "--json",
    "--quiet",
  ];
  return (await startBulwarkServer(t, argv)).url;
}

/**
 * The attacker with the online keys: re-signs `file`'s `custom.bulwark` as `edit` makes it
 * and publishes without logging anything.
 */
export async function resignUnlogged(
  vendor: Vendor,
  file: string,
  edit: (bulwark: JsonObject) => JsonObject,
): Promise<void> {
  const repoDir = await openRepo(vendor.dir);
  await repoDir.locked(async () => {
    const repo = await repoDir.load();
    const role = repo.roleForTarget(file);
    const target = repo.targets(role).signed.targets.get(file);
    assert.ok(target);
    const bulwark = target.custom?.bulwark;
    assert.ok(isJsonObject(bulwark));
    target.custom = { ...target.custom, bulwark: edit(bulwark) };
    repo.touch(role);
    await repoDir.publish(repo, { unlogged: true });
  });
}
