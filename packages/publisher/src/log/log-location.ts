/**
 * Where a command reads a log: a log folder (its public/ copy and log.json), a plain folder
 * holding a copy of public/, or an HTTP(S) URL. Keys and witness policies come from the
 * command line, or from the log folder when it has them.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import {
  FolderStore,
  HttpLogStore,
  type LogStore,
  type NoteVerifier,
  parseVerifierKey,
  parseWitnessPolicy,
  TlogError,
  type WitnessPolicy,
} from "@bulwark/tlog";
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";
import { isLogDir, LogDir } from "./log-dir.js";

/** A log to read, and whom to trust for it. */
export interface LogLocation {
  /** The URL or folder, as the report names it. */
  readonly name: string;
  readonly store: LogStore;
  readonly origin: string;
  readonly verifier: NoteVerifier;
  /** The witness policy given, or the log folder's. */
  readonly policy?: WitnessPolicy;
}

/** Whether `where` is an HTTP(S) URL rather than a folder. */
export function isUrl(where: string): boolean {
  return /^https?:\/\//i.test(where);
}

/**
 * A verifier key given by a caller; `option` names where it came from, for the message.
 * @throws {PublisherError} `BAD_VKEY`.
 */
export function vkeyOption(vkey: string, option: string): NoteVerifier {
  try {
    return parseVerifierKey(vkey);
  } catch (cause) {
    if (!(cause instanceof TlogError)) throw cause;
    throw new PublisherError(
      PUBLISHER_ERRORS.BAD_VKEY,
      `${option} ${JSON.stringify(vkey)} is not a verifier key: ${cause.message}`,
      { hint: "a vkey looks like name+1a2b3c4d+AbCd...", cause },
    );
  }
}

/**
 * Reads a witness policy file (lines `witness NAME VKEY [URL]`, `group`, `quorum`).
 * @throws {PublisherError} `MISSING_POLICY` when it cannot be read; {@link TlogError} TLOG_BAD_POLICY.
 */
export async function readPolicyFile(file: string): Promise<WitnessPolicy> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (cause) {
    throw new PublisherError(PUBLISHER_ERRORS.MISSING_POLICY, `cannot read the witness policy ${file}`, { cause });
  }
  return parseWitnessPolicy(text);
}

/**
 * Resolves a log location.
 * @throws {PublisherError} `LOG_VKEY_REQUIRED` when a URL or plain folder comes without `vkey`.
 */
export async function openLogLocation(
  where: string,
  cwd: string,
  options: {
    vkey?: string | undefined;
    origin?: string | undefined;
    policyFile?: string | undefined;
    signal?: AbortSignal;
  },
): Promise<LogLocation> {
  const policy =
    options.policyFile === undefined ? undefined : await readPolicyFile(path.resolve(cwd, options.policyFile));
  if (!isUrl(where) && isLogDir(path.resolve(cwd, where))) {
    const dir = await LogDir.open(path.resolve(cwd, where));
    const verifier = options.vkey === undefined ? dir.verifier : vkeyOption(options.vkey, "--log-vkey");
    const own = policy ?? (await dir.witnessPolicy());
    return {
      name: where,
      store: dir.store(),
      origin: options.origin ?? dir.config.origin,
      verifier,
      ...(own ? { policy: own } : {}),
    };
  }
  if (options.vkey === undefined) {
    throw new PublisherError(PUBLISHER_ERRORS.LOG_VKEY_REQUIRED, `--log-vkey is needed to read ${where}`, {
      hint: "give the log's verifier key, printed by `bulwark log init`",
    });
  }
  const verifier = vkeyOption(options.vkey, "--log-vkey");
  const store = isUrl(where)
    ? new HttpLogStore(where, options.signal ? { signal: options.signal } : {})
    : new FolderStore(path.resolve(cwd, where));
  return { name: where, store, origin: options.origin ?? verifier.name, verifier, ...(policy ? { policy } : {}) };
}
