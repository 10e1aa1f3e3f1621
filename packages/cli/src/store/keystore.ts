/**
 * Private keys of a repository: encrypted PKCS#8 files (passphrase from the environment or
 * a prompt, never argv), external signer commands, or offline keys that sign elsewhere.
 * Keys are loaded, and passphrases asked for, only when a role must be signed.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { type Key, PrivateKeySigner, type Signer, writeFileAtomic } from "@bulwark/tuf";
import type { Context } from "../command.js";
import { CliError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { CommandSigner } from "../external/command-signer.js";
import type { KeyEntry } from "./config.js";

/** The environment variable that holds the passphrase of `role`'s keys. */
export function passphraseVariable(role: string): string {
  return `BULWARK_PASSPHRASE_${role.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

/** Writes a private key, encrypted, readable by its owner only. */
export async function writeKeyFile(file: string, signer: PrivateKeySigner, passphrase: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, Buffer.from(signer.exportPem(passphrase)));
  await fs.chmod(file, 0o600);
}

export class KeyStore {
  private readonly passphrases = new Map<string, string>();
  private readonly loaded = new Map<string, Signer>();

  constructor(
    private readonly dir: string,
    private readonly entries: readonly KeyEntry[],
    private readonly ctx: Context,
    /** The public key the repository's metadata lists under a key ID, to catch foreign key files. */
    private readonly publicKeyOf: (keyId: string) => Key | undefined,
  ) {}

  /** The passphrase for `role`'s keys: BULWARK_PASSPHRASE_<ROLE>, BULWARK_PASSPHRASE, or a prompt. */
  async passphrase(role: string, confirm = false): Promise<string> {
    const cached = this.passphrases.get(role);
    if (cached !== undefined) return cached;
    const fromEnv = this.ctx.env[passphraseVariable(role)] ?? this.ctx.env.BULWARK_PASSPHRASE;
    let value: string;
    if (fromEnv !== undefined && fromEnv !== "") {
      value = fromEnv;
    } else {
      value = await this.ctx.prompt.secret(`Passphrase for the ${role} keys: `);
      if (confirm && (await this.ctx.prompt.secret("Again: ")) !== value) {
        throw new CliError("PASSPHRASE_MISMATCH", "the passphrases differ", EXIT.USAGE);
      }
    }
    if (value.length < 8) {
      throw new CliError(
        "WEAK_PASSPHRASE",
        `the passphrase for the ${role} keys is shorter than 8 characters`,
        EXIT.USAGE,
      );
    }
    this.passphrases.set(role, value);
    return value;
  }

  /** The signers available here among `keyids`, for signing `role` (offline keys are not). */
  async signersFor(role: string, keyids: readonly string[]): Promise<Signer[]> {
    const out: Signer[] = [];
    for (const entry of this.entries) {
      if (!keyids.includes(entry.id) || "offline" in entry) continue;
      out.push(await this.load(entry, entry.roles[0] ?? role));
    }
    return out;
  }

  private async load(entry: KeyEntry, role: string): Promise<Signer> {
    const cached = this.loaded.get(entry.id);
    if (cached !== undefined) return cached;
    const expected = this.publicKeyOf(entry.id);
    let signer: Signer;
    if ("command" in entry) {
      if (expected === undefined) throw this.unknown(entry);
      signer = new CommandSigner(entry.id, expected, entry.command);
    } else if ("file" in entry) {
      const file = path.resolve(this.dir, entry.file);
      let pem: Buffer;
      try {
        pem = await fs.readFile(file);
      } catch (cause) {
        throw new CliError(
          "MISSING_KEY",
          `the key file ${entry.file} for key ${entry.id.slice(0, 12)} cannot be read`,
          EXIT.FAILURE,
          "restore it, or revoke the key with `bulwark key revoke`",
          { cause },
        );
      }
      signer = PrivateKeySigner.fromPem(pem, entry.scheme, await this.passphrase(role), entry.id);
      if (expected !== undefined && expected.publicValue.trim() !== signer.publicKey.publicValue.trim()) {
        throw new CliError(
          "FOREIGN_KEY",
          `${entry.file} holds another key than the ${entry.id.slice(0, 12)} the repository lists`,
          EXIT.FAILURE,
          "point bulwark.json at the right key file",
        );
      }
    } else {
      throw this.unknown(entry);
    }
    this.loaded.set(entry.id, signer);
    return signer;
  }

  private unknown(entry: KeyEntry): CliError {
    return new CliError(
      "UNKNOWN_KEY",
      `key ${entry.id.slice(0, 12)} is not listed in the repository's metadata`,
      EXIT.FAILURE,
    );
  }
}
