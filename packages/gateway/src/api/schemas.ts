/**
 * The shapes of the API's request bodies, as zod schemas: the server parses bodies with them
 * and the OpenAPI document is generated from them, so the two cannot drift apart.
 */
import { z } from "zod";
import { RELEASE_STATES } from "../db/migrations/0001-initial.js";
import { TOKEN_ROLES } from "../db/migrations/0002-tokens.js";
import { SIGNATURE_ALGORITHMS } from "../sources/types.js";

const id = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/)
  .describe("the source's name: letters, digits, '.', '_', '/', '-' (at most 128)");
const url = z.string().min(1).max(2048);

/** A source, as POST /api/sources takes it and GET returns its `config`: `SourceConfig` in JSON. */
export const SOURCE_CONFIG_BODY = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("tuf"),
    id,
    metadataUrl: url.describe("base URL of the repository's metadata"),
    targetsUrl: url.describe("base URL of its targets"),
    trustedRoot: z.base64().min(1).max(1_000_000).describe("the root.json to pin, base64"),
    product: z.string().min(1).max(256),
    channel: z.string().min(1).max(64).optional(),
    platform: z.string().min(1).max(64).optional(),
  }),
  z.strictObject({ kind: z.literal("electron"), id, feedUrl: url.describe("the latest.yml URL") }),
  z.strictObject({
    kind: z.literal("sparkle"),
    id,
    feedUrl: url.describe("the appcast URL"),
    publicKey: z.string().min(1).max(256).describe("SUPublicEDKey: base64 of the Ed25519 public key"),
  }),
  z.strictObject({ kind: z.literal("squirrel"), id, feedUrl: url.describe("the RELEASES file's URL") }),
  z.strictObject({
    kind: z.literal("url"),
    id,
    url,
    version: z.string().min(1).max(128).optional(),
    sha256: z.string().optional().describe("the expected SHA-256, hex"),
    signature: z
      .strictObject({ url, algorithm: z.enum(SIGNATURE_ALGORITHMS), publicKey: z.string().min(1).max(4096) })
      .optional(),
  }),
]);

/** A source's configuration in its JSON form. */
export type SourceConfigBody = z.output<typeof SOURCE_CONFIG_BODY>;

/** POST /api/tokens. */
export const TOKEN_BODY = z.strictObject({
  name: z.string().min(1).max(100).describe("who or what the token is for"),
  role: z.enum(TOKEN_ROLES).describe("admin: everything; approver: approvals; viewer: reads only"),
});

// The shapes of the answers, for the OpenAPI document (the handlers' types are the views in
// records.ts and tokens.ts; a test checks real answers against these).
const time = z.string().describe("RFC 3339, UTC");

/** A source as GET /api/sources/:id answers. */
export const SOURCE_VIEW = z.strictObject({
  id: z.string(),
  kind: z.string(),
  config: SOURCE_CONFIG_BODY,
  createdAt: time,
  updatedAt: time,
  lastPolledAt: time.nullable(),
});

/** A release as GET /api/releases lists it. */
export const RELEASE_VIEW = z.strictObject({
  id: z.number().int(),
  source: z.string(),
  version: z.string(),
  url: z.string(),
  sha256: z.string(),
  size: z.number().int(),
  state: z.enum(RELEASE_STATES),
  createdAt: time,
  updatedAt: time,
});

/** An alert about a release. */
export const ALERT_VIEW = z.strictObject({
  id: z.number().int(),
  kind: z.string(),
  severity: z.enum(["info", "warning", "critical"]),
  message: z.string(),
  evidence: z.unknown(),
  createdAt: time,
  resolvedAt: time.nullable(),
});

/** GET /api/releases/:id. */
export const RELEASE_DETAIL = RELEASE_VIEW.extend({
  evidence: z.unknown().describe("how the release was verified: the checks made and what they compared"),
  alerts: z.array(ALERT_VIEW),
});

/** A token as the API shows it (never its secret). */
export const TOKEN_INFO = z.strictObject({
  id: z.number().int(),
  name: z.string(),
  role: z.enum(TOKEN_ROLES),
  createdAt: time,
  createdBy: z.string(),
  revokedAt: time.nullable(),
});

/** POST /api/tokens: the token's secret, in this answer only. */
export const TOKEN_CREATED = TOKEN_INFO.extend({ token: z.string().describe("bgw_…: shown once") });

/** A page of `item`s and the cursor of the next page. */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.strictObject({
    items: z.array(item),
    next: z.string().nullable().describe("`after` for the next page; null on the last"),
  });

/** GET /healthz. */
export const HEALTH = z.strictObject({ ok: z.literal(true) });
