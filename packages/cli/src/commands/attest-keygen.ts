import { existsSync } from "node:fs";
import path from "node:path";
import { writeKeyFile } from "@bulwark/publisher";
import { PrivateKeySigner, writeFileAtomic } from "@bulwark/tuf";
import { defineCommand } from "../command.js";
import { CliError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { builderPassphrase } from "./attest.js";
import { parseScheme } from "./key-add.js";

/** Where the public half of KEYFILE goes: KEYFILE without `.pem`, plus `.pub.json`. */
export function publicKeyPath(keyFile: string): string {
  return `${keyFile.replace(/\.pem$/i, "")}.pub.json`;
}

export default defineCommand({
  name: "attest keygen",
  summary: "create a builder's signing key; print its public key for the vendor's policy",
  description: `Generates a builder's key pair (ed25519 unless --scheme says otherwise), writes the
private key encrypted (scrypt, AES-256-GCM; passphrase from BULWARK_PASSPHRASE_BUILDER or
BULWARK_PASSPHRASE, else a prompt, asked twice) to KEYFILE, readable by its owner only, and
the public key as TUF key JSON to KEYFILE.pub.json (without .pem). Send the public key to the
vendor, who lists it with \`bulwark policy set --builder ID=KEYFILE.pub.json\`.

Keep the private key on the builder's own infrastructure: a builder that shares a machine,
a CI account or a secret store with the vendor's release pipeline is not independent.

Example:
  bulwark attest keygen --out ~/.bulwark/builder.pem`,
  positionals: [],
  options: [
    {
      name: "out",
      type: "string",
      valueName: "KEYFILE",
      required: true,
      description: "where to write the private key",
    },
    {
      name: "scheme",
      type: "string",
      valueName: "SCHEME",
      description: "ed25519 (default), ecdsa-sha2-nistp256, ecdsa-sha2-nistp384 or rsassa-pss-sha256",
    },
    { name: "force", type: "boolean", description: "overwrite KEYFILE and its .pub.json" },
  ],
  async run({ options }, ctx) {
    const keyFile = path.resolve(ctx.cwd, options.out);
    const pubFile = publicKeyPath(keyFile);
    if (!options.force) {
      for (const file of [keyFile, pubFile]) {
        if (existsSync(file)) {
          throw new CliError("FILE_EXISTS", `${file} exists`, EXIT.USAGE, "choose another name, or pass --force");
        }
      }
    }
    const scheme = parseScheme(options.scheme) ?? "ed25519";
    const signer = PrivateKeySigner.generate(scheme);
    await writeKeyFile(keyFile, signer, await builderPassphrase(ctx, true));
    const publicKey = signer.publicKey.toJSON();
    await writeFileAtomic(pubFile, Buffer.from(`${JSON.stringify(publicKey, null, 2)}\n`));
    ctx.out.line(`Wrote the private key to ${keyFile} (encrypted) and the public key to ${pubFile}.`);
    ctx.out.line(`key ID ${signer.keyId}`);
    ctx.out.line(JSON.stringify(publicKey));
    ctx.out.line(
      `The vendor adds it with: bulwark policy set DIR --product NAME --builder YOUR-ID=${path.basename(pubFile)} ...`,
    );
    return { data: { keyFile, publicKeyFile: pubFile, keyId: signer.keyId, scheme, publicKey } };
  },
});
