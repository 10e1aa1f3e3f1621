/**
 * A release-log folder, made by `bulwark log init`:
 *
 *   DIR/log.json            the origin and the log's verifier key (public)
 *   DIR/keys/log.pem        the log's Ed25519 key, encrypted (passphrase BULWARK_PASSPHRASE_LOG)
 *   DIR/witnesses.policy    optional: the witnesses to ask on each append (Sigsum policy lines)
 *   DIR/public/             the log as served (checkpoint, tile/...): serve or sync it as is
 *   DIR/.bulwark-log.lock   held while a command appends
 */
import { existsSync, promises as fs } from "node:fs";
import path from "node:path";
import {
  Ed25519Signer,
  FolderStore,
  LogWriter,
  type NoteVerifier,
  parseVerifierKey,
  parseWitnessPolicy,
  type WitnessPolicy,
  type WritableLogStore,
} from "@bulwark/tlog";
import { writeFileAtomic } from "@bulwark/tuf";
import { z } from "zod";
import { folderPathField, parseConfigFile, SCHEMA_KEY } from "../config-file.js";
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";
import { acquireLock } from "../store/lock.js";
import type { Passphrases } from "../store/passphrases.js";
import { readNoteKeyFile } from "./note-keys.js";

/** The contents of log.json. */
export interface LogConfig {
  readonly origin: string;
  readonly vkey: string;
  /** The key file, relative to the folder. */
  readonly key: string;
}

/** The file name of log.json's JSON Schema, which the file names in `"$schema"`. */
export const LOG_CONFIG_SCHEMA_FILE = "log.schema.json";

/** The schema of log.json. */
export const LOG_CONFIG_SCHEMA = z
  .strictObject({
    ...SCHEMA_KEY,
    origin: z.string().min(1).describe("the log's origin line (its name in checkpoints)"),
    vkey: z.string().min(1).describe("the log's note verifier key (public)"),
    key: folderPathField("the log's encrypted key file, relative to the folder"),
  })
  .transform(({ origin, vkey, key }): LogConfig => ({ origin, vkey, key }));

/** The files of a log folder. */
export function logLayout(dir: string) {
  return {
    dir,
    config: path.join(dir, "log.json"),
    keys: path.join(dir, "keys"),
    key: path.join(dir, "keys", "log.pem"),
    witnesses: path.join(dir, "witnesses.policy"),
    public: path.join(dir, "public"),
    lock: path.join(dir, ".bulwark-log.lock"),
  };
}

/** Whether `dir` is a log folder. */
export function isLogDir(dir: string): boolean {
  return existsSync(logLayout(dir).config);
}

/** An opened log folder: its configuration and the log's verifier. */
export class LogDir {
  readonly layout: ReturnType<typeof logLayout>;

  private constructor(
    dir: string,
    readonly config: LogConfig,
    readonly verifier: NoteVerifier,
  ) {
    this.layout = logLayout(dir);
  }

  /**
   * Reads DIR/log.json.
   * @throws {PublisherError} NOT_A_LOG; {@link ConfigError} or PublisherError BAD_LOG_CONFIG
   */
  static async open(dir: string): Promise<LogDir> {
    const file = logLayout(dir).config;
    let text: Buffer;
    try {
      text = await fs.readFile(file);
    } catch {
      throw new PublisherError(PUBLISHER_ERRORS.NOT_A_LOG, `${dir} is not a log folder (no log.json)`, {
        hint: "create one with `bulwark log init DIR --origin ORIGIN`",
      });
    }
    const config = parseConfigFile(LOG_CONFIG_SCHEMA, text, {
      file,
      code: PUBLISHER_ERRORS.BAD_LOG_CONFIG,
      hint: "a log folder is made by `bulwark log init`",
    });
    let verifier: NoteVerifier;
    try {
      verifier = parseVerifierKey(config.vkey);
    } catch (cause) {
      throw new PublisherError(PUBLISHER_ERRORS.BAD_LOG_CONFIG, `${file}: the vkey does not parse`, { cause });
    }
    return new LogDir(dir, config, verifier);
  }

  /** Writes log.json for a new log, naming its schema. */
  static async writeConfig(dir: string, config: LogConfig): Promise<void> {
    const json = { $schema: LOG_CONFIG_SCHEMA_FILE, origin: config.origin, vkey: config.vkey, key: config.key };
    await writeFileAtomic(logLayout(dir).config, Buffer.from(`${JSON.stringify(json, null, 2)}\n`));
  }

  /** The log as stored in public/. */
  store(): FolderStore {
    return new FolderStore(this.layout.public);
  }

  /** The witness policy of DIR/witnesses.policy, or undefined when there is none. */
  async witnessPolicy(): Promise<WitnessPolicy | undefined> {
    let text: string;
    try {
      text = await fs.readFile(this.layout.witnesses, "utf8");
    } catch {
      return undefined;
    }
    return parseWitnessPolicy(text);
  }

  /**
   * Takes the folder's lock, decrypts the log key and opens the writer (which verifies
   * the stored checkpoint and the edge tiles). Call `release` when done. `wrap` sees every
   * write to public/ (to copy new resources elsewhere).
   * @throws {PublisherError} LOCKED, MISSING_KEY, FOREIGN_KEY; {@link UsageError} KEY_UNREADABLE;
   *   {@link TlogError} when the stored log does not verify.
   */
  async openWriter(
    passphrases: Passphrases,
    wrap: (store: FolderStore) => WritableLogStore = (store) => store,
  ): Promise<{ writer: LogWriter; release: () => Promise<void> }> {
    const release = await acquireLock(this.layout.lock);
    try {
      const seed = await readNoteKeyFile(path.join(this.layout.dir, this.config.key), passphrases, "log");
      const signer = new Ed25519Signer(this.verifier.name, seed);
      seed.fill(0);
      if (signer.verifier().vkey !== this.verifier.vkey) {
        throw new PublisherError(
          PUBLISHER_ERRORS.FOREIGN_KEY,
          `${this.config.key} is not the key of ${this.config.vkey}`,
        );
      }
      const writer = await LogWriter.open(wrap(this.store()), {
        origin: this.config.origin,
        signer,
        verifier: this.verifier,
      });
      return { writer, release };
    } catch (error) {
      await release();
      throw error;
    }
  }
}
