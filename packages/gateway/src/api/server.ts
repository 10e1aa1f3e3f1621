/**
 * The gateway's HTTP API on node:http: one request pipeline (route, per-IP limit, token, role,
 * per-token limit, body) and one error handler that turns every refusal into
 * `{ "error": { "code", "message" } }` with its status. See docs/gateway.md, "The API".
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { UsageError } from "@bulwark/tuf";
import type { Gateway } from "../gateway.js";
import { SourceConfigError } from "../sources/errors.js";
import type { TrailActor } from "../trail/entry.js";
import { API_ERRORS, ApiError } from "./errors.js";
import { type RateLimit, RateLimiter } from "./limits.js";
import { ApiMetrics } from "./metrics.js";
import { openapiDocument } from "./openapi.js";
import { countByState } from "./records.js";
import { type ApiContext, matchRoute, ROUTES, type Route } from "./routes.js";
import { roleAllows, type TokenInfo, TokenStore, tokenActor } from "./tokens.js";

/** The API's limits, by default. */
export const API_DEFAULTS = {
  /** The largest request body, in bytes. */
  maxBodyBytes: 1024 * 1024,
  /** Per client IP: a burst of 300, then 20 requests a second. */
  perIp: { burst: 300, perSecond: 20 } as RateLimit,
  /** Per API token: a burst of 120, then 10 requests a second. */
  perToken: { burst: 120, perSecond: 10 } as RateLimit,
  /** Time to receive a request's headers and body. */
  requestTimeoutMs: 30_000,
} as const;

/** One line of the access log (a JSON line, never a token or a body). */
export interface ApiAccessLogEntry {
  readonly time: string;
  readonly id: string;
  readonly method: string;
  /** The route's pattern (`/api/sources/:id`), or the raw path when none matched. */
  readonly route: string;
  readonly path: string;
  readonly status: number;
  readonly ms: number;
  readonly ip: string;
  /** The token's id, when one authenticated. */
  readonly token?: number;
  /** The error code of a refusal. */
  readonly code?: string;
}

/** Options of {@link createApiServer}. */
export interface ApiServerOptions {
  readonly maxBodyBytes?: number;
  readonly perIp?: RateLimit;
  readonly perToken?: RateLimit;
  /** Called once per answered request. */
  readonly log?: (entry: ApiAccessLogEntry) => void;
  /** Called with errors that became a 500 (they are not sent to the client). */
  readonly onInternalError?: (error: unknown) => void;
}

