/**
 * The API's tokens (issue 16 item 6): each a random secret shown once, kept only as its
 * SHA-256, with a role. A revoked token stays, for the audit trail to name.
 */
import type { DialectSql } from "../database.js";
import type { Migration } from "../migrate.js";

/** The roles of an API token, from most to least allowed. */
export const TOKEN_ROLES = ["admin", "approver", "viewer"] as const;

const quoted = (values: readonly string[]): string => values.map((v) => `'${v}'`).join(", ");

function statements(d: DialectSql): string[] {
  return [
    `CREATE TABLE api_tokens (
      id ${d.serialKey},
      name TEXT NOT NULL,
      role TEXT NOT NULL CHECK (role IN (${quoted(TOKEN_ROLES)})),
      sha256 TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64),
      created_at ${d.bigint} NOT NULL,
      created_by TEXT NOT NULL,
      revoked_at ${d.bigint},
      revoked_by TEXT
    )`,
  ];
}

/** Migration 2. */
export const tokens: Migration = { version: 2, name: "tokens", statements };
