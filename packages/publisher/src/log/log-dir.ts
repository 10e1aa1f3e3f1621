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

function badConfig(file: string, why: string): PublisherError {
  return new PublisherError(PUBLISHER_ERRORS.BAD_LOG_CONFIG, `${file}: ${why}`, {
    hint: "a log folder is made by `bulwark log init`",
  });
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
   * @throws {PublisherError} NOT_A_LOG or BAD_LOG_CONFIG
   */
  static async open(dir: string): Promise<LogDir> {
    const file = logLayout(dir).config;
    let text: string;
    try {
      text = await fs.readFile(file, "utf8");
    } catch {
      throw new PublisherError(PUBLISHER_ERRORS.NOT_A_LOG, `${dir} is not a log folder (no log.json)`, {
        hint: "create one with `bulwark log init DIR --origin ORIGIN`",
      });
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw badConfig(file, "not JSON");
    }
    const c = value as Partial<LogConfig> | null;
    if (typeof c !== "object" || c === null || typeof c.origin !== "string" || typeof c.vkey !== "string") {
      throw badConfig(file, "origin and vkey must be strings");
    }
    if (typeof c.key !== "string" || path.isAbsolute(c.key) || c.key.split(/[\\/]/).includes("..")) {
      throw badConfig(file, "key must be a path inside the folder");
    }
    let verifier: NoteVerifier;
    try {
      verifier = parseVerifierKey(c.vkey);
    } catch (cause) {
      throw new PublisherError(PUBLISHER_ERRORS.BAD_LOG_CONFIG, `${file}: the vkey does not parse`, { cause });
    }
    return new LogDir(dir, { origin: c.origin, vkey: c.vkey, key: c.key }, verifier);
  }

  /** Writes log.json for a new log. */
  static async writeConfig(dir: string, config: LogConfig): Promise<void> {
    await writeFileAtomic(logLayout(dir).config, Buffer.from(`${JSON.stringify(config, null, 2)}\n`));
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
