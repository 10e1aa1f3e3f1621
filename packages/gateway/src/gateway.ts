/**
 * A gateway folder, made by `bulwark gateway init DIR`:
 *
 *   DIR/gateway.json        the trail's origin and verifier key, where the rest lives (public)
 *   DIR/keys/trail.pem      the trail key, encrypted (passphrase BULWARK_PASSPHRASE_GATEWAY)
 *   DIR/gateway.sqlite      the embedded database (unless a PostgreSQL URL is given)
 *   DIR/blobs/              release bytes, content-addressed
 *   DIR/trail/              the audit trail (a tlog-tiles log)
 *
 * {@link openGateway} opens all of it, migrating the database, for the API and the workers.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import {
  createNoteKeyFile,
  folderPathField,
  type Passphrases,
  PUBLISHER_ERRORS,
  PublisherError,
  parseConfigFile,
  readNoteKeyFile,
  SCHEMA_KEY,
} from "@bulwark/publisher";
import { Ed25519Signer, isValidKeyName } from "@bulwark/tlog";
import { UsageError, writeFileAtomic } from "@bulwark/tuf";
import { z } from "zod";
import { drainTrail } from "./api/changes.js";
import { TokenStore } from "./api/tokens.js";
import { DiskBlobStore } from "./blobs/disk-blob-store.js";
import type { Database } from "./db/database.js";
import { openDatabase } from "./db/open.js";
import { Trail } from "./trail/trail.js";

/** The contents of gateway.json. */
export interface GatewayConfig {
  /** The trail's checkpoint origin, e.g. `gateway.example.org/trail`. */
  readonly origin: string;
  /** The trail's verifier key, for monitors. */
  readonly vkey: string;
  /** Paths relative to the folder. */
  readonly key: string;
  readonly database: string;
  readonly blobs: string;
  readonly trail: string;
}

/** The file name of gateway.json's JSON Schema. */
export const GATEWAY_CONFIG_SCHEMA_FILE = "gateway.schema.json";

/** The schema of gateway.json. */
export const GATEWAY_CONFIG_SCHEMA = z
  .strictObject({
    ...SCHEMA_KEY,
    origin: z.string().min(1).describe("the audit trail's checkpoint origin (its key name)"),
    vkey: z.string().min(1).describe("the audit trail's verifier key, which monitors trust"),
    key: folderPathField("the trail's encrypted key file, relative to the folder"),
    database: folderPathField("the SQLite database file, relative to the folder (unless --database is given)"),
    blobs: folderPathField("the folder of release bytes, relative to the folder"),
    trail: folderPathField("the audit trail's folder, relative to the folder"),
  })
  .transform(
    ({ origin, vkey, key, database, blobs, trail }): GatewayConfig => ({
      origin,
      vkey,
      key,
      database,
      blobs,
      trail,
    }),
  );

/** The files of a gateway folder. */
export function gatewayLayout(dir: string) {
  return {
    dir,
    config: path.join(dir, "gateway.json"),
    key: path.join(dir, "keys", "trail.pem"),
    database: path.join(dir, "gateway.sqlite"),
    blobs: path.join(dir, "blobs"),
    trail: path.join(dir, "trail"),
  };
}

/** What {@link initGateway} made. */
export interface InitializedGateway {
  readonly dir: string;
  readonly config: GatewayConfig;
  /** The first admin token: shown once, stored only hashed. */
  readonly adminToken: string;
}

/** Options of {@link initGateway}. */
export interface InitGatewayOptions {
  /** The trail's origin; `bulwark-gateway/<folder name>/trail` when absent. */
  readonly origin?: string;
  /** A `postgres://` URL to use instead of the embedded SQLite file. */
  readonly database?: string;
  /** The trail key's new passphrase. */
  readonly passphrase: string;
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}

/**
 * Creates a gateway folder: config, trail key (encrypted), database (migrated), blob folder,
 * an empty trail, and a first admin token (its issue recorded in the trail).
 * @throws {UsageError} GATEWAY_EXISTS when `dir` already holds a gateway; TRAIL_USAGE for a bad origin.
 */
