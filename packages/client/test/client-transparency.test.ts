/**
 * Release transparency at install time, against the in-memory repository: the root
 * (offline keys) names a log and its witnesses, and UpdateClient downloads a release only
 * with a proof, published beside it, that it is in that log, cosigned by k of those
 * witnesses. The log is written in memory; its witnesses cosign over loopback HTTP.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TestLike } from "@bulwark/testkit";
import {
  appendReleases,
  type CosignatureV1Signer,
  generateKey,
  LOG_POLICY_FIELD,
  LogWriter,
  listenWitness,
  logPolicyToJSON,
  MemoryStore,
  MemoryWitnessState,
  type NoteSigner,
  type NoteVerifier,
  parseCosignerKey,
  parseSignerKey,
  parseVerifierKey,
  releaseEntryFor,
  TlogWitness,
  witness,
} from "@bulwark/tlog";
import type { TargetFile } from "@bulwark/tuf";
import { CLIENT_ERRORS, ClientError, LOG_PROOF_SUFFIX, type UpdateClientOptions } from "../src/index.js";
import { APP, defined, endpoint, rejectsWith, servedPath, setRootField, Vendor } from "./client-kit.js";

const ORIGIN = "updates.example.com/log";

interface LogKey {
  readonly signer: NoteSigner;
  readonly verifier: NoteVerifier;
}

function logKey(): LogKey {
  const key = generateKey(ORIGIN);
  return { signer: parseSignerKey(key.skey), verifier: parseVerifierKey(key.vkey) };
}

/** The vendor's log key, and another one (an attacker's log under the same origin). */
const LOG = logKey();
const OTHER_LOG = logKey();

/** A witness key: its name in root and its cosigning key. */
function witnessKey(name: string): { name: string; signer: CosignatureV1Signer } {
  return { name, signer: parseCosignerKey(generateKey(`${name}.example/witness`).skey) };
}

const W1 = witnessKey("w1");
const W2 = witnessKey("w2");

/** A vendor whose root version 2 requires its log and `threshold` of `witnesses`. */
async function vendorWithLog(witnesses = [W1], threshold = 1): Promise<Vendor> {
  const vendor = await Vendor.create();
  const policy = {
    origin: ORIGIN,
    logVerifier: LOG.verifier,
    witnesses: witnesses.map((w) => witness(w.name, w.signer.verifier())),
    threshold,
  };
  setRootField(vendor, LOG_POLICY_FIELD, logPolicyToJSON(policy));
  await vendor.publish();
  return vendor;
}

/**
 * Logs the release `target` (as listed by the vendor's published targets) in a new log
 * signed with `key`, cosigned by `cosigners` served on 127.0.0.1; returns its proof.
 */
async function logRelease(
  t: TestLike,
  vendor: Vendor,
  target: TargetFile,
  version: string,
  options: { key?: LogKey; cosigners?: ReturnType<typeof witnessKey>[] } = {},
): Promise<string> {
  const key = options.key ?? LOG;
  const writer = await LogWriter.create(new MemoryStore(), { origin: ORIGIN, ...key });
  const endpoints = [];
  for (const w of options.cosigners ?? [W1]) {
    const server = await listenWitness(
      new TlogWitness({
        signer: w.signer,
        logs: [{ origin: ORIGIN, verifiers: [key.verifier] }],
        state: new MemoryWitnessState(),
      }),
    );
    t.after(() => server.close());
    endpoints.push({ name: w.name, url: server.url, verifier: w.signer.verifier() });
  }
  const entry = releaseEntryFor(
    { name: APP, version },
    { path: target.path, length: target.length, sha256: defined(target.hashes.get("sha256"), "sha256") },
    {
      role: "targets",
      version: vendor.repo.targets().signed.version,
      metadata: defined(vendor.repo.publishedBytes("targets"), "targets"),
    },
  );
  const result = await appendReleases(writer, [entry], { witnesses: endpoints });
  return defined(result.proofs[0], "proof").proof;
}

/** Publishes `proof` where the client looks for the proof of `target`. */
function placeProof(vendor: Vendor, target: TargetFile, proof: string | Uint8Array): void {
  vendor.sim.overrides.set(`${servedPath(target)}${LOG_PROOF_SUFFIX}`, Buffer.from(proof));
}

