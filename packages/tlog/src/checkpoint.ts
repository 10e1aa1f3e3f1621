/**
 * c2sp.org/tlog-checkpoint: a signed note whose text is the origin line, the tree size in
 * decimal, the base64 root hash, and optional non-empty extension lines.
 */
import { bytesEqual, decodeBase64, decodeUtf8, encodeBase64, MAX_UINT64, parseUint64 } from "./encoding.js";
import { TLOG_ERRORS, TlogError, usageError } from "./errors.js";
import { verifyConsistency } from "./merkle-proof.js";
import { keyLabel, type NoteVerifier } from "./note-key.js";
import { EMPTY_ROOT, HASH_SIZE } from "./rfc6962.js";
import { type Note, type NoteSignature, openNote, UnverifiedNoteError, type VerifiedSignature } from "./signed-note.js";

/** The parsed text of a checkpoint. */
export interface Checkpoint {
  /** The log's identity, the first line. */
  readonly origin: string;
  /** The number of leaves in the tree. */
  readonly size: bigint;
  /** The RFC 6962 root hash of the tree. */
  readonly rootHash: Uint8Array;
  /** Opaque extra lines after the root hash (NOT RECOMMENDED by the spec, but signed). */
  readonly extensionLines: readonly string[];
}

/** Options of {@link parseCheckpoint}. */
export interface ParseCheckpointOptions {
  /**
   * Accept a root hash of any length, as transparency-dev/formats does. By default the
   * root must be 32 bytes, as in every SHA-256 log.
   */
  readonly anyRootHashSize?: boolean;
}

function bad(message: string): TlogError {
  return new TlogError(TLOG_ERRORS.BAD_CHECKPOINT, message);
}

/**
 * Parses checkpoint note text (the part before the blank line, with its final newline).
 * @throws {TlogError} TLOG_BAD_CHECKPOINT
 */
export function parseCheckpoint(text: string, options: ParseCheckpointOptions = {}): Checkpoint {
  if (!text.endsWith("\n")) throw bad("checkpoint text must end with a newline");
  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3) throw bad("a checkpoint has at least three lines");
  const [origin, sizeLine, rootLine, ...extensionLines] = lines as [string, string, string, ...string[]];
  // tlog-checkpoint: the origin MUST be non-empty; extension lines MUST be non-empty.
  if (origin === "") throw bad("empty origin line");
  const size = parseUint64(sizeLine);
  if (size === undefined) throw bad("the tree size is not a decimal uint64 without leading zeroes");
  const rootHash = decodeBase64(rootLine);
  if (rootHash === undefined) throw bad("the root hash is not base64");
  if (!options.anyRootHashSize && rootHash.length !== HASH_SIZE) {
    throw bad(`the root hash is ${rootHash.length} bytes, want ${HASH_SIZE}`);
  }
  if (extensionLines.some((line) => line === "")) throw bad("empty extension line");
  return { origin, size, rootHash, extensionLines };
}

/**
 * The note text of a checkpoint.
 * @throws {UsageError} for an origin or extension line that is empty or holds a newline.
 */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  const { origin, size, rootHash, extensionLines } = checkpoint;
  for (const line of [origin, ...extensionLines]) {
    if (line === "" || line.includes("\n")) throw usageError("checkpoint lines must be non-empty single lines");
  }
  if (size < 0n || size > MAX_UINT64) throw usageError(`tree size ${size} is not a uint64`);
  return [origin, size.toString(), encodeBase64(rootHash), ...extensionLines, ""].join("\n");
}

/** What a trusted log and its witnesses say about a checkpoint. */
export interface VerifiedCheckpoint {
  /** The parsed checkpoint. */
  readonly checkpoint: Checkpoint;
  /** The opened note. */
  readonly note: Note;
  /** The whole signed note as received (text and every signature line), to pass on. */
  readonly signedNote: string;
  /** The log's own verified signature. */
  readonly logSignature: VerifiedSignature;
  /** Verified signatures of the other trusted keys (witnesses), in order of appearance. */
  readonly cosignatures: readonly VerifiedSignature[];
  /** Signature lines from unknown keys, ignored. */
  readonly ignored: readonly NoteSignature[];
}

