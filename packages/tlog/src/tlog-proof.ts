/**
 * c2sp.org/tlog-proof@v1: an offline-verifiable proof that an entry is in a log, cosigned
 * by witnesses ("spicy signature"):
 *
 *     c2sp.org/tlog-proof@v1
 *     extra <base64>            (optional, unauthenticated)
 *     index <decimal>
 *     <base64 inclusion proof hash>...
 *                               (empty line)
 *     <the checkpoint note, verbatim>
 */
import { type VerifiedCheckpoint, verifyCheckpoint } from "./checkpoint.js";
import { decodeBase64, decodeUtf8, encodeBase64, parseUint64, toBytes, toUint64 } from "./encoding.js";
import { TLOG_ERRORS, TlogError, usageError } from "./errors.js";
import { verifyInclusion } from "./merkle-proof.js";
import type { NoteVerifier } from "./note-key.js";
import { HASH_SIZE, hashLeaf } from "./rfc6962.js";
import { isSatisfied, type PolicyComponent, policyVerifiers } from "./witness-policy.js";

/** The first line of a v1 proof. */
export const TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1";
/** An inclusion proof in a tree of at most 2^64 leaves has at most 64 hashes. */
export const MAX_TLOG_PROOF_HASHES = 64;

/** A parsed tlog proof. */
export interface TlogProof {
  /** The entry's index in the log. */
  readonly index: bigint;
  /** The inclusion proof, leaf sibling first. */
  readonly hashes: readonly Uint8Array[];
  /** The checkpoint note, verbatim (not yet verified). */
  readonly checkpoint: string;
  /** Optional application data. Not authenticated: never trust it implicitly. */
  readonly extra?: Uint8Array;
}

function malformed(message: string): TlogError {
  return new TlogError(TLOG_ERRORS.MALFORMED_PROOF, `tlog proof ${message}`);
}

/**
 * The text of a proof.
 * @throws {UsageError} for an index that is not a uint64 or a hash that is not 32 bytes.
 */
export function marshalTlogProof(proof: TlogProof): string {
  const index = toUint64(proof.index);
  if (index === undefined) throw usageError(`index ${String(proof.index)} is not a uint64`);
  if (proof.hashes.some((h) => h.length !== HASH_SIZE)) throw usageError("proof hashes are 32 bytes");
  const lines = [TLOG_PROOF_HEADER];
  if (proof.extra !== undefined) lines.push(`extra ${encodeBase64(proof.extra)}`);
  lines.push(`index ${index}`, ...proof.hashes.map(encodeBase64), "");
  return `${lines.join("\n")}\n${proof.checkpoint}`;
}

/**
 * Parses a proof. The checkpoint is everything after the empty line, kept verbatim.
 * @throws {TlogError} TLOG_MALFORMED_PROOF
 */
export function parseTlogProof(input: string | Uint8Array): TlogProof {
  const text = typeof input === "string" ? input : decodeUtf8(input);
  if (text === undefined || toBytes(text) === undefined) throw malformed("is not valid UTF-8");
  let offset = 0;
  const nextLine = (): string | undefined => {
    const end = text.indexOf("\n", offset);
    if (end < 0) return undefined;
    const line = text.slice(offset, end);
    offset = end + 1;
    return line;
  };
  if (nextLine() !== TLOG_PROOF_HEADER) throw malformed("missing expected header");
  let line = nextLine();
  let extra: Uint8Array | undefined;
  if (line?.startsWith("extra ")) {
    extra = decodeBase64(line.slice("extra ".length));
    if (extra === undefined) throw malformed("extra data not base64 encoded");
    line = nextLine();
  }
  if (line === undefined || !line.startsWith("index ")) throw malformed("missing required index");
  // tlog-proof: an ASCII decimal with no leading zeroes.
  const index = parseUint64(line.slice("index ".length));
  if (index === undefined) throw malformed("index not a valid uint64");
  const hashes: Uint8Array[] = [];
  for (line = nextLine(); line !== undefined && line !== ""; line = nextLine()) {
    const hash = decodeBase64(line);
    if (hash === undefined) throw malformed("hash not base64 encoded");
    if (hash.length !== HASH_SIZE) throw malformed(`hash length was ${hash.length}, expected ${HASH_SIZE}`);
    if (hashes.length === MAX_TLOG_PROOF_HASHES) throw malformed(`has more than ${MAX_TLOG_PROOF_HASHES} hashes`);
    hashes.push(hash);
  }
  if (line === undefined) throw malformed("missing the empty line before the checkpoint");
  const checkpoint = text.slice(offset);
  if (checkpoint === "") throw malformed("missing checkpoint");
  return extra === undefined ? { index, hashes, checkpoint } : { index, hashes, checkpoint, extra };
}

/** Whom to trust when verifying a proof. */
export interface VerifyTlogProofOptions {
  /** The log's key. */
  readonly logVerifier: NoteVerifier;
  /** The log's origin line. */
  readonly origin: string;
  /** Witness keys to check cosignatures with. */
  readonly witnesses?: readonly NoteVerifier[];
  /** How many distinct witnesses must have cosigned (default 0), when no `policy` is given. */
  readonly witnessThreshold?: number;
  /** A witness policy the cosignatures must satisfy (its keys are added to `witnesses`). */
  readonly policy?: PolicyComponent;
}

/** A verified proof. */
export interface VerifiedTlogProof {
  readonly proof: TlogProof;
  /** The verified checkpoint and its verified cosignatures. */
  readonly checkpoint: VerifiedCheckpoint;
}

/**
 * Verifies a proof for `entry`: the log's signature and origin on the checkpoint, the
 * witness cosignatures, and the inclusion of SHA-256(0x00 || entry) at the index.
 * @throws {TlogError} TLOG_MALFORMED_PROOF, checkpoint errors (see {@link verifyCheckpoint}),
 *   TLOG_WITNESS_QUORUM, TLOG_BAD_PROOF.
 */
export function verifyTlogProof(
  proofText: string | Uint8Array | TlogProof,
  entry: Uint8Array,
  options: VerifyTlogProofOptions,
): VerifiedTlogProof {
  const proof = typeof proofText === "object" && "hashes" in proofText ? proofText : parseTlogProof(proofText);
  const { logVerifier, origin, witnesses = [], witnessThreshold = 0, policy } = options;
  const checkpoint = verifyCheckpoint(proof.checkpoint, {
    logVerifier,
    origin,
    witnesses: policy === undefined ? witnesses : [...witnesses, ...policyVerifiers(policy)],
  });
  const cosigners = checkpoint.cosignatures.map((s) => s.verifier);
  if (policy !== undefined) {
    if (!isSatisfied(policy, cosigners))
      throw new TlogError(TLOG_ERRORS.WITNESS_QUORUM, "the witness policy is not satisfied");
  } else if (new Set(cosigners.map((c) => c.vkey)).size < witnessThreshold) {
    throw new TlogError(
      TLOG_ERRORS.WITNESS_QUORUM,
      `${cosigners.length} witness cosignatures verified, ${witnessThreshold} required`,
    );
  }
  verifyInclusion(
    proof.index,
    checkpoint.checkpoint.size,
    hashLeaf(entry),
    proof.hashes,
    checkpoint.checkpoint.rootHash,
  );
  return { proof, checkpoint };
}
