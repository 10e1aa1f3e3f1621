/**
 * c2sp.org/signed-note: a text ending in a newline, a blank line, then one or more
 * signature lines `— <key name> base64(key ID || signature)`. Opening follows Go's
 * golang.org/x/mod/sumdb/note, the reference implementation: unknown keys are ignored,
 * a known key whose signature fails rejects the note, repeated lines are dropped, more
 * than {@link MAX_NOTE_SIGNATURES} signatures is malformed, and the text is split from the
 * signatures at the last blank line.
 */
import { decodeBase64, decodeUtf8, encodeBase64, toBytes } from "./encoding.js";
import { TLOG_ERRORS, TlogError, usageError } from "./errors.js";
import { isValidKeyName, keyLabel, MAX_NOTE_SIGNATURES, type NoteSigner, type NoteVerifier } from "./note-key.js";

/** A signature line of a note. */
export interface NoteSignature {
  /** The key name. */
  readonly name: string;
  /** The uint32 key ID (the first four signature bytes). */
  readonly keyId: number;
  /** The base64 of key ID and signature, exactly as in the line. */
  readonly base64: string;
}

/** A signature that a trusted key verified. */
export interface VerifiedSignature extends NoteSignature {
  /** The trusted key that verified it. */
  readonly verifier: NoteVerifier;
}

/** An opened note: its text and its signatures, verified or from unknown keys. */
export interface Note {
  /** The signed text, including its final newline. */
  readonly text: string;
  /** Signatures verified by trusted keys, in order of appearance, one per key. */
  readonly sigs: readonly VerifiedSignature[];
  /** Signatures from unknown keys, in order of appearance, exact repeats dropped. */
  readonly unverifiedSigs: readonly NoteSignature[];
}

/** A well-formed note with no signature from a trusted key. The parsed note is kept. */
export class UnverifiedNoteError extends TlogError {
  constructor(readonly note: Note) {
    super(TLOG_ERRORS.UNVERIFIED, "note has no verifiable signatures");
  }
}

const SIGNATURE_PREFIX = "\u2014 ";

function malformed(why: string): TlogError {
  return new TlogError(TLOG_ERRORS.MALFORMED_NOTE, `malformed note: ${why}`);
}

/** Checks note bytes: UTF-8 with no ASCII control character but newline. */
function checkNoteBytes(bytes: Uint8Array): void {
  // In UTF-8, bytes below 0x80 are only ever ASCII characters, so a byte scan is enough.
  for (const b of bytes) if (b < 0x20 && b !== 0x0a) throw malformed("control character");
  if (decodeUtf8(bytes) === undefined) throw malformed("invalid UTF-8");
}

/** Trusted keys by `name+keyid`, identical keys listed twice counted once. */
function indexVerifiers(verifiers: Iterable<NoteVerifier>): Map<string, NoteVerifier[]> {
  const byLabel = new Map<string, NoteVerifier[]>();
  for (const v of verifiers) {
    const label = keyLabel(v.name, v.keyId);
    const list = byLabel.get(label);
    if (list === undefined) byLabel.set(label, [v]);
    else if (!list.some((w) => w === v || w.vkey === v.vkey)) list.push(v);
  }
  return byLabel;
}

/**
 * Opens a signed note and verifies its signatures against trusted keys.
 *
 * A list of verifiers that holds two *different* keys with the same name and key ID makes
 * a matching signature line ambiguous (Go's rule); the same key listed twice is fine.
 * @throws {TlogError} TLOG_MALFORMED_NOTE; TLOG_INVALID_SIGNATURE when a trusted key's
 *   signature fails; TLOG_AMBIGUOUS_KEY; {@link UnverifiedNoteError} (TLOG_UNVERIFIED)
 *   when no trusted key signed.
 */
