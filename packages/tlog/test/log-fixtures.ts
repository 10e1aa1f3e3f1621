/** Shared test fixtures: a release log in memory, its forks, release entries and witnesses. */
import { createHash } from "node:crypto";
import {
  type CosignatureV1Signer,
  formatReleaseEntry,
  generateKey,
  LogWriter,
  MemoryStore,
  MemoryWitnessState,
  type NoteVerifier,
  parseCosignerKey,
  parseSignerKey,
  parseVerifierKey,
  type ReleaseEntry,
  TiledTree,
  TlogWitness,
  type WitnessOptions,
} from "../src/index.js";

export const ORIGIN = "example.com/releases";
const LOG_KEY = generateKey(ORIGIN);

/** The log's key pair (one per test process). */
export const logKey = {
  skey: LOG_KEY.skey,
  vkey: LOG_KEY.vkey,
  signer: parseSignerKey(LOG_KEY.skey),
  verifier: parseVerifierKey(LOG_KEY.vkey) as NoteVerifier,
};

/** Writer options of the test log. */
export function logOptions() {
  return { origin: ORIGIN, signer: logKey.signer, verifier: logKey.verifier };
}

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

/** A release entry for `app@version` (`variant` changes its digest: a fork's different entry). */
export function release(version: string, variant = ""): ReleaseEntry {
  return {
    name: "app",
    version,
    path: `app/app-${version}.tar.gz`,
    sha256: sha(`app ${version}${variant}`),
    length: 1000 + version.length,
    targets: { role: "targets", version: 1, sha256: sha(`targets ${version}`) },
  };
}

/** A log in memory holding the releases of `versions`, one batch each. */
export async function memoryLog(versions: readonly string[], variant = ""): Promise<LogWriter> {
  const writer = await LogWriter.create(new MemoryStore(), logOptions());
  for (const v of versions) await writer.append([formatReleaseEntry(release(v, variant))]);
  return writer;
}

/** Appends more releases to a log. */
export async function appendTo(writer: LogWriter, versions: readonly string[], variant = ""): Promise<string> {
  for (const v of versions) await writer.append([formatReleaseEntry(release(v, variant))]);
  return writer.checkpoint;
}

/** The consistency proof from `oldSize` to the writer's current size, from its tiles. */
export function proofFrom(writer: LogWriter, oldSize: bigint): Promise<Uint8Array[]> {
  return new TiledTree(writer.store, writer.size).consistencyProof(oldSize);
}

/** A witness key pair. */
export function witnessKey(name: string): { signer: CosignatureV1Signer; vkey: string } {
  const { skey } = generateKey(name);
  const signer = parseCosignerKey(skey);
  return { signer, vkey: signer.verifier().vkey };
}

/** A witness of the test log, state in memory unless given. */
export function makeWitness(name = "witness.example/w1", extra: Partial<WitnessOptions> = {}): TlogWitness {
  return new TlogWitness({
    signer: witnessKey(name).signer,
    logs: [{ origin: ORIGIN, verifiers: [logKey.verifier] }],
    state: new MemoryWitnessState(),
    ...extra,
  });
}
