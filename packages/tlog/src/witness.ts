/**
 * A c2sp.org/tlog-witness witness: it cosigns a log's checkpoint only when it extends the
 * last checkpoint it cosigned for that log, so a log cannot show two histories to two
 * groups of clients (a split view) or take back entries (a rollback) without every client
 * that checks k witnesses noticing.
 *
 * `add-checkpoint` runs the spec's checks in the spec's order, each cited below. Checking
 * the old size and recording the new checkpoint happen under one lock per origin, and the
 * record is durable before the cosignature is returned (the spec's race of requests A and
 * B cannot roll the witness back). This module has no I/O of its own: the HTTP face is
 * witness-http.ts, the state a {@link WitnessStateStore}.
 *
 * Beyond the spec, a log can be witnessed with data availability (its `publicUrl` or
 * `publicStore` set): after the spec's checks pass, and before anything is recorded, the
 * witness reads the new checkpoint's tree from the log's public tiles and refuses one whose
 * new entries it cannot fetch (witness-availability.ts), so a log key used to extend a
 * private copy of the log cannot get cosignatures for it.
 */
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { readFileIfExists, StorageError, syncDirectory, writeFileAtomic } from "@bulwark/tuf";
import { type VerifiedCheckpoint, verifyCheckpoint, verifyCheckpointConsistency } from "./checkpoint.js";
import type { CosignatureV1Signer } from "./cosignature.js";
import { bytesEqual, encodeUtf8 } from "./encoding.js";
import { TLOG_ERRORS, TlogError, type TlogErrorCode, usageError } from "./errors.js";
import type { NoteVerifier } from "./note-key.js";
import { openNote, UnverifiedNoteError } from "./signed-note.js";
import type { LogStore } from "./store.js";
import { checkDataAvailability, type DataAvailabilityLimits } from "./witness-availability.js";
import { type AddCheckpointRequest, parseAddCheckpointRequest } from "./witness-request.js";

/** Where a witness keeps the latest checkpoint it cosigned for each origin. */
export interface WitnessStateStore {
  /** The stored note for `origin`, or undefined when the witness never cosigned for it. */
  load(origin: string): Promise<Uint8Array | undefined>;
  /** Stores the note for `origin` atomically and durably before resolving. */
  save(origin: string, note: Uint8Array): Promise<void>;
}

/** The lowercase hex SHA-256 of an origin: how the state folder and the monitoring URL name a log. */
export function originHash(origin: string): string {
  return createHash("sha256").update(origin, "utf8").digest("hex");
}

/** Witness state in memory, for tests. */
export class MemoryWitnessState implements WitnessStateStore {
  readonly #notes = new Map<string, Uint8Array>();

  async load(origin: string): Promise<Uint8Array | undefined> {
    return this.#notes.get(origin);
  }

  async save(origin: string, note: Uint8Array): Promise<void> {
    this.#notes.set(origin, new Uint8Array(note));
  }
}

/**
 * Witness state in a folder: `DIR/<sha256(origin) hex>/checkpoint`, each written to a
 * temporary file, fsynced and renamed, and the folder fsynced. The folder can be served
 * statically as the witness's monitoring prefix.
 */
export class FolderWitnessState implements WitnessStateStore {
  constructor(readonly dir: string) {}

  /** The file of an origin's checkpoint. */
  fileOf(origin: string): string {
    return path.join(this.dir, originHash(origin), "checkpoint");
  }

  /** @throws {StorageError} */
  async load(origin: string): Promise<Uint8Array | undefined> {
    const bytes = await readFileIfExists(this.fileOf(origin));
    return bytes === undefined ? undefined : new Uint8Array(bytes);
  }

  /** @throws {StorageError} */
  async save(origin: string, note: Uint8Array): Promise<void> {
    const file = this.fileOf(origin);
    let made: string | undefined;
    try {
      made = await fs.mkdir(path.dirname(file), { recursive: true });
    } catch (cause) {
      throw new StorageError(`cannot create ${path.dirname(file)}: ${(cause as Error).message}`, { cause });
    }
    await writeFileAtomic(file, note);
    // A new origin's folder is an entry of the state folder: make that durable too.
    if (made !== undefined) await syncDirectory(path.dirname(path.dirname(file)));
  }
}

