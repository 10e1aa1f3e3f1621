/**
 * The private keys of a log and of a witness, at rest: Ed25519 keys in encrypted PKCS#8
 * PEM files (AES-256, the format of the repository's keys), readable by their owner only.
 * The signed-note `PRIVATE+KEY+...` form is never written: it would be the seed in clear.
 * Passphrases come from the caller (see store/passphrases.ts), under the role `log` or `witness`.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { promises as fs } from "node:fs";
import { PrivateKeySigner, UsageError } from "@bulwark/tuf";
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";
import { writeKeyFile } from "../store/keystore.js";
import { type Passphrases, passphraseVariable } from "../store/passphrases.js";

/** Generates an Ed25519 key, writes it encrypted to `file`, and returns its 32-byte seed. */
export async function createNoteKeyFile(file: string, passphrase: string): Promise<Uint8Array> {
  const { privateKey } = generateKeyPairSync("ed25519");
  await writeKeyFile(file, new PrivateKeySigner(privateKey, "ed25519"), passphrase);
  return seedOf(privateKey);
}

/**
 * Reads the seed of an encrypted Ed25519 key file.
 * @throws {PublisherError} MISSING_KEY when it cannot be read; {@link UsageError} KEY_UNREADABLE
 *   for a wrong passphrase or a file that is not an Ed25519 private key.
 */
export async function readNoteKeyFile(
  file: string,
  passphrases: Passphrases,
  role: "log" | "witness",
): Promise<Uint8Array> {
  let pem: Buffer;
  try {
    pem = await fs.readFile(file);
  } catch (cause) {
    throw new PublisherError(PUBLISHER_ERRORS.MISSING_KEY, `the ${role} key file ${file} cannot be read`, { cause });
  }
  const passphrase = await passphrases.get(role);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, passphrase });
  } catch (cause) {
    throw new UsageError(
      `cannot read the ${role} key ${file}: wrong passphrase (${passphraseVariable(role)} or BULWARK_PASSPHRASE)?`,
      { cause, code: "KEY_UNREADABLE" },
    );
  }
  if (key.asymmetricKeyType !== "ed25519") {
    throw new UsageError(`${file} is not an Ed25519 key`, { code: "KEY_UNREADABLE" });
  }
  return seedOf(key);
}

function seedOf(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: "jwk" });
  return new Uint8Array(Buffer.from(jwk.d as string, "base64url"));
}