/** Asserts the client refuses to download the offered release with `code`, fetching none of its bytes. */
async function refused(
  t: TestLike,
  vendor: Vendor,
  target: TargetFile,
  code: string,
  message: RegExp,
  options: Partial<UpdateClientOptions> = {},
): Promise<void> {
  const ep = endpoint(t, vendor, options);
  const release = defined(await ep.client.check(), "offer");
  await rejectsWith(ep.client.download(release), ClientError, code, message);
  assert.equal(vendor.sim.requests.includes(servedPath(target)), false, "no byte of the release was fetched");
}

describe("UpdateClient release transparency (root log policy)", () => {
  it("downloads a release whose proof is signed by the log and cosigned by the root's witness", async (t) => {
    const vendor = await vendorWithLog();
    const [target] = await vendor.release({ version: "1.0.0" });
    placeProof(vendor, defined(target, "1.0.0"), await logRelease(t, vendor, defined(target, "1.0.0"), "1.0.0"));
    const ep = endpoint(t, vendor);
    await ep.client.download(defined(await ep.client.check(), "offer"));
    assert.ok(ep.events.includes("release-logged"));
  });

  it("refuses a release with no proof beside it (a secret release nobody can see)", async (t) => {
    const vendor = await vendorWithLog();
    const [target] = await vendor.release({ version: "1.0.0" });
    await refused(t, vendor, defined(target, "1.0.0"), CLIENT_ERRORS.NOT_IN_LOG, /not in the transparency log/);
  });

  it("refuses another release's proof served beside this one", async (t) => {
    const vendor = await vendorWithLog();
    const [old] = await vendor.release({ version: "1.0.0" });
    const proof = await logRelease(t, vendor, defined(old, "1.0.0"), "1.0.0");
    const [target] = await vendor.release({ version: "1.1.0" });
    placeProof(vendor, defined(target, "1.1.0"), proof);
    await refused(t, vendor, defined(target, "1.1.0"), CLIENT_ERRORS.BAD_LOG_PROOF, /another artifact/);
  });

  it("refuses a proof cosigned only by a witness the root does not name (split view)", async (t) => {
    const vendor = await vendorWithLog([W1]);
    const [target] = await vendor.release({ version: "1.0.0" });
    const proof = await logRelease(t, vendor, defined(target, "1.0.0"), "1.0.0", { cosigners: [W2] });
    placeProof(vendor, defined(target, "1.0.0"), proof);
    await refused(t, vendor, defined(target, "1.0.0"), CLIENT_ERRORS.BAD_LOG_PROOF, /fewer than 1/);
  });

  it("refuses a proof from a log whose key the root does not name", async (t) => {
    const vendor = await vendorWithLog();
    const [target] = await vendor.release({ version: "1.0.0" });
    const proof = await logRelease(t, vendor, defined(target, "1.0.0"), "1.0.0", { key: OTHER_LOG, cosigners: [] });
    placeProof(vendor, defined(target, "1.0.0"), proof);
    await refused(t, vendor, defined(target, "1.0.0"), CLIENT_ERRORS.BAD_LOG_PROOF, /not signed by the log key/);
  });

  it("refuses a malformed proof", async (t) => {
    const vendor = await vendorWithLog();
    const [target] = await vendor.release({ version: "1.0.0" });
    placeProof(vendor, defined(target, "1.0.0"), "not a tlog proof\n");
    await refused(t, vendor, defined(target, "1.0.0"), CLIENT_ERRORS.BAD_LOG_PROOF, /log proof/);
  });

  it("refuses a proof over the client's size limit before reading it all (endless-data attack)", async (t) => {
    const vendor = await vendorWithLog();
    const [target] = await vendor.release({ version: "1.0.0" });
    placeProof(vendor, defined(target, "1.0.0"), Buffer.alloc(4096, 0x41));
    await refused(t, vendor, defined(target, "1.0.0"), CLIENT_ERRORS.BAD_LOG_PROOF, /over the 1024 bytes/, {
      logProofLimits: { maxProofBytes: 1024 },
    });
  });

  it("refuses every release when the root's log policy does not parse (fail closed)", async (t) => {
    const vendor = await Vendor.create();
    setRootField(vendor, LOG_POLICY_FIELD, { origin: ORIGIN });
    await vendor.publish();
    const [target] = await vendor.release({ version: "1.0.0" });
    await refused(t, vendor, defined(target, "1.0.0"), CLIENT_ERRORS.BAD_LOG_POLICY, /cannot be read/);
  });
});
