/**
 * The private keys of a log and of a witness, at rest: Ed25519 keys in encrypted PKCS#8
 * PEM files (AES-256, the format of the repository's keys), readable by their owner only.
 * The signed-note `PRIVATE+KEY+...` form is never written: it would be the seed in clear.
 * Passphrases come from BULWARK_PASSPHRASE_<ROLE>, BULWARK_PASSPHRASE, or a prompt.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { promises as fs } from "node:fs";
import { PrivateKeySigner, UsageError } from "@bulwark/tuf";
import type { Context } from "../command.js";
import { CliError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { KeyStore, passphraseVariable, writeKeyFile } from "../store/keystore.js";

/** The passphrase of `role`'s key (`log` or `witness`), asked twice on a terminal when `confirm`. */
export function rolePassphrase(ctx: Context, role: "log" | "witness", confirm = false): Promise<string> {
  return new KeyStore(ctx.cwd, [], ctx, () => undefined).passphrase(role, confirm);
}

/** Generates an Ed25519 key, writes it encrypted to `file`, and returns its 32-byte seed. */
export async function createNoteKeyFile(file: string, passphrase: string): Promise<Uint8Array> {
  const { privateKey } = generateKeyPairSync("ed25519");
  await writeKeyFile(file, new PrivateKeySigner(privateKey, "ed25519"), passphrase);
  return seedOf(privateKey);
}

/**
 * Reads the seed of an encrypted Ed25519 key file.
 * @throws {CliError} MISSING_KEY when it cannot be read; {@link UsageError} KEY_UNREADABLE for
 *   a wrong passphrase or a file that is not an Ed25519 private key.
 */
export async function readNoteKeyFile(file: string, ctx: Context, role: "log" | "witness"): Promise<Uint8Array> {
  let pem: Buffer;
  try {
    pem = await fs.readFile(file);
  } catch (cause) {
    throw new CliError("MISSING_KEY", `the ${role} key file ${file} cannot be read`, EXIT.FAILURE, undefined, {
      cause,
    });
  }
  const passphrase = await rolePassphrase(ctx, role);
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
