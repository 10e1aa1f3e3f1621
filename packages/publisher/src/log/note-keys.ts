/**
 * The private keys of a log and of a witness, at rest: Ed25519 keys in encrypted key files
 * (scrypt and AES-256-GCM, the format of the repository's keys, see store/key-file.ts),
 * readable by their owner only.
 * The signed-note `PRIVATE+KEY+...` form is never written: it would be the seed in clear.
 * Passphrases come from the caller (see store/passphrases.ts), under the role `log` or `witness`.
 */
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { promises as fs } from "node:fs";
import { PrivateKeySigner, UsageError } from "@bulwark/tuf";
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";
import { decryptKeyFile } from "../store/key-file.js";
import { writeKeyFile } from "../store/keystore.js";
import type { Passphrases } from "../store/passphrases.js";

/** Generates an Ed25519 key, writes it encrypted to `file`, and returns its 32-byte seed. */
export async function createNoteKeyFile(file: string, passphrase: string): Promise<Uint8Array> {
  const { privateKey } = generateKeyPairSync("ed25519");
  await writeKeyFile(file, new PrivateKeySigner(privateKey, "ed25519"), passphrase);
  return seedOf(privateKey);
}

/**
 * Reads the seed of an encrypted Ed25519 key file.
 * @throws {PublisherError} MISSING_KEY when it cannot be read; {@link KeyFileError} KEY_UNREADABLE
 *   for a wrong passphrase (BAD_KEY_FILE, WEAK_KEY_FILE: see decryptKeyFile); {@link UsageError}
 *   KEY_UNREADABLE for a file that is not an Ed25519 private key.
 */
export async function readNoteKeyFile(
  file: string,
  passphrases: Passphrases,
  role: "log" | "witness" | "gateway",
): Promise<Uint8Array> {
  let pem: Buffer;
  try {
    pem = await fs.readFile(file);
  } catch (cause) {
    throw new PublisherError(PUBLISHER_ERRORS.MISSING_KEY, `the ${role} key file ${file} cannot be read`, { cause });
  }
  const key = await decryptKeyFile(pem, file, () => passphrases.get(role));
  if (key.asymmetricKeyType !== "ed25519") {
    throw new UsageError(`${file} is not an Ed25519 key`, { code: "KEY_UNREADABLE" });
  }
  return seedOf(key);
}

function seedOf(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: "jwk" });
  return new Uint8Array(Buffer.from(jwk.d as string, "base64url"));
}
