/**
 * The client side of c2sp.org/tlog-witness: a log asks its witnesses to cosign a new
 * checkpoint. Each witness gets `add-checkpoint` with the size the log believes it cosigned
 * last and a consistency proof from there; a 409 with the witness's real size is retried
 * once with a proof from that size. Answers are read with a size limit and a timeout, and
 * only cosignatures that verify with the witness's configured key are kept (the spec:
 * cosignatures from unknown keys are ignored).
 *
 * A witness only records a checkpoint after verifying the log's signature on it, so a witness
 * that holds a tree this log never produced (another tree of one size, a tree this log's
 * tree does not extend, a larger tree than this log has) shows that the log key signed a
 * tree somewhere else. That is TLOG_SPLIT_VIEW, worded as what it means: an incident (the
 * log key is in someone else's hands), not an outage (TLOG_WITNESS_FAILED).
 */

import { parseCosignatureLine } from "../cosignature.js";
import { decodeBase64, encodeUtf8 } from "../encoding.js";
import { TLOG_ERRORS, TlogError, type TlogErrorCode } from "../errors.js";
import { isSatisfied, type PolicyComponent, type Witness } from "../witness-policy.js";
import {
  ADD_CHECKPOINT_PATH,
  formatAddCheckpointRequest,
  parseCosignatureResponse,
  parseSizeBody,
  TLOG_SIZE_CONTENT_TYPE,
} from "../witness-request.js";

/** A witness to ask: its name, cosignature key and submission prefix URL. */
export type WitnessEndpoint = Pick<Witness, "name" | "verifier"> & { readonly url: string };

/** Named defaults of the witness client. */
export const WITNESS_CLIENT_DEFAULTS = {
  /** Time for one request, connection to last byte. */
  timeoutMs: 10_000,
  /** The largest answer read: a few signature lines are far less. */
  maxResponseBytes: 64 * 1024,
} as const;

/** Options of each witness request. */
export interface WitnessClientOptions {
  readonly timeoutMs?: number;
  readonly maxResponseBytes?: number;
  /** Cancels every request. */
  readonly signal?: AbortSignal;
}

