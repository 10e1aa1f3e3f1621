import { promises as fs } from "node:fs";
import { privateKeyFromPem } from "@bulwark/publisher";
import type { PrivateKeySigner, SignatureScheme } from "@bulwark/tuf";
import { CliError } from "./errors.js";
import { EXIT } from "./exit-codes.js";

/**
 * Reads the private key file a command line names (`--key FILE`: Bulwark's encrypted format
 * or a PKCS#8 PEM), asking `passphrase` only when it is encrypted.
 * @throws {CliError} `MISSING_KEY` when the file cannot be read; see {@link privateKeyFromPem}.
 */
export async function readPrivateKeyFile(
  file: string,
  passphrase: () => Promise<string>,
  wanted?: SignatureScheme,
  keyId?: string,
): Promise<PrivateKeySigner> {
  let pem: Buffer;
  try {
    pem = await fs.readFile(file);
  } catch (cause) {
    throw new CliError("MISSING_KEY", `the key file ${file} cannot be read`, EXIT.USAGE, undefined, { cause });
  }
  return privateKeyFromPem(pem, file, passphrase, wanted, keyId);
}
