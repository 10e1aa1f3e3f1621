/**
 * The wire format of c2sp.org/tlog-witness `add-checkpoint`, shared by the witness and its
 * clients. The request body is
 *
 *     old <size>\n                  (decimal, no leading zeroes)
 *     <base64 consistency proof hash>\n   (zero to 63 lines)
 *     \n
 *     <the checkpoint, a signed note>
 *
 * A 200 answer is one or more note signature lines (the cosignatures); a 409 answer for a
 * stale old size is the witness's latest size and a newline, as `text/x.tlog.size`.
 */
import { decodeBase64, encodeBase64, encodeUtf8, parseUint64, toUint64 } from "./encoding.js";
import { TLOG_ERRORS, TlogError, usageError } from "./errors.js";
import { HASH_SIZE } from "./rfc6962.js";

/** The path of the call under the witness's submission prefix. */
export const ADD_CHECKPOINT_PATH = "/add-checkpoint";
/** tlog-witness: a client MUST NOT send more than 63 consistency proof lines. */
export const MAX_CONSISTENCY_PROOF_LINES = 63;
/** The content type of a 409 answer carrying the witness's latest size. */
export const TLOG_SIZE_CONTENT_TYPE = "text/x.tlog.size";

/** A parsed add-checkpoint request. */
export interface AddCheckpointRequest {
  /** The size of the checkpoint the client believes the witness cosigned last (0 for none). */
  readonly oldSize: bigint;
  /** The RFC 6962 consistency proof from `oldSize` to the checkpoint's size. */
  readonly proof: readonly Uint8Array[];
  /** The checkpoint, a signed note, as sent (not yet verified). */
  readonly checkpoint: Uint8Array;
}

function malformed(message: string): TlogError {
  return new TlogError(TLOG_ERRORS.MALFORMED_REQUEST, `add-checkpoint request: ${message}`);
}

/** Printable ASCII only: the header lines have no other bytes. */
function asciiLine(bytes: Uint8Array): string | undefined {
  for (const b of bytes) if (b < 0x20 || b > 0x7e) return undefined;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

/**
 * Parses an add-checkpoint request body. The checkpoint is only cut out, not parsed.
 * @throws {TlogError} TLOG_MALFORMED_REQUEST
 */
export function parseAddCheckpointRequest(body: Uint8Array): AddCheckpointRequest {
  let offset = 0;
  const nextLine = (): string | undefined => {
    const end = body.indexOf(0x0a, offset);
    if (end < 0) throw malformed("a line does not end in a newline");
    const line = asciiLine(body.subarray(offset, end));
    offset = end + 1;
    return line;
  };
  const first = nextLine();
  // tlog-witness: `old`, a space, the size in decimal with no leading zeroes.
  const oldSize = first?.startsWith("old ") ? parseUint64(first.slice(4)) : undefined;
  if (oldSize === undefined) throw malformed("the first line is not `old <size>`");
  const proof: Uint8Array[] = [];
  for (let line = nextLine(); line !== ""; line = nextLine()) {
    const hash = line === undefined ? undefined : decodeBase64(line);
    if (hash === undefined || hash.length !== HASH_SIZE) throw malformed("a proof line is not a base64 SHA-256 hash");
    if (proof.length === MAX_CONSISTENCY_PROOF_LINES) {
      throw malformed(`more than ${MAX_CONSISTENCY_PROOF_LINES} proof lines`);
    }
    proof.push(hash);
  }
  const checkpoint = body.subarray(offset);
  if (checkpoint.length === 0) throw malformed("no checkpoint after the empty line");
  return { oldSize, proof, checkpoint };
}

/**
 * The body of an add-checkpoint request.
 * @throws {UsageError} for an old size that is not a uint64, a hash that is not 32 bytes or
 *   more than 63 of them.
 */
export function formatAddCheckpointRequest(request: {
  readonly oldSize: bigint | number;
  readonly proof: readonly Uint8Array[];
  readonly checkpoint: Uint8Array | string;
}): Uint8Array {
  const oldSize = toUint64(request.oldSize);
  if (oldSize === undefined) throw usageError(`old size ${String(request.oldSize)} is not a uint64`);
  if (request.proof.length > MAX_CONSISTENCY_PROOF_LINES || request.proof.some((h) => h.length !== HASH_SIZE)) {
    throw usageError("a consistency proof is at most 63 hashes of 32 bytes");
  }
  const head = encodeUtf8(`old ${oldSize}\n${request.proof.map((h) => `${encodeBase64(h)}\n`).join("")}\n`);
  const note = typeof request.checkpoint === "string" ? encodeUtf8(request.checkpoint) : request.checkpoint;
  const out = new Uint8Array(head.length + note.length);
  out.set(head);
  out.set(note, head.length);
  return out;
}

/** The body of a 409 answer: the size in decimal and a newline. */
export function formatSizeBody(size: bigint): string {
  return `${size}\n`;
}

/**
 * Parses the body of a 409 `text/x.tlog.size` answer.
 * @throws {TlogError} TLOG_MALFORMED_REQUEST
 */
export function parseSizeBody(body: string): bigint {
  const size = body.endsWith("\n") ? parseUint64(body.slice(0, -1)) : undefined;
  if (size === undefined) throw new TlogError(TLOG_ERRORS.MALFORMED_REQUEST, "a size answer is not `<decimal>\\n`");
  return size;
}

/**
 * Splits the body of a 200 add-checkpoint answer into its signature lines (without their
 * newlines). Each line must start with an em dash and end in a newline.
 * @throws {TlogError} TLOG_MALFORMED_REQUEST
 */
export function parseCosignatureResponse(body: string): string[] {
  if (body === "" || !body.endsWith("\n")) {
    throw new TlogError(TLOG_ERRORS.MALFORMED_REQUEST, "a cosignature answer is signature lines ending in newlines");
  }
  const lines = body.slice(0, -1).split("\n");
  if (lines.some((l) => !l.startsWith("\u2014 "))) {
    throw new TlogError(TLOG_ERRORS.MALFORMED_REQUEST, "a cosignature answer holds a line that is not a signature");
  }
  return lines;
}