export function openNote(message: Uint8Array | string, verifiers: Iterable<NoteVerifier>): Note {
  const bytes = toBytes(message);
  if (bytes === undefined) throw malformed("not well-formed Unicode");
  checkNoteBytes(bytes);
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const split = view.lastIndexOf("\n\n");
  if (split < 0) throw malformed("no blank line before the signatures");
  const textBytes = bytes.subarray(0, split + 1);
  const block = bytes.subarray(split + 2);
  if (block.length === 0 || block[block.length - 1] !== 0x0a) throw malformed("no signature lines");
  const text = decodeUtf8(textBytes) as string;
  const lines = (decodeUtf8(block) as string).slice(0, -1).split("\n");

  const known = indexVerifiers(verifiers);
  const sigs: VerifiedSignature[] = [];
  const unverifiedSigs: NoteSignature[] = [];
  const seen = new Set<string>();
  const seenUnverified = new Set<string>();
  let count = 0;
  for (const line of lines) {
    if (!line.startsWith(SIGNATURE_PREFIX)) throw malformed("a line in the signature block is not a signature");
    const rest = line.slice(SIGNATURE_PREFIX.length);
    const space = rest.indexOf(" ");
    const name = space < 0 ? rest : rest.slice(0, space);
    const base64 = space < 0 ? "" : rest.slice(space + 1);
    const raw = decodeBase64(base64);
    if (raw === undefined || !isValidKeyName(name) || base64 === "" || raw.length < 5) {
      throw malformed("bad signature line");
    }
    // Avoid spending forever on a note with many signatures (counted before dropping repeats).
    if (++count > MAX_NOTE_SIGNATURES) throw malformed(`more than ${MAX_NOTE_SIGNATURES} signatures`);
    const keyId = new DataView(raw.buffer, raw.byteOffset, 4).getUint32(0, false);
    const label = keyLabel(name, keyId);
    const candidates = known.get(label);
    if (candidates === undefined) {
      // signed-note: verifiers MUST ignore signatures from unknown keys.
      if (!seenUnverified.has(rest)) {
        seenUnverified.add(rest);
        unverifiedSigs.push({ name, keyId, base64 });
      }
      continue;
    }
    if (candidates.length > 1) throw new TlogError(TLOG_ERRORS.AMBIGUOUS_KEY, `ambiguous key ${label}`);
    if (seen.has(label)) continue;
    seen.add(label);
    const verifier = candidates[0] as NoteVerifier;
    // signed-note: if a signature from a known key fails to verify, reject the whole note.
    if (!verifier.verify(textBytes, raw.subarray(4))) {
      throw new TlogError(TLOG_ERRORS.INVALID_SIGNATURE, `invalid signature for key ${label}`);
    }
    sigs.push({ name, keyId, base64, verifier });
  }
  const note: Note = { text, sigs, unverifiedSigs };
  if (sigs.length === 0) throw new UnverifiedNoteError(note);
  return note;
}

/** The text and existing signatures of a note to sign. */
export interface NoteToSign {
  readonly text: string;
  readonly sigs?: readonly NoteSignature[];
  readonly unverifiedSigs?: readonly NoteSignature[];
}

/**
 * Signs a note text, or adds signatures to an opened note: existing signatures come
 * first (except those of a key that signs again), the new ones after, as Go's note.Sign.
 * @throws {TlogError} TLOG_MALFORMED_NOTE when the text does not end in a newline, is not a
 *   valid note text, or an existing signature is inconsistent.
 * @throws {UsageError} when a signer's key name is invalid.
 */
export async function signNote(note: string | NoteToSign, signers: readonly NoteSigner[]): Promise<string> {
  const { text, sigs = [], unverifiedSigs = [] } = typeof note === "string" ? { text: note } : note;
  if (!text.endsWith("\n")) throw malformed("the text must end with a newline");
  const textBytes = toBytes(text);
  if (textBytes === undefined) throw malformed("not well-formed Unicode");
  checkNoteBytes(textBytes);

  const replaced = new Set<string>();
  const added: string[] = [];
  for (const signer of signers) {
    if (!isValidKeyName(signer.name)) throw usageError(`invalid signer name ${JSON.stringify(signer.name)}`);
    replaced.add(keyLabel(signer.name, signer.keyId));
    const signature = await signer.sign(textBytes);
    const raw = new Uint8Array(4 + signature.length);
    new DataView(raw.buffer).setUint32(0, signer.keyId, false);
    raw.set(signature, 4);
    added.push(`${SIGNATURE_PREFIX}${signer.name} ${encodeBase64(raw)}\n`);
  }
  let out = `${text}\n`;
  for (const sig of [...sigs, ...unverifiedSigs]) {
    if (!isValidKeyName(sig.name)) throw malformed("an existing signature has an invalid key name");
    if (replaced.has(keyLabel(sig.name, sig.keyId))) continue;
    const raw = decodeBase64(sig.base64);
    if (raw === undefined || raw.length < 4 || new DataView(raw.buffer, raw.byteOffset, 4).getUint32(0) !== sig.keyId) {
      throw malformed("an existing signature does not match its key ID");
    }
    out += `${SIGNATURE_PREFIX}${sig.name} ${sig.base64}\n`;
  }
  return out + added.join("");
}
