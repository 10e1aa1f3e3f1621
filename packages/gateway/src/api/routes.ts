/**
 * The API's route table: each route's method, path, the role it needs, its body's schema and
 * its handler. The server dispatches from it and the OpenAPI document is generated from it.
 * A handler parses nothing itself and calls one library function.
 */
import type { z } from "zod";
import { RELEASE_STATES } from "../db/migrations/0001-initial.js";
import type { Gateway } from "../gateway.js";
import type { TrailActor } from "../trail/entry.js";
import { API_ERRORS, ApiError } from "./errors.js";
import { addSource, getRelease, getSource, listReleases, listSources, pageOf, type ReleaseState } from "./records.js";
import {
  HEALTH,
  pageOf as pageSchema,
  RELEASE_DETAIL,
  RELEASE_VIEW,
  SOURCE_CONFIG_BODY,
  SOURCE_VIEW,
  TOKEN_BODY,
  TOKEN_CREATED,
  TOKEN_INFO,
} from "./schemas.js";
import type { TokenInfo, TokenRole, TokenStore } from "./tokens.js";

/** What a handler is given. */
export interface RouteRequest<B> {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: B;
  /** The token that authenticated the request (absent on public routes). */
  readonly token: TokenInfo | undefined;
  readonly actor: TrailActor;
}

/** What a handler answers: a status and a JSON body. */
export interface RouteResponse {
  readonly status: number;
  readonly body: unknown;
}

/** A query parameter, for the OpenAPI document. */
export interface QueryParam {
  readonly name: string;
  readonly description: string;
  readonly enum?: readonly string[];
}

/** One route. `auth` is the least role it needs, or `public`. */
export interface Route<B = unknown> {
  readonly method: "GET" | "POST" | "DELETE";
  /** `/api/sources/:id`: `:name` segments are parameters. */
  readonly path: string;
  readonly summary: string;
  readonly auth: TokenRole | "public";
  readonly body?: z.ZodType<B>;
  readonly query?: readonly QueryParam[];
  /** The success status, for the OpenAPI document. */
  readonly status: number;
  /** The success answer's shape, for the OpenAPI document (absent for a non-JSON answer). */
  readonly response?: z.ZodType;
  /** The response content type (JSON unless said otherwise). */
  readonly produces?: string;
  handle(gateway: ApiContext, request: RouteRequest<B>): Promise<RouteResponse>;
}

/** What handlers reach: the open gateway and its tokens, and the server's own text routes. */
export interface ApiContext {
  readonly gateway: Gateway;
  readonly tokens: TokenStore;
  /** Renders /metrics. */
  metrics(): Promise<string>;
  /** The OpenAPI document. */
  openapi(): unknown;
}

const route = <B>(r: Route<B>): Route => r as Route;

const notFound = (what: string): ApiError => new ApiError(404, API_ERRORS.NOT_FOUND, `${what} does not exist`);

const PAGE_QUERY: readonly QueryParam[] = [
  { name: "after", description: "the `next` cursor of the previous page" },
  { name: "limit", description: "at most this many items (1 to 500, default 100)" },
];

function releaseState(value: string | null): ReleaseState | undefined {
  if (value === null) return undefined;
  if (!(RELEASE_STATES as readonly string[]).includes(value)) {
    throw new ApiError(400, API_ERRORS.BAD_REQUEST, `state must be one of ${RELEASE_STATES.join(", ")}`);
  }
  return value as ReleaseState;
}

const page = (query: URLSearchParams) => pageOf(query.get("after") ?? undefined, query.get("limit") ?? undefined);