/** Whom to trust when verifying a checkpoint. */
export interface VerifyCheckpointOptions {
  /** The log's key. */
  readonly logVerifier: NoteVerifier;
  /** The expected origin line (need not equal the key name). */
  readonly origin: string;
  /** Witness keys whose cosignatures are checked and reported (unknown ones are ignored). */
  readonly witnesses?: Iterable<NoteVerifier>;
}

/**
 * Opens a checkpoint note, requires a valid signature by the log's key, parses the body
 * (32-byte root) and compares the origin. Cosignatures by `witnesses` are verified, and
 * one that fails rejects the checkpoint (signed-note rule for known keys).
 * @throws {TlogError} TLOG_MALFORMED_NOTE, TLOG_INVALID_SIGNATURE, TLOG_AMBIGUOUS_KEY,
 *   TLOG_UNVERIFIED (no log signature), TLOG_BAD_CHECKPOINT (body or origin).
 */
export function verifyCheckpoint(note: Uint8Array | string, options: VerifyCheckpointOptions): VerifiedCheckpoint {
  const { logVerifier, origin, witnesses = [] } = options;
  let opened: Note;
  try {
    opened = openNote(note, [logVerifier, ...witnesses]);
  } catch (error) {
    if (error instanceof UnverifiedNoteError) {
      throw new TlogError(
        TLOG_ERRORS.UNVERIFIED,
        `checkpoint has no signature by ${keyLabel(logVerifier.name, logVerifier.keyId)}`,
      );
    }
    throw error;
  }
  const isLog = (s: VerifiedSignature) => s.verifier === logVerifier || s.verifier.vkey === logVerifier.vkey;
  const logSignature = opened.sigs.find(isLog);
  if (logSignature === undefined) {
    throw new TlogError(
      TLOG_ERRORS.UNVERIFIED,
      `checkpoint has no signature by ${keyLabel(logVerifier.name, logVerifier.keyId)}`,
    );
  }
  const checkpoint = parseCheckpoint(opened.text);
  if (checkpoint.origin !== origin) {
    throw bad(`checkpoint origin ${JSON.stringify(checkpoint.origin)} is not ${JSON.stringify(origin)}`);
  }
  if (checkpoint.size === 0n && !bytesEqual(checkpoint.rootHash, EMPTY_ROOT)) {
    throw bad("an empty tree must have the empty root hash");
  }
  return {
    checkpoint,
    note: opened,
    signedNote: typeof note === "string" ? note : (decodeUtf8(note) as string),
    logSignature,
    cosignatures: opened.sigs.filter((s) => !isLog(s)),
    ignored: opened.unverifiedSigs,
  };
}

/**
 * Verifies that checkpoint `newer` extends `older` of the same log: same origin, and a
 * consistency proof from the older tree to the newer one. From the empty tree the proof
 * must be empty (every tree extends it); equal sizes need equal roots and an empty proof.
 * This is the check a witness makes before cosigning, and a client makes between two
 * checkpoints it saw.
 * @throws {TlogError} TLOG_BAD_CHECKPOINT for different origins, TLOG_BAD_PROOF otherwise.
 */
export function verifyCheckpointConsistency(older: Checkpoint, newer: Checkpoint, proof: readonly Uint8Array[]): void {
  if (older.origin !== newer.origin) throw bad("the checkpoints are from different logs");
  if (older.size === 0n) {
    if (proof.length > 0) throw new TlogError(TLOG_ERRORS.BAD_PROOF, "a proof from the empty tree must be empty");
    return;
  }
  verifyConsistency(older.size, newer.size, proof, older.rootHash, newer.rootHash);
}