/** A log a witness knows: its origin and the keys that may sign its checkpoints. */
export interface WitnessedLog {
  readonly origin: string;
  readonly verifiers: readonly NoteVerifier[];
  /**
   * The log's public URL (its tlog-tiles prefix). When set, the witness cosigns only a
   * checkpoint whose new entries it read from there (data availability).
   */
  readonly publicUrl?: string;
  /** The log's public resources read from this store instead of `publicUrl` (a mirror, a test). */
  readonly publicStore?: LogStore;
}

/** A witness's key, logs, state and clock. */
export interface WitnessOptions {
  /** The witness's cosigning key. */
  readonly signer: CosignatureV1Signer;
  /** The logs it witnesses. */
  readonly logs: readonly WitnessedLog[];
  /** Where it records the latest checkpoint of each log. */
  readonly state: WitnessStateStore;
  /** POSIX seconds for cosignature timestamps (default: now). */
  readonly clock?: () => bigint;
  /**
   * Told about refused checkpoints that carry a valid log signature (a fork, a rollback, a
   * proof that does not verify): signed evidence of log misbehaviour, worth keeping.
   */
  readonly onEvidence?: (evidence: WitnessEvidence) => void;
  /** Limits of the data-availability check of logs with a public URL or store. */
  readonly availability?: DataAvailabilityLimits;
}

/** A validly signed checkpoint the witness refused, with what it had cosigned before. */
export interface WitnessEvidence {
  readonly origin: string;
  readonly code: TlogErrorCode;
  /** The refused checkpoint note, as sent. */
  readonly checkpoint: string;
  /** The note the witness had recorded (its latest cosigned checkpoint). */
  readonly latest?: string;
}

/**
 * The status of a refusal for data availability. The spec assigns none (it has no such
 * check); 424 Failed Dependency (RFC 4918, 11.4: the action depended on another that
 * failed) says that cosigning depended on reading the log's public tiles, which failed. It is
 * a 4xx, so the log must act (publish the tiles, then ask again), and no status the spec
 * uses: a client never reads it as a fork (409), a bad proof (422) or a bad signature (403).
 */
export const DATA_UNAVAILABLE_STATUS = 424;