/** A listening API server. */
export interface ApiServer {
  readonly url: string;
  readonly address: string;
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

const STATUS_OF_LIBRARY_CODE: Readonly<Record<string, number>> = {
  SOURCE_EXISTS: 409,
};

/** The one error handler: what the client is told. */
function toApiError(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (error instanceof SourceConfigError || error instanceof UsageError) {
    const status = STATUS_OF_LIBRARY_CODE[error.code] ?? 400;
    return new ApiError(status, error.code, error.message, error.hint === undefined ? {} : { hint: error.hint });
  }
  return undefined;
}

function send(res: ServerResponse, status: number, body: unknown, type = "application/json"): void {
  const text = typeof body === "string" && type !== "application/json" ? body : `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    "content-type": type === "application/json" ? "application/json; charset=utf-8" : type,
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  });
  res.end(text);
}

async function readBody(req: IncomingMessage, max: number): Promise<unknown> {
  const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") {
    throw new ApiError(415, API_ERRORS.UNSUPPORTED_MEDIA_TYPE, "the body must be application/json");
  }
  const tooLarge = () => new ApiError(413, API_ERRORS.BODY_TOO_LARGE, `the body is larger than ${max} bytes`);
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > max) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new ApiError(400, API_ERRORS.BAD_JSON, "the body is not JSON");
  }
}

function bearer(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer +(\S+)$/i.exec(header);
  return match ? match[1] : "";
}

/** The API as a request listener over an open gateway. */
export function createApiServer(gateway: Gateway, options: ApiServerOptions = {}): Server {
  const maxBody = options.maxBodyBytes ?? API_DEFAULTS.maxBodyBytes;
  const perIp = new RateLimiter(options.perIp ?? API_DEFAULTS.perIp);
  const perToken = new RateLimiter(options.perToken ?? API_DEFAULTS.perToken);
  const metrics = new ApiMetrics();
  const tokens = new TokenStore(gateway.db, gateway.trail);
  let document: unknown;
  const ctx: ApiContext = {
    gateway,
    tokens,
    metrics: async () => metrics.render(await countByState(gateway.db)),
    openapi: () => {
      document ??= openapiDocument(ROUTES);
      return document;
    },
  };

  async function answer(req: IncomingMessage, res: ServerResponse, state: { route: string; token?: TokenInfo }) {
    const url = new URL(req.url ?? "/", "http://gateway.invalid");
    const method = req.method ?? "GET";
    const ip = req.socket.remoteAddress ?? "unknown";
    const wait = perIp.take(ip);
    if (wait > 0) throw rateLimited(wait, "this address");
    const found = matchRoute(ROUTES, method, url.pathname);
    if (found.route === undefined) {
      if (found.allowed.length > 0) {
        throw new ApiError(405, API_ERRORS.METHOD_NOT_ALLOWED, `${method} is not allowed on ${url.pathname}`, {
          headers: { allow: found.allowed.join(", ") },
        });
      }
      throw new ApiError(404, API_ERRORS.NOT_FOUND, `no route ${url.pathname}`);
    }
    const route: Route = found.route;
    state.route = route.path;
    let actor: TrailActor = { kind: "system", id: "api" };
    if (route.auth !== "public") {
      const token = await authenticate(req);
      state.token = token;
      const tokenWait = perToken.take(String(token.id));
      if (tokenWait > 0) throw rateLimited(tokenWait, "this token");
      if (!roleAllows(token.role, route.auth)) {
        throw new ApiError(403, API_ERRORS.FORBIDDEN, `this needs the ${route.auth} role; the token is ${token.role}`);
      }
      actor = tokenActor(token);
    }
    let body: unknown;
    if (route.body !== undefined) {
      const parsed = route.body.safeParse(await readBody(req, maxBody));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue?.path.length ? issue.path.join(".") : "the body";
        throw new ApiError(400, API_ERRORS.BAD_REQUEST, `${where}: ${issue?.message ?? "invalid"}`);
      }
      body = parsed.data;
    }
    const result = await route.handle(ctx, {
      params: found.params,
      query: url.searchParams,
      body,
      token: state.token,
      actor,
    });
    send(res, result.status, result.body, route.produces);
    return result.status;
  }

  async function authenticate(req: IncomingMessage): Promise<TokenInfo> {
    const secret = bearer(req);
    const challenge = { "www-authenticate": 'Bearer realm="bulwark-gateway"' };
    if (secret === undefined) {
      throw new ApiError(401, API_ERRORS.UNAUTHENTICATED, "this needs an API token (Authorization: Bearer …)", {
        headers: challenge,
      });
    }
    const token = await tokens.authenticate(secret);
    if (token === undefined) {
      throw new ApiError(401, API_ERRORS.UNAUTHENTICATED, "the token is unknown or revoked", { headers: challenge });
    }
    return token;
  }

  return createServer({ requestTimeout: API_DEFAULTS.requestTimeoutMs }, (req, res) => {
    const started = process.hrtime.bigint();
    const state: { route: string; token?: TokenInfo } = { route: "(none)" };
    const id = randomUUID();
    res.setHeader("x-request-id", id);
    const finish = (status: number, code?: string) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const method = req.method ?? "GET";
      metrics.observe(method, state.route, status, seconds);
      options.log?.({
        time: new Date().toISOString(),
        id,
        method,
        route: state.route,
        path: new URL(req.url ?? "/", "http://gateway.invalid").pathname,
        status,
        ms: Math.round(seconds * 1000),
        ip: req.socket.remoteAddress ?? "unknown",
        ...(state.token === undefined ? {} : { token: state.token.id }),
        ...(code === undefined ? {} : { code }),
      });
    };
    answer(req, res, state).then(
      (status) => finish(status),
      (error: unknown) => {
        const refusal = toApiError(error);
        const status = refusal?.status ?? 500;
        const code = refusal?.code ?? API_ERRORS.INTERNAL;
        if (refusal === undefined) options.onInternalError?.(error);
        const message = refusal?.message ?? "the gateway could not answer; see its log";
        const hint = refusal?.hint;
        if (!res.headersSent) {
          for (const [name, value] of Object.entries(refusal?.headers ?? {})) res.setHeader(name, value);
          // A refused body is not read further: close the connection rather than drain it.
          if (status === 413) res.setHeader("connection", "close");
          send(res, status, { error: { code, message, ...(hint === undefined ? {} : { hint }) } });
        } else res.destroy();
        finish(status, code);
      },
    );
  });
}

function rateLimited(seconds: number, what: string): ApiError {
  return new ApiError(429, API_ERRORS.RATE_LIMITED, `too many requests from ${what}; retry in ${seconds} s`, {
    headers: { "retry-after": String(seconds) },
  });
}

/**
 * Serves the API on `host:port` (0 picks a free port).
 * @throws the listen error (EADDRINUSE …).
 */
export async function listenApi(
  gateway: Gateway,
  options: ApiServerOptions & { readonly host?: string; readonly port?: number } = {},
): Promise<ApiServer> {
  const server = createApiServer(gateway, options);
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const shown = address.includes(":") ? `[${address}]` : address;
  return {
    url: `http://${shown}:${port}`,
    address,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
