/**
 * The checkpoints a monitor compares ("views"): each log copy's, each witness's latest
 * cosigned one, and its previous run's. Every view is verified with the log's key; the
 * cosignatures on it are verified one witness key at a time (keys from the log policy), so
 * a cosignature that does not verify is flagged and ignored instead of hiding the view.
 * Then every pair of views must be consistent, and a witness's view must be served by some
 * copy of the log (its tiles hash to its root).
 */
import { BulwarkError, DownloadHttpError, type Fetcher, HttpFetcher, readAll } from "@bulwark/tuf";
import { type VerifiedCheckpoint, verifyCheckpoint, verifyCheckpointConsistency } from "./checkpoint.js";
import { type CosignatureV1Verifier, splitTimestampedSignature } from "./cosignature.js";
import { decodeBase64 } from "./encoding.js";
import { TlogError } from "./errors.js";
import type { NoteVerifier } from "./note-key.js";
import type { LogStore } from "./store.js";
import { TiledTree } from "./tiled-tree.js";
import { originHash } from "./witness.js";

/** The largest witness checkpoint read. */
const MAX_WITNESS_CHECKPOINT_BYTES = 64 * 1024;

/** A witness whose cosignatures count: its name and key, and where it serves its latest checkpoint. */
export interface MonitoredWitness {
  readonly name: string;
  readonly verifier: CosignatureV1Verifier;
  readonly url?: string;
}

/** A verified checkpoint and where it came from. */
export interface View {
  /** A log URL or folder, `witness <name>`, or `previous run`. */
  readonly source: string;
  readonly verified: VerifiedCheckpoint;
  /** For a log copy: its store. */
  readonly store?: LogStore;
  /** For a witness's view: the witness. */
  readonly witness?: MonitoredWitness;
  /** The witnesses whose cosignatures on it verified, with each cosignature's timestamp. */
  readonly cosigned: ReadonlyMap<string, bigint | undefined>;
}

/** A log copy's view: with its store. */
export type LogView = View & { readonly store: LogStore };

/** Whom to trust: the log's key and origin, and the witnesses' keys. */
export interface ViewTrust {
  readonly origin: string;
  readonly logVerifier: NoteVerifier;
  readonly witnesses: readonly MonitoredWitness[];
}

/** The POSIX timestamp of a verified cosignature (key ID, then u64 timestamp, then signature). */
function timestampOf(base64: string): bigint | undefined {
  const raw = decodeBase64(base64);
  return raw === undefined ? undefined : splitTimestampedSignature(raw.subarray(4))?.timestamp;
}

/**
 * Verifies a checkpoint with the log's key, then each witness's cosignature on it alone:
 * one that does not verify is reported to `warnings` and ignored.
 * @throws {TlogError} when the log's signature, the origin or the body does not check out.
 */
export function openView(
  note: Uint8Array | string,
  source: string,
  trust: ViewTrust,
  warnings: string[],
  extra: { store?: LogStore; witness?: MonitoredWitness } = {},
): View {
  const { origin, logVerifier } = trust;
  const verified = verifyCheckpoint(note, { logVerifier, origin });
  const cosigned = new Map<string, bigint | undefined>();
  for (const w of trust.witnesses) {
    const { name, keyId } = w.verifier;
    if (!verified.ignored.some((s) => s.name === name && s.keyId === keyId)) continue;
    try {
      const withWitness = verifyCheckpoint(note, { logVerifier, origin, witnesses: [w.verifier] });
      const sig = withWitness.cosignatures.find((s) => s.verifier.vkey === w.verifier.vkey);
      if (sig !== undefined) cosigned.set(w.name, timestampOf(sig.base64));
    } catch (error) {
      if (!(error instanceof TlogError)) throw error;
      warnings.push(`${source}: the cosignature of witness ${w.name} does not verify (${error.message}): ignored`);
    }
  }
  return { source, verified, cosigned, ...extra };
}

/** Each witness's latest cosigned checkpoint, with its own cosignature verified; failures are warnings. */
export async function readWitnessViews(
  trust: ViewTrust,
  fetcher: Fetcher | undefined,
  warnings: string[],
): Promise<View[]> {
  const http = fetcher ?? new HttpFetcher({ userAgent: "bulwark-monitor" });
  const out: View[] = [];
  for (const w of trust.witnesses) {
    if (w.url === undefined) continue;
    const url = `${w.url.replace(/\/+$/, "")}/${originHash(trust.origin)}/checkpoint`;
    try {
      const note = await readAll(http, url, { maxLength: MAX_WITNESS_CHECKPOINT_BYTES });
      const view = openView(note, `witness ${w.name}`, trust, warnings, { witness: w });
      if (!view.cosigned.has(w.name)) {
        warnings.push(`witness ${w.name} served a checkpoint without its valid cosignature: ignored`);
        continue;
      }
      out.push(view);
    } catch (error) {
      if (!(error instanceof BulwarkError)) throw error;
      const why =
        error instanceof DownloadHttpError && error.status === 404 ? "has not cosigned this log" : error.message;
      warnings.push(`witness ${w.name}: ${why}`);
    }
  }
  return out;
}

/** Whether two views hold one tree (same size and root). */
export function sameTree(a: View, b: View): boolean {
  const x = a.verified.checkpoint;
  const y = b.verified.checkpoint;
  return x.size === y.size && Buffer.compare(Buffer.from(x.rootHash), Buffer.from(y.rootHash)) === 0;
}

/** Finds, and remembers, which log copy serves the tree of a view (its tiles hash to its root). */
export class ServedTrees {
  readonly #found = new Map<string, LogView | null>();

  constructor(readonly logs: readonly LogView[]) {}

  /** The first log copy whose tiles hash to the view's root, or undefined. */
  async servedBy(view: View): Promise<LogView | undefined> {
    const { size, rootHash } = view.verified.checkpoint;
    const key = `${size}/${Buffer.from(rootHash).toString("hex")}`;
    const known = this.#found.get(key);
    if (known !== undefined) return known ?? undefined;
    let found: LogView | null = null;
    for (const log of this.logs) {
      if (sameTree(log, view)) {
        found = log;
        break;
      }
      try {
        await new TiledTree(log.store, size).verifyRoot(rootHash);
        found = log;
        break;
      } catch (error) {
        if (!(error instanceof BulwarkError)) throw error;
      }
    }
    this.#found.set(key, found);
    return found ?? undefined;
  }

  /**
   * Whether `newer` extends `older`, proven with the tiles of a copy that serves `newer`'s
   * tree; "unverifiable" when no copy does.
   */
  async consistency(older: View, newer: View): Promise<"consistent" | "inconsistent" | "unverifiable"> {
    const log = await this.servedBy(newer);
    if (log === undefined) return "unverifiable";
    const target = newer.verified.checkpoint;
    try {
      const proof = await new TiledTree(log.store, target.size).consistencyProof(older.verified.checkpoint.size);
      verifyCheckpointConsistency(older.verified.checkpoint, target, proof);
      return "consistent";
    } catch (error) {
      if (error instanceof TlogError) return "inconsistent";
      throw error;
    }
  }
}