export async function initGateway(dir: string, options: InitGatewayOptions): Promise<InitializedGateway> {
  const layout = gatewayLayout(dir);
  if (await exists(layout.config)) {
    throw new UsageError(`${dir} already holds a gateway`, { code: "GATEWAY_EXISTS", hint: "choose another folder" });
  }
  const origin = options.origin ?? `bulwark-gateway/${path.basename(path.resolve(dir))}/trail`;
  if (!isValidKeyName(origin)) {
    throw new UsageError(`${JSON.stringify(origin)} cannot name the trail's key`, {
      code: "GATEWAY_BAD_ORIGIN",
      hint: "no spaces and no + in an origin",
    });
  }
  await fs.mkdir(path.dirname(layout.key), { recursive: true });
  await fs.mkdir(layout.blobs, { recursive: true });
  const seed = await createNoteKeyFile(layout.key, options.passphrase);
  const signer = new Ed25519Signer(origin, seed);
  seed.fill(0);
  const verifier = signer.verifier();
  const rel = (file: string): string => path.relative(dir, file);
  const config: GatewayConfig = {
    origin,
    vkey: verifier.vkey,
    key: rel(layout.key),
    database: rel(layout.database),
    blobs: rel(layout.blobs),
    trail: rel(layout.trail),
  };
  const trail = await Trail.folder(layout.trail, { origin, signer, verifier, create: true });
  const db = await openDatabase(options.database ?? layout.database);
  try {
    const tokens = new TokenStore(db, trail);
    const { token } = await tokens.create({ name: "first admin", role: "admin" }, { kind: "system", id: "init" });
    await writeGatewayConfig(dir, config);
    return { dir, config, adminToken: token };
  } finally {
    await db.close();
  }
}

/** Writes gateway.json, naming its schema; written last by init, so its presence means "made". */
export async function writeGatewayConfig(dir: string, config: GatewayConfig): Promise<void> {
  const json = { $schema: GATEWAY_CONFIG_SCHEMA_FILE, ...config };
  await writeFileAtomic(gatewayLayout(dir).config, Buffer.from(`${JSON.stringify(json, null, 2)}\n`));
}

/**
 * Reads gateway.json.
 * @throws {UsageError} NOT_A_GATEWAY; ConfigError BAD_GATEWAY_CONFIG
 */
export async function readGatewayConfig(dir: string): Promise<GatewayConfig> {
  const file = gatewayLayout(dir).config;
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch {
    throw new UsageError(`${dir} holds no readable gateway.json`, {
      code: "NOT_A_GATEWAY",
      hint: "create the gateway with `bulwark gateway init DIR`",
    });
  }
  return parseConfigFile(GATEWAY_CONFIG_SCHEMA, bytes, {
    file,
    code: "BAD_GATEWAY_CONFIG",
    hint: "a gateway folder is made by `bulwark gateway init`",
  });
}

/** An open gateway: its database, blobs and trail. */
export interface Gateway {
  readonly dir: string;
  readonly config: GatewayConfig;
  readonly db: Database;
  readonly blobs: DiskBlobStore;
  readonly trail: Trail;
  close(): Promise<void>;
}

/**
 * Opens a gateway folder: unlocks the trail key (role `gateway`), checks it against
 * gateway.json's vkey, opens (and migrates) the database, opens the trail and appends to it
 * any audit entry a crashed process left pending.
 * @throws {UsageError} NOT_A_GATEWAY, GATEWAY_NO_DATABASE (a gateway on PostgreSQL opened without its URL);
 *   {@link PublisherError} MISSING_KEY, FOREIGN_KEY; ConfigError BAD_GATEWAY_CONFIG;
 *   StorageError from the database; TrailError when the trail does not check out.
 */
export async function openGateway(
  dir: string,
  options: { readonly database?: string; readonly passphrases: Passphrases },
): Promise<Gateway> {
  const config = await readGatewayConfig(dir);
  const seed = await readNoteKeyFile(path.join(dir, config.key), options.passphrases, "gateway");
  const signer = new Ed25519Signer(config.origin, seed);
  seed.fill(0);
  const verifier = signer.verifier();
  if (verifier.vkey !== config.vkey) {
    throw new PublisherError(PUBLISHER_ERRORS.FOREIGN_KEY, `${config.key} is not the key of ${config.vkey}`);
  }
  const trail = await Trail.folder(path.join(dir, config.trail), { origin: config.origin, signer, verifier });
  const sqliteFile = path.join(dir, config.database);
  if (options.database === undefined && !(await exists(sqliteFile))) {
    // Never make an empty database beside a gateway whose records live elsewhere.
    throw new UsageError(`${dir} has no ${config.database}: its database is elsewhere`, {
      code: "GATEWAY_NO_DATABASE",
      hint: "give the postgres:// URL the gateway was made with (--database, or BULWARK_GATEWAY_DATABASE)",
    });
  }
  const db = await openDatabase(options.database ?? sqliteFile);
  try {
    // Entries a process committed but died before appending go to the trail now.
    await drainTrail(db, trail);
  } catch (error) {
    await db.close();
    throw error;
  }
  return {
    dir,
    config,
    db,
    blobs: new DiskBlobStore(path.join(dir, config.blobs)),
    trail,
    close: () => db.close(),
  };
}
