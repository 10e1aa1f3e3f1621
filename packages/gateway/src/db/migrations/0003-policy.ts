/**
 * The policy engine's tables (policy/store.ts): saved policy documents (every version kept),
 * the rings of each, the approvers, how far each release went in each ring, pins and freezes;
 * and which policy was in force when an approval was recorded.
 */
import type { DialectSql } from "../database.js";
import type { Migration } from "../migrate.js";

function statements(d: DialectSql): string[] {
  return [
    // Append-only: the newest row is the policy in force.
    `CREATE TABLE policies (
      id ${d.serialKey},
      document ${d.json} NOT NULL,
      digest TEXT NOT NULL CHECK (length(digest) = 64),
      created_by TEXT NOT NULL,
      created_at ${d.bigint} NOT NULL
    )`,
    `CREATE TABLE rings (
      policy_id ${d.bigint} NOT NULL REFERENCES policies (id),
      position INTEGER NOT NULL CHECK (position >= 0),
      name TEXT NOT NULL,
      delay_ms ${d.bigint} NOT NULL CHECK (delay_ms >= 0),
      PRIMARY KEY (policy_id, position),
      UNIQUE (policy_id, name)
    )`,
    // Removed approvers stay (their approvals name them), marked removed.
    `CREATE TABLE approvers (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      created_by TEXT NOT NULL,
      created_at ${d.bigint} NOT NULL,
      removed_at ${d.bigint}
    )`,
    `ALTER TABLE approvals ADD COLUMN policy_id ${d.bigint} REFERENCES policies (id)`,
    `CREATE TABLE release_rings (
      release_id ${d.bigint} NOT NULL REFERENCES releases (id),
      ring TEXT NOT NULL,
      approved_at ${d.bigint},
      published_at ${d.bigint},
      PRIMARY KEY (release_id, ring)
    )`,
    `CREATE TABLE pins (
      source_id ${d.bigint} PRIMARY KEY REFERENCES sources (id),
      version TEXT NOT NULL,
      reason TEXT NOT NULL,
      pinned_by TEXT NOT NULL,
      pinned_at ${d.bigint} NOT NULL
    )`,
    // At most one freeze in force: in_force is 1 until it is lifted, then NULL (NULLs never collide).
    `CREATE TABLE freezes (
      id ${d.serialKey},
      reason TEXT NOT NULL,
      frozen_by TEXT NOT NULL,
      frozen_at ${d.bigint} NOT NULL,
      lifted_by TEXT,
      lifted_at ${d.bigint},
      in_force INTEGER UNIQUE CHECK (in_force = 1)
    )`,
  ];
}

/**
 * Migration 3 (numbered 2 until gw-api's 0002-tokens is merged before it: versions have no gaps).
 */
export const policy: Migration = { version: 3, name: "policy", statements };
