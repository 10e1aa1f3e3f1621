/**
 * A witness's state folder, made by `bulwark witness init`:
 *
 *   DIR/witness.json            the witness's name and cosignature verifier key (public)
 *   DIR/keys/witness.pem        its Ed25519 key, encrypted (passphrase BULWARK_PASSPHRASE_WITNESS)
 *   DIR/checkpoints/<h>/checkpoint   the latest checkpoint cosigned per log, h = sha256(origin)
 *   DIR/evidence/               validly signed checkpoints it refused (forks, rollbacks)
 *   DIR/.bulwark-witness.lock   held while `bulwark witness serve` runs
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { CosignatureV1Signer, parseCosignatureVerifierKey } from "@bulwark/tlog";
import { writeFileAtomic } from "@bulwark/tuf";
import { z } from "zod";
import { folderPathField, parseConfigFile, SCHEMA_KEY } from "../config-file.js";
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";
import type { Passphrases } from "../store/passphrases.js";
import { readNoteKeyFile } from "./note-keys.js";

/** The contents of witness.json. */
export interface WitnessConfig {
  readonly name: string;
  /** The cosignature/v1 verifier key (type 0x04) logs and clients list. */
  readonly vkey: string;
  /** The key file, relative to the folder. */
  readonly key: string;
}

/** The file name of witness.json's JSON Schema, which the file names in `"$schema"`. */
export const WITNESS_CONFIG_SCHEMA_FILE = "witness.schema.json";

/** The schema of witness.json. */
export const WITNESS_CONFIG_SCHEMA = z
  .strictObject({
    ...SCHEMA_KEY,
    name: z.string().min(1).describe("the witness's name (the key name in its cosignatures)"),
    vkey: z.string().min(1).describe("the cosignature/v1 verifier key that logs and clients list"),
    key: folderPathField("the witness's encrypted key file, relative to the folder"),
  })
  .transform(({ name, vkey, key }): WitnessConfig => ({ name, vkey, key }));

/** The files of a witness folder. */
export function witnessLayout(dir: string) {
  return {
    dir,
    config: path.join(dir, "witness.json"),
    keys: path.join(dir, "keys"),
    key: path.join(dir, "keys", "witness.pem"),
    checkpoints: path.join(dir, "checkpoints"),
    evidence: path.join(dir, "evidence"),
    lock: path.join(dir, ".bulwark-witness.lock"),
  };
}

/** Writes witness.json, naming its schema. */
export async function writeWitnessConfig(dir: string, config: WitnessConfig): Promise<void> {
  const json = { $schema: WITNESS_CONFIG_SCHEMA_FILE, name: config.name, vkey: config.vkey, key: config.key };
  await writeFileAtomic(witnessLayout(dir).config, Buffer.from(`${JSON.stringify(json, null, 2)}\n`));
}

/**
 * Reads witness.json.
 * @throws {PublisherError} NOT_A_WITNESS; {@link ConfigError} BAD_WITNESS_CONFIG
 */
export async function readWitnessConfig(dir: string): Promise<WitnessConfig> {
  const file = witnessLayout(dir).config;
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch {
    throw new PublisherError(PUBLISHER_ERRORS.NOT_A_WITNESS, `${dir} holds no readable witness.json`, {
      hint: "create the witness with `bulwark witness init --state DIR --name NAME`",
    });
  }
  return parseConfigFile(WITNESS_CONFIG_SCHEMA, bytes, {
    file,
    code: PUBLISHER_ERRORS.BAD_WITNESS_CONFIG,
    hint: "a witness folder is made by `bulwark witness init`",
  });
}

/**
 * The witness's cosigner, from its encrypted key, checked against witness.json's vkey.
 * @throws {PublisherError} MISSING_KEY, FOREIGN_KEY; {@link UsageError} KEY_UNREADABLE
 */
export async function loadCosigner(
  dir: string,
  config: WitnessConfig,
  passphrases: Passphrases,
): Promise<CosignatureV1Signer> {
  const seed = await readNoteKeyFile(path.join(dir, config.key), passphrases, "witness");
  const signer = new CosignatureV1Signer(config.name, seed);
  seed.fill(0);
  if (signer.verifier().vkey !== parseCosignatureVerifierKey(config.vkey).vkey) {
    throw new PublisherError(PUBLISHER_ERRORS.FOREIGN_KEY, `${config.key} is not the key of ${config.vkey}`);
  }
  return signer;
}