/** A witness request that failed, with the HTTP status when the witness answered. */
export class WitnessRequestError extends TlogError {
  constructor(
    code: TlogErrorCode,
    message: string,
    /** The witness's name. */
    readonly witness: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** What one add-checkpoint call got: cosignature lines, or the witness's latest size (409). */
export type AddCheckpointOutcome =
  | { readonly kind: "cosigned"; readonly lines: readonly string[] }
  | { readonly kind: "stale"; readonly latestSize: bigint };

/** What a witness holding a tree this log never produced means. */
export const LOG_KEY_INCIDENT =
  "the log key was used elsewhere \u2014 an incident, not an outage: treat the log key as compromised, and keep the witness's checkpoint as evidence";

const STATUS_CODES: Record<number, TlogErrorCode> = {
  400: TLOG_ERRORS.MALFORMED_REQUEST,
  403: TLOG_ERRORS.UNVERIFIED,
  404: TLOG_ERRORS.UNKNOWN_LOG,
  409: TLOG_ERRORS.SPLIT_VIEW,
  // The witness holds a tree of the old size that this log's tree does not extend.
  422: TLOG_ERRORS.SPLIT_VIEW,
  // Bulwark's data-availability refusal (witness.ts, DATA_UNAVAILABLE_STATUS).
  424: TLOG_ERRORS.DATA_UNAVAILABLE,
};

const STATUS_WORDS: Record<number, string> = {
  400: "refused the request as malformed",
  403: "does not trust the log's signature on the checkpoint",
  404: "does not witness this log",
  409: `holds another tree of this checkpoint's size, signed with this log's key, that this log never produced (the log forked): ${LOG_KEY_INCIDENT}`,
  422: `holds a tree of the old size, signed with this log's key, that this log's tree does not extend (the log forked): ${LOG_KEY_INCIDENT}`,
  424: "could not read this checkpoint's new entries at the log's public URL: upload the tiles and entries before asking for cosignatures",
};

/** The text of a signed note: everything up to the blank line, with its final newline. */
function noteText(note: string): string {
  return note.slice(0, note.lastIndexOf("\n\n") + 1);
}

/** A signal aborted when either is (AbortSignal.any needs Node 20.3). */
function eitherSignal(a: AbortSignal, b: AbortSignal): AbortSignal {
  if (a.aborted) return a;
  if (b.aborted) return b;
  const controller = new AbortController();
  const abort = () => controller.abort();
  a.addEventListener("abort", abort, { once: true });
  b.addEventListener("abort", abort, { once: true });
  return controller.signal;
}

/** Reads a response body, refusing more than `max` bytes. */
async function readLimited(res: Response, max: number, who: string): Promise<string> {
  const reader = res.body?.getReader();
  if (reader === undefined) return "";
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      await reader.cancel();
      throw new WitnessRequestError(TLOG_ERRORS.WITNESS_FAILED, `${who} sent more than ${max} bytes`, who, res.status);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * The cosignature lines of `endpoint`'s key in an answer, each verified over the note text.
 * Lines of other keys are ignored.
 */
function ownLines(endpoint: WitnessEndpoint, body: string, checkpoint: string): string[] {
  const { verifier } = endpoint;
  const text = noteText(checkpoint);
  const mine: string[] = [];
  for (const line of parseCosignatureResponse(body)) {
    const rest = line.slice(2);
    const space = rest.indexOf(" ");
    const raw = space < 0 ? undefined : decodeBase64(rest.slice(space + 1));
    if (raw === undefined || raw.length < 4 || rest.slice(0, space) !== verifier.name) continue;
    if (Buffer.from(raw.subarray(0, 4)).readUInt32BE(0) !== verifier.keyId) continue;
    if (!verifier.verifyCosignature(text, parseCosignatureLine(line))) {
      throw new TlogError(TLOG_ERRORS.BAD_COSIGNATURE, `${endpoint.name} sent a cosignature that does not verify`);
    }
    mine.push(line);
  }
  if (mine.length === 0)
    throw new TlogError(TLOG_ERRORS.BAD_COSIGNATURE, `${endpoint.name} sent no cosignature of its key`);
  return mine;
}

/**
 * One `add-checkpoint` call.
 * @throws {WitnessRequestError} for any answer but 200 and a 409 with a size, for a timeout
 *   or a network error; {@link TlogError} TLOG_BAD_COSIGNATURE or TLOG_MALFORMED_REQUEST for
 *   a 200 answer without a valid cosignature by the witness's key.
 */
export async function postAddCheckpoint(
  endpoint: WitnessEndpoint,
  request: { readonly oldSize: bigint; readonly proof: readonly Uint8Array[]; readonly checkpoint: string },
  options: WitnessClientOptions = {},
): Promise<AddCheckpointOutcome> {
  const timeoutMs = options.timeoutMs ?? WITNESS_CLIENT_DEFAULTS.timeoutMs;
  const max = options.maxResponseBytes ?? WITNESS_CLIENT_DEFAULTS.maxResponseBytes;
  const url = `${endpoint.url.replace(/\/+$/, "")}${ADD_CHECKPOINT_PATH}`;
  const who = endpoint.name;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal === undefined ? timeout : eitherSignal(options.signal, timeout);
  let status: number;
  let contentType: string;
  let body: string;
  try {
    const res = await fetch(url, {
      method: "POST",
      body: formatAddCheckpointRequest({ ...request, checkpoint: encodeUtf8(request.checkpoint) }),
      headers: { "Content-Type": "text/plain; charset=utf-8" },
      redirect: "error",
      signal,
    });
    status = res.status;
    contentType = res.headers.get("content-type") ?? "";
    body = await readLimited(res, max, who);
  } catch (cause) {
    if (cause instanceof TlogError) throw cause;
    const why = timeout.aborted ? `did not answer within ${timeoutMs} ms` : `could not be reached at ${url}`;
    throw new WitnessRequestError(TLOG_ERRORS.WITNESS_FAILED, `witness ${who} ${why}`, who, undefined, { cause });
  }
  if (status === 200) return { kind: "cosigned", lines: ownLines(endpoint, body, request.checkpoint) };
  // tlog-witness: a 409 for a stale old size carries the latest size as text/x.tlog.size.
  if (status === 409 && contentType.split(";")[0]?.trim() === TLOG_SIZE_CONTENT_TYPE) {
    return { kind: "stale", latestSize: parseSizeBody(body) };
  }
  const code = STATUS_CODES[status] ?? TLOG_ERRORS.WITNESS_FAILED;
  const words = STATUS_WORDS[status] ?? `answered HTTP ${status}`;
  throw new WitnessRequestError(code, `witness ${who} ${words}`, who, status);
}

/** How to ask one witness: the size it probably cosigned, and proofs from any size. */
export interface CosignRequestOptions extends WitnessClientOptions {
  /** The size the log believes the witness cosigned last (usually the previous checkpoint's). */
  readonly oldSize: bigint;
  /** The consistency proof from `oldSize` to the checkpoint's size (empty from 0 or equal sizes). */
  readonly proofFor: (oldSize: bigint) => Promise<Uint8Array[]>;
  /** The checkpoint's tree size. */
  readonly size: bigint;
}

/**
 * Asks one witness to cosign `checkpoint` (a signed note), retrying once after a 409 with
 * the size the witness reports. Returns the witness's verified cosignature lines.
 * @throws {WitnessRequestError} or {@link TlogError} as {@link postAddCheckpoint}; a
 *   witness that holds a tree this log never produced (a larger tree than the checkpoint's,
 *   another tree of a size, a tree the checkpoint does not extend) is TLOG_SPLIT_VIEW,
 *   its message {@link LOG_KEY_INCIDENT}.
 */
export async function requestCosignature(
  endpoint: WitnessEndpoint,
  checkpoint: string,
  options: CosignRequestOptions,
): Promise<readonly string[]> {
  let oldSize = options.oldSize;
  for (let attempt = 0; ; attempt++) {
    if (oldSize > options.size) {
      throw new WitnessRequestError(
        TLOG_ERRORS.SPLIT_VIEW,
        `witness ${endpoint.name} cosigned a tree of ${oldSize} entries, larger than this checkpoint's ${options.size}, that this log never produced (the log rolled back or forked; unless this copy of the log was restored from an older backup): ${LOG_KEY_INCIDENT}`,
        endpoint.name,
      );
    }
    const proof = oldSize === 0n || oldSize === options.size ? [] : await options.proofFor(oldSize);
    const outcome = await postAddCheckpoint(endpoint, { oldSize, proof, checkpoint }, options);
    if (outcome.kind === "cosigned") return outcome.lines;
    if (attempt === 1 || outcome.latestSize === oldSize) {
      throw new WitnessRequestError(
        TLOG_ERRORS.STALE_SIZE,
        `witness ${endpoint.name} still reports size ${outcome.latestSize} after a retry`,
        endpoint.name,
        409,
      );
    }
    oldSize = outcome.latestSize;
  }
}

/** What one witness did for a checkpoint. */
export interface CosignatureResult {
  readonly witness: string;
  readonly url: string;
  /** Its verified cosignature lines, when it cosigned. */
  readonly lines?: readonly string[];
  /** Why it did not, when it did not. */
  readonly error?: TlogError;
}

/** The checkpoint with the cosignatures collected, and what each witness did. */
export interface CollectedCosignatures {
  /** The checkpoint note with every verified cosignature line appended. */
  readonly note: string;
  readonly results: readonly CosignatureResult[];
  /** Whether the cosigners satisfy `policy` (true when no policy was given). */
  readonly satisfied: boolean;
}

/**
 * Asks every witness at once to cosign `checkpoint`, and appends the cosignatures that
 * verify. Failures are reported per witness, never thrown: the caller decides with
 * `satisfied` (or its own count) whether enough witnesses cosigned.
 */
export async function collectCosignatures(
  checkpoint: string,
  witnesses: readonly WitnessEndpoint[],
  options: CosignRequestOptions & { readonly policy?: PolicyComponent },
): Promise<CollectedCosignatures> {
  const results = await Promise.all(
    witnesses.map(async (w): Promise<CosignatureResult> => {
      try {
        return { witness: w.name, url: w.url, lines: await requestCosignature(w, checkpoint, options) };
      } catch (error) {
        if (!(error instanceof TlogError)) throw error;
        return { witness: w.name, url: w.url, error };
      }
    }),
  );
  const lines = results.flatMap((r) => r.lines ?? []);
  const cosigners = witnesses.filter((_, i) => results[i]?.lines !== undefined).map((w) => w.verifier);
  return {
    note: addSignatureLines(checkpoint, lines),
    results,
    satisfied: options.policy === undefined || isSatisfied(options.policy, cosigners),
  };
}

/** A signed note with signature lines appended (lines it already holds are not repeated). */
export function addSignatureLines(note: string, lines: readonly string[]): string {
  const present = new Set(note.slice(note.lastIndexOf("\n\n") + 2).split("\n"));
  let out = note;
  for (const line of lines) {
    if (present.has(line)) continue;
    present.add(line);
    out += `${line}\n`;
  }
  return out;
}

/** The witnesses of a policy that have a URL, as endpoints to ask. */
export function policyEndpoints(component: PolicyComponent): WitnessEndpoint[] {
  const out = new Map<string, WitnessEndpoint>();
  const walk = (c: PolicyComponent): void => {
    if (c.kind === "group") for (const m of c.members) walk(m);
    else if (c.url !== undefined) out.set(c.verifier.vkey, { name: c.name, verifier: c.verifier, url: c.url });
  };
  walk(component);
  return [...out.values()];
}
