/**
 * The API's tokens: `bgw_` and 43 characters of base64url (256 random bits), shown once when
 * made; the database keeps only their SHA-256, with a role and a name. A revoked token is
 * kept (revoked), so the trail's entries still name it.
 */
import { createHash, randomBytes } from "node:crypto";
import { UsageError } from "@bulwark/tuf";
import type { Database, Row } from "../db/database.js";
import { StorageError } from "../db/errors.js";
import { TOKEN_ROLES } from "../db/migrations/0002-tokens.js";
import type { TrailActor } from "../trail/entry.js";
import type { Trail } from "../trail/trail.js";
import { recordChange } from "./changes.js";

export { TOKEN_ROLES };

/** One of {@link TOKEN_ROLES}. */
export type TokenRole = (typeof TOKEN_ROLES)[number];

/** What each role may do, by rank: a role may do what every lower one may. */
const RANK: Readonly<Record<TokenRole, number>> = { viewer: 0, approver: 1, admin: 2 };

/** Whether `role` may act where `needed` is required. */
export function roleAllows(role: TokenRole, needed: TokenRole): boolean {
  return RANK[role] >= RANK[needed];
}

/** The prefix of every token: makes a leaked one easy to recognise in secret scanners. */
export const TOKEN_PREFIX = "bgw_";
const TOKEN_FORMAT = /^bgw_[A-Za-z0-9_-]{43}$/;
/** The longest token name. */
export const MAX_TOKEN_NAME_LENGTH = 100;

/** A token as the API shows it (never its secret). */
export interface TokenInfo {
  readonly id: number;
  readonly name: string;
  readonly role: TokenRole;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly revokedAt: string | null;
}

/** Who a token acts as in the audit trail. */
export function tokenActor(token: Pick<TokenInfo, "id" | "name">): TrailActor {
  return { kind: "token", id: `${token.id}:${token.name}` };
}

const iso = (ms: unknown): string | null =>
  ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString();

function parseToken(row: Row): TokenInfo {
  const { id, name, role, created_at: createdAt, created_by: createdBy, revoked_at: revokedAt } = row;
  if (typeof name !== "string" || typeof createdBy !== "string" || !TOKEN_ROLES.includes(role as TokenRole)) {
    throw new StorageError("DB_BAD_ROW", "bad row in the api_tokens table");
  }
  return {
    id: Number(id),
    name,
    role: role as TokenRole,
    createdAt: iso(createdAt) as string,
    createdBy,
    revokedAt: iso(revokedAt),
  };
}

const hashOf = (token: string): string => createHash("sha256").update(token, "utf8").digest("hex");

const COLUMNS = "id, name, role, created_at, created_by, revoked_at";

/** The tokens in the gateway's database; issuing and revoking are recorded in the trail. */
export class TokenStore {
  constructor(
    readonly db: Database,
    readonly trail: Trail,
  ) {}

  /**
   * Makes a token; the secret is returned once and never stored.
   * @throws {UsageError} TOKEN_BAD_NAME for an empty, too long or unprintable name.
   */
  async create(
    request: { readonly name: string; readonly role: TokenRole },
    actor: TrailActor,
  ): Promise<{ readonly token: string; readonly info: TokenInfo }> {
    const { name, role } = request;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    if (name === "" || name.length > MAX_TOKEN_NAME_LENGTH || /[\u0000-\u001f\u007f-\u009f]/.test(name)) {
      throw new UsageError(`a token name is 1 to ${MAX_TOKEN_NAME_LENGTH} printable characters`, {
        code: "TOKEN_BAD_NAME",
      });
    }
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
    const now = new Date();
    const info = await recordChange(this.db, this.trail, async (tx) => {
      const [row] = await tx.query(
        `INSERT INTO api_tokens (name, role, sha256, created_at, created_by) VALUES ($1, $2, $3, $4, $5)
         RETURNING ${COLUMNS}`,
        [name, role, hashOf(token), now.getTime(), `${actor.kind}:${actor.id}`],
      );
      const info = parseToken(row as Row);
      const entry = {
        actor,
        action: "token.issued" as const,
        subject: { kind: "token", id: String(info.id) },
        time: now,
        details: { name, role },
      };
      return { result: info, entries: [entry] };
    });
    return { token, info };
  }

  /** The live token whose secret is `token`, or undefined (unknown, malformed or revoked). */
  async authenticate(token: string): Promise<TokenInfo | undefined> {
    if (!TOKEN_FORMAT.test(token)) return undefined;
    const [row] = await this.db.query(`SELECT ${COLUMNS} FROM api_tokens WHERE sha256 = $1 AND revoked_at IS NULL`, [
      hashOf(token),
    ]);
    return row === undefined ? undefined : parseToken(row);
  }

  /** Every token, newest first. */
  async list(): Promise<TokenInfo[]> {
    return (await this.db.query(`SELECT ${COLUMNS} FROM api_tokens ORDER BY id DESC`)).map(parseToken);
  }

  /** Revokes token `id`; undefined when there is no such live token. */
  async revoke(id: number, actor: TrailActor): Promise<TokenInfo | undefined> {
    const now = new Date();
    return recordChange(this.db, this.trail, async (tx) => {
      const [row] = await tx.query(
        `UPDATE api_tokens SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL
         RETURNING ${COLUMNS}`,
        [now.getTime(), `${actor.kind}:${actor.id}`, id],
      );
      if (row === undefined) return { result: undefined, entries: [] };
      const info = parseToken(row);
      const entry = {
        actor,
        action: "token.revoked" as const,
        subject: { kind: "token", id: String(id) },
        time: now,
        details: { name: info.name, role: info.role },
      };
      return { result: info, entries: [entry] };
    });
  }
}
