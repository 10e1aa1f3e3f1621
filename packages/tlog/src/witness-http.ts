/**
 * The HTTP face of a {@link TlogWitness} (c2sp.org/tlog-witness), on node:http:
 *
 *     POST <prefix>/add-checkpoint                 the spec's call; 200, 400, 403, 404, 409, 422,
 *                                                  and 424 when the log's tiles cannot be read
 *     GET  <prefix>/<sha256(origin) hex>/checkpoint the latest cosigned checkpoint, for monitors
 *
 * The monitoring route follows the spec's editor's draft; the spec leaves it open. Bodies
 * over {@link WITNESS_HTTP_DEFAULTS.maxBodyBytes} are refused with 413 while streaming. The
 * one error handler answers 500 with no detail: messages may name local paths.
 */
import http from "node:http";
import { listenHttp } from "@bulwark/tuf";
import { TLOG_ERRORS } from "./errors.js";
import { type TlogWitness, WitnessRefusal } from "./witness.js";
import { ADD_CHECKPOINT_PATH, formatSizeBody, TLOG_SIZE_CONTENT_TYPE } from "./witness-request.js";

/** Named defaults of the witness's HTTP limits. */
export const WITNESS_HTTP_DEFAULTS = {
  /**
   * The largest add-checkpoint body: a checkpoint with 100 signatures and 63 proof lines
   * is under 24 KiB.
   */
  maxBodyBytes: 64 * 1024,
  /** Time allowed to receive a whole request. */
  requestTimeoutMs: 30_000,
  /** Time allowed to receive the request headers. */
  headersTimeoutMs: 10_000,
} as const;

/** One answered request, for an access log. */
export interface WitnessAccessLogEntry {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly bytes: number;
  readonly ms: number;
}

/** Options of {@link createWitnessHandler}. */
export interface WitnessHandlerOptions {
  /** The URL path prefix of both routes, without a trailing slash (default: none). */
  readonly prefix?: string;
  readonly maxBodyBytes?: number;
  /** Called once per request, after it is answered. */
  readonly log?: (entry: WitnessAccessLogEntry) => void;
}

const MONITOR_ROUTE = /^\/([0-9a-f]{64})\/checkpoint$/;

class BodyTooLarge extends Error {}

/** A prefix as `/a/b` (or empty): one leading slash, none trailing. */
function normalPrefix(prefix = ""): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, "");
  return trimmed === "" ? "" : `/${trimmed}`;
}

/** Reads a request body, refusing more than `max` bytes as they arrive. */
async function readBody(req: http.IncomingMessage, max: number): Promise<Uint8Array> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > max) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > max) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks, total);
  return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
}

function send(
  res: http.ServerResponse,
  status: number,
  body: string,
  contentType = "text/plain; charset=utf-8",
  headers: http.OutgoingHttpHeaders = {},
): number {
  const bytes = Buffer.from(body, "utf8");
  res.writeHead(status, {
    "Content-Type": contentType,
    "Content-Length": bytes.length,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    ...headers,
  });
  res.end(res.req.method === "HEAD" ? undefined : bytes);
  return res.req.method === "HEAD" ? 0 : bytes.length;
}

/** Answers one request; returns the body bytes sent. */
async function respond(
  witness: TlogWitness,
  prefix: string,
  maxBodyBytes: number,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<number> {
  const pathname = new URL(req.url ?? "/", "http://witness.invalid").pathname;
  if (!pathname.startsWith(`${prefix}/`)) return send(res, 404, "not found\n");
  const route = pathname.slice(prefix.length);
  if (route === ADD_CHECKPOINT_PATH) {
    if (req.method !== "POST") return send(res, 405, "use POST\n", undefined, { Allow: "POST" });
    let body: Uint8Array;
    try {
      body = await readBody(req, maxBodyBytes);
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error;
      res.setHeader("Connection", "close");
      return send(res, 413, `the body is over ${maxBodyBytes} bytes\n`);
    }
    try {
      const lines = await witness.addCheckpoint(body);
      return send(res, 200, lines.map((l) => `${l}\n`).join(""));
    } catch (error) {
      if (!(error instanceof WitnessRefusal)) throw error;
      // tlog-witness: a stale old size is answered with the latest size, as text/x.tlog.size.
      if (error.code === TLOG_ERRORS.STALE_SIZE && error.latestSize !== undefined) {
        return send(res, 409, formatSizeBody(error.latestSize), TLOG_SIZE_CONTENT_TYPE);
      }
      return send(res, error.status, `${error.message}\n`);
    }
  }
  const monitor = MONITOR_ROUTE.exec(route);
  if (monitor !== null) {
    if (req.method !== "GET" && req.method !== "HEAD") {
      return send(res, 405, "use GET\n", undefined, { Allow: "GET, HEAD" });
    }
    const note = await witness.latestByOriginHash(monitor[1] as string);
    if (note === undefined) return send(res, 404, "no checkpoint cosigned for this log\n");
    return send(res, 200, note);
  }
  return send(res, 404, "not found\n");
}

/**
 * A node:http request listener serving a witness (see the module comment).
 * @throws {UsageError} never; errors inside a request become a 500 answer.
 */
export function createWitnessHandler(
  witness: TlogWitness,
  options: WitnessHandlerOptions = {},
): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const prefix = normalPrefix(options.prefix);
  const maxBodyBytes = options.maxBodyBytes ?? WITNESS_HTTP_DEFAULTS.maxBodyBytes;
  return (req, res) => {
    const started = performance.now();
    let bytes = 0;
    res.once("close", () =>
      options.log?.({
        method: req.method ?? "",
        // escaped, so a request cannot forge log lines
        path: (req.url ?? "").replace(/[^\x21-\x7e]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`),
        status: res.statusCode,
        bytes,
        ms: Math.round((performance.now() - started) * 10) / 10,
      }),
    );
    respond(witness, prefix, maxBodyBytes, req, res).then(
      (sent) => {
        bytes = sent;
      },
      () => {
        if (res.headersSent) res.destroy();
        else bytes = send(res, 500, "internal error\n");
      },
    );
  };
}

/** A listening witness server. */
export interface WitnessServer {
  /** The base URL, with a trailing slash: the submission and monitoring prefix. */
  readonly url: string;
  readonly address: string;
  readonly port: number;
  /** Stops accepting connections and resolves once open requests are done (cut after 2 s). */
  close(): Promise<void>;
}

/**
 * Serves a witness over HTTP on `host:port` (default 127.0.0.1, a free port).
 * @throws the `listen` error (`EADDRINUSE`, `EACCES`, ...).
 */
export async function listenWitness(
  witness: TlogWitness,
  options: WitnessHandlerOptions & { host?: string; port?: number } = {},
): Promise<WitnessServer> {
  const server = http.createServer(createWitnessHandler(witness, options));
  server.requestTimeout = WITNESS_HTTP_DEFAULTS.requestTimeoutMs;
  server.headersTimeout = WITNESS_HTTP_DEFAULTS.headersTimeoutMs;
  const listening = await listenHttp(server, { host: options.host, port: options.port, graceMs: 2000 });
  return {
    url: `${listening.origin}${normalPrefix(options.prefix)}/`,
    address: listening.address,
    port: listening.port,
    close: listening.close,
  };
}