/** An add-checkpoint request the witness refuses, with the HTTP status the spec assigns. */
export class WitnessRefusal extends TlogError {
  constructor(
    code: TlogErrorCode,
    message: string,
    /** 400, 403, 404, 409 or 422; 424 for data availability ({@link DATA_UNAVAILABLE_STATUS}). */
    readonly status: number,
    /** For a stale old size (409): the size of the latest checkpoint the witness cosigned. */
    readonly latestSize?: bigint,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

const STATUS_OF_CHECKPOINT_ERROR: Partial<Record<TlogErrorCode, number>> = {
  [TLOG_ERRORS.UNVERIFIED]: 403,
  [TLOG_ERRORS.INVALID_SIGNATURE]: 403,
  [TLOG_ERRORS.AMBIGUOUS_KEY]: 403,
  [TLOG_ERRORS.MALFORMED_NOTE]: 400,
  [TLOG_ERRORS.BAD_CHECKPOINT]: 400,
};

function refuse(code: TlogErrorCode, message: string, status: number, latestSize?: bigint): never {
  throw new WitnessRefusal(code, message, status, latestSize);
}

/** A tlog-witness witness (see the module comment). */
export class TlogWitness {
  readonly #logs = new Map<string, WitnessedLog>();
  readonly #byHash = new Map<string, string>();
  readonly #queues = new Map<string, Promise<unknown>>();
  readonly #clock: () => bigint;

  /** @throws {UsageError} for a log listed twice or without keys. */
  constructor(readonly options: WitnessOptions) {
    for (const log of options.logs) {
      if (this.#logs.has(log.origin)) throw usageError(`log ${JSON.stringify(log.origin)} is listed twice`);
      if (log.verifiers.length === 0) throw usageError(`log ${JSON.stringify(log.origin)} has no key`);
      if (log.publicUrl !== undefined && !/^https?:\/\//i.test(log.publicUrl)) {
        throw usageError(`the public URL of log ${JSON.stringify(log.origin)} must be http(s)`);
      }
      this.#logs.set(log.origin, log);
      this.#byHash.set(originHash(log.origin), log.origin);
    }
    this.#clock = options.clock ?? (() => BigInt(Math.floor(Date.now() / 1000)));
  }

  /** The witness's cosignature verifier key (type 0x04). */
  get vkey(): string {
    return this.options.signer.verifier().vkey;
  }

  /** The origins the witness knows. */
  origins(): string[] {
    return [...this.#logs.keys()];
  }

  /**
   * Handles an add-checkpoint request (the body bytes, or parsed) and returns the
   * cosignature lines for the 200 answer, without newlines.
   * @throws {WitnessRefusal} for every refusal the spec defines, with its status, and
   *   TLOG_DATA_UNAVAILABLE (424) for a log with a public URL whose new tiles or entries
   *   cannot be read.
   * @throws {StorageError} when the state cannot be read or written (answer 500).
   */
  async addCheckpoint(input: Uint8Array | AddCheckpointRequest): Promise<string[]> {
    let request: AddCheckpointRequest;
    try {
      request = input instanceof Uint8Array ? parseAddCheckpointRequest(input) : input;
    } catch (error) {
      if (error instanceof TlogError) refuse(error.code, error.message, 400);
      throw error;
    }
    const log = this.#logs.get(originOf(request.checkpoint));
    // tlog-witness: if the checkpoint origin is unknown, respond 404.
    if (log === undefined)
      refuse(TLOG_ERRORS.UNKNOWN_LOG, "the checkpoint's origin is not a log this witness knows", 404);
    // tlog-witness: verify the signature against the keys trusted for the origin (unknown
    // keys ignored); none verifying is 403.
    const verified = verifyLogCheckpoint(request.checkpoint, log);
    const size = verified.checkpoint.size;
    // tlog-witness: the old size MUST be equal to or lower than the checkpoint size (400).
    if (request.oldSize > size) {
      refuse(TLOG_ERRORS.MALFORMED_REQUEST, `old size ${request.oldSize} is larger than the checkpoint's ${size}`, 400);
    }
    return this.#serialized(log.origin, async () => {
      const latest = await this.#latest(log);
      this.#checkConsistency(request, verified, latest, log.origin);
      await this.#checkAvailability(log, verified, latest);
      const line = this.options.signer.cosignatureLine(verified.note.text, this.#clock());
      // tlog-witness: persist the new checkpoint before responding.
      await this.options.state.save(log.origin, encodeUtf8(recordOf(verified, line)));
      return [line];
    });
  }

  /**
   * The latest checkpoint cosigned for the origin whose SHA-256 hex is `hash` (the
   * monitoring route), with the log's signatures and the witness's cosignature.
   * @throws {StorageError} when the state cannot be read or does not verify.
   */
  async latestByOriginHash(hash: string): Promise<string | undefined> {
    const origin = this.#byHash.get(hash);
    const log = origin === undefined ? undefined : this.#logs.get(origin);
    if (log === undefined) return undefined;
    return (await this.#latest(log))?.signedNote;
  }

  /** The spec's checks against the recorded checkpoint, run under the origin's lock. */
  #checkConsistency(
    request: AddCheckpointRequest,
    verified: VerifiedCheckpoint,
    latest: VerifiedCheckpoint | undefined,
    origin: string,
  ): void {
    const checkpoint = verified.checkpoint;
    const latestSize = latest?.checkpoint.size ?? 0n;
    // tlog-witness: the old size MUST match the latest cosigned size (or zero if none),
    // else 409 with that size. A rollback, submitted with its own old size, ends here.
    if (request.oldSize !== latestSize) {
      refuse(TLOG_ERRORS.STALE_SIZE, `the witness's latest size for this log is ${latestSize}`, 409, latestSize);
    }
    const evidence = (code: TlogErrorCode, message: string, status: number): never => {
      this.options.onEvidence?.({
        origin,
        code,
        checkpoint: verified.signedNote,
        ...(latest ? { latest: latest.signedNote } : {}),
      });
      refuse(code, message, status);
    };
    if (latest === undefined) {
      // tlog-witness: the proof MUST be empty if the old size is zero.
      if (request.proof.length > 0) evidence(TLOG_ERRORS.BAD_PROOF, "a proof from size 0 must be empty", 422);
      return;
    }
    // tlog-witness: if the old size matches the checkpoint size, the root hashes must be
    // identical, else 409: two trees of one size with different roots are a fork.
    if (latestSize === checkpoint.size) {
      if (!bytesEqual(latest.checkpoint.rootHash, checkpoint.rootHash)) {
        evidence(TLOG_ERRORS.SPLIT_VIEW, "a different tree of the size this witness cosigned: a fork", 409);
      }
      if (request.proof.length > 0) evidence(TLOG_ERRORS.BAD_PROOF, "a proof between equal sizes must be empty", 422);
      return;
    }
    // tlog-witness: the consistency proof MUST verify from the old size, else 422.
    try {
      verifyCheckpointConsistency(latest.checkpoint, checkpoint, request.proof);
    } catch (error) {
      if (!(error instanceof TlogError)) throw error;
      evidence(TLOG_ERRORS.BAD_PROOF, "the checkpoint does not extend the one this witness cosigned: a fork?", 422);
    }
  }

  /**
   * For a log with a public URL: the new checkpoint's tree must be readable there, the
   * entries since the recorded size included. Nothing is recorded before this passes.
   */
  async #checkAvailability(
    log: WitnessedLog,
    verified: VerifiedCheckpoint,
    latest: VerifiedCheckpoint | undefined,
  ): Promise<void> {
    const source =
      log.publicStore !== undefined
        ? { store: log.publicStore, ...(log.publicUrl === undefined ? {} : { url: log.publicUrl }) }
        : log.publicUrl !== undefined
          ? { url: log.publicUrl }
          : undefined;
    if (source === undefined) return;
    try {
      await checkDataAvailability(
        source,
        verified.checkpoint,
        latest?.checkpoint.size ?? 0n,
        this.options.availability,
      );
    } catch (error) {
      if (!(error instanceof TlogError) || error.code !== TLOG_ERRORS.DATA_UNAVAILABLE) throw error;
      // A validly signed checkpoint of entries nobody can see: evidence of a private log.
      this.options.onEvidence?.({
        origin: log.origin,
        code: error.code,
        checkpoint: verified.signedNote,
        ...(latest ? { latest: latest.signedNote } : {}),
      });
      throw new WitnessRefusal(error.code, error.message, DATA_UNAVAILABLE_STATUS, undefined, { cause: error.cause });
    }
  }

  /** The recorded checkpoint of a log, verified again with the log's keys. */
  async #latest(log: WitnessedLog): Promise<VerifiedCheckpoint | undefined> {
    const bytes = await this.options.state.load(log.origin);
    if (bytes === undefined) return undefined;
    try {
      return verifyLogCheckpoint(bytes, log);
    } catch (cause) {
      // Fail closed: a damaged record must not become "never cosigned" (old size 0).
      throw new StorageError(`the recorded checkpoint of ${JSON.stringify(log.origin)} does not verify`, { cause });
    }
  }

  /** Runs `fn` after every earlier call for the same origin has settled. */
  #serialized<T>(origin: string, fn: () => Promise<T>): Promise<T> {
    const before = this.#queues.get(origin) ?? Promise.resolve();
    const run = before.then(fn);
    const tail = run.catch(() => undefined);
    this.#queues.set(origin, tail);
    void tail.then(() => {
      if (this.#queues.get(origin) === tail) this.#queues.delete(origin);
    });
    return run;
  }
}

/** The first line of a note's text, read without trusting the note. */
function originOf(note: Uint8Array): string {
  try {
    openNote(note, []);
  } catch (error) {
    if (error instanceof UnverifiedNoteError) return error.note.text.slice(0, error.note.text.indexOf("\n"));
    if (error instanceof TlogError) refuse(error.code, error.message, 400);
    throw error;
  }
  // openNote with no keys always throws.
  return refuse(TLOG_ERRORS.MALFORMED_NOTE, "unreadable note", 400);
}

/** The checkpoint verified with the first of the log's keys that signed it. */
function verifyLogCheckpoint(note: Uint8Array, log: WitnessedLog): VerifiedCheckpoint {
  let last: TlogError | undefined;
  for (const logVerifier of log.verifiers) {
    try {
      return verifyCheckpoint(note, { logVerifier, origin: log.origin });
    } catch (error) {
      if (!(error instanceof TlogError)) throw error;
      last = error;
      if (error.code !== TLOG_ERRORS.UNVERIFIED) break;
    }
  }
  const error = last as TlogError;
  refuse(error.code, error.message, STATUS_OF_CHECKPOINT_ERROR[error.code] ?? 400);
}

/** What the witness records: the checkpoint text, the log's signatures and its cosignature. */
function recordOf(verified: VerifiedCheckpoint, cosignature: string): string {
  const logLines = verified.note.sigs.map((s) => `\u2014 ${s.name} ${s.base64}\n`).join("");
  return `${verified.note.text}\n${logLines}${cosignature}\n`;
}