/** Every route of the API. */
export const ROUTES: readonly Route[] = [
  route({
    method: "GET",
    path: "/healthz",
    summary: "whether this process is up and reaches its database",
    auth: "public",
    status: 200,
    response: HEALTH,
    async handle({ gateway }) {
      await gateway.db.query("SELECT 1 AS ok");
      return { status: 200, body: { ok: true } };
    },
  }),
  route({
    method: "GET",
    path: "/openapi.json",
    summary: "this document",
    auth: "public",
    status: 200,
    async handle(ctx) {
      return { status: 200, body: ctx.openapi() };
    },
  }),
  route({
    method: "GET",
    path: "/metrics",
    summary: "Prometheus metrics (text format 0.0.4)",
    auth: "viewer",
    status: 200,
    produces: "text/plain; version=0.0.4",
    async handle(ctx) {
      return { status: 200, body: await ctx.metrics() };
    },
  }),
  route({
    method: "GET",
    path: "/api/sources",
    summary: "the sources, in the order they were added",
    auth: "viewer",
    query: PAGE_QUERY,
    status: 200,
    response: pageSchema(SOURCE_VIEW),
    async handle({ gateway }, { query }) {
      return { status: 200, body: await listSources(gateway.db, page(query)) };
    },
  }),
  route({
    method: "POST",
    path: "/api/sources",
    summary: "add a source (a TUF repository, an electron-updater, Sparkle or Squirrel feed, a plain URL)",
    auth: "admin",
    body: SOURCE_CONFIG_BODY,
    status: 201,
    response: SOURCE_VIEW,
    async handle({ gateway }, { body, actor }) {
      return { status: 201, body: await addSource(gateway.db, gateway.trail, body, actor) };
    },
  }),
  route({
    method: "GET",
    path: "/api/sources/:id",
    summary: "one source",
    auth: "viewer",
    status: 200,
    response: SOURCE_VIEW,
    async handle({ gateway }, { params }) {
      const source = await getSource(gateway.db, params.id as string);
      if (source === undefined) throw notFound(`the source ${params.id}`);
      return { status: 200, body: source };
    },
  }),
  route({
    method: "GET",
    path: "/api/releases",
    summary: "upstream releases, oldest first",
    auth: "viewer",
    query: [
      { name: "state", description: "only releases in this state", enum: RELEASE_STATES },
      { name: "source", description: "only releases of this source" },
      ...PAGE_QUERY,
    ],
    status: 200,
    response: pageSchema(RELEASE_VIEW),
    async handle({ gateway }, { query }) {
      const state = releaseState(query.get("state"));
      const source = query.get("source") ?? undefined;
      const filter = { ...(state === undefined ? {} : { state }), ...(source === undefined ? {} : { source }) };
      return { status: 200, body: await listReleases(gateway.db, filter, page(query)) };
    },
  }),
  route({
    method: "GET",
    path: "/api/releases/:id",
    summary: "one release, with the evidence of how it was verified and its alerts",
    auth: "viewer",
    status: 200,
    response: RELEASE_DETAIL,
    async handle({ gateway }, { params }) {
      const id = Number(params.id);
      const release = Number.isSafeInteger(id) && id > 0 ? await getRelease(gateway.db, id) : undefined;
      if (release === undefined) throw notFound(`the release ${params.id}`);
      return { status: 200, body: release };
    },
  }),
  route({
    method: "GET",
    path: "/api/tokens",
    summary: "the API tokens (never their secrets)",
    auth: "admin",
    status: 200,
    response: pageSchema(TOKEN_INFO),
    async handle({ tokens }) {
      return { status: 200, body: { items: await tokens.list(), next: null } };
    },
  }),
  route({
    method: "POST",
    path: "/api/tokens",
    summary: "make a token; its secret is in this answer only",
    auth: "admin",
    body: TOKEN_BODY,
    status: 201,
    response: TOKEN_CREATED,
    async handle({ tokens }, { body, actor }) {
      const { token, info } = await tokens.create(body as z.output<typeof TOKEN_BODY>, actor);
      return { status: 201, body: { ...info, token } };
    },
  }),
  route({
    method: "DELETE",
    path: "/api/tokens/:id",
    summary: "revoke a token",
    auth: "admin",
    status: 200,
    response: TOKEN_INFO,
    async handle({ tokens }, { params, actor }) {
      const id = Number(params.id);
      const revoked = Number.isSafeInteger(id) && id > 0 ? await tokens.revoke(id, actor) : undefined;
      if (revoked === undefined) throw notFound(`a live token ${params.id}`);
      return { status: 200, body: revoked };
    },
  }),
];

/** Finds the route of `method` and `pathname`: the route and its parameters, or why none. */
export function matchRoute(
  routes: readonly Route[],
  method: string,
  pathname: string,
): { route: Route; params: Record<string, string> } | { route?: undefined; allowed: string[] } {
  const segments = pathname.split("/");
  const allowed: string[] = [];
  for (const candidate of routes) {
    const pattern = candidate.path.split("/");
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const matches = pattern.every((part, i) => {
      const segment = segments[i] as string;
      if (!part.startsWith(":")) return part === segment;
      if (segment === "") return false;
      try {
        params[part.slice(1)] = decodeURIComponent(segment);
      } catch {
        return false;
      }
      return true;
    });
    if (!matches) continue;
    if (candidate.method === method) return { route: candidate, params };
    allowed.push(candidate.method);
  }
  return { allowed };
}
