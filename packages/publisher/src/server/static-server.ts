/**
 * A static HTTP server for a repository's public tree (`metadata/`, `targets/`), or a
 * transparency log's (`checkpoint`, `tile/`): for development, demos and tests, and the
 * reference for how a CDN or web server should serve one. The server is never trusted by clients (every byte is verified against signed
 * metadata), so what matters here is that it never serves anything outside its root and
 * that caches never pin a file that changes in place:
 *
 * - `metadata/timestamp.json`, `metadata/root.json` and other unversioned files change in
 *   place: `Cache-Control: no-cache` (revalidate every time, with the ETag).
 * - versioned metadata (`metadata/N.role.json`) and hash-prefixed targets
 *   (`targets/**\/<sha256 or sha512 hex>.<name>`) never change under their name:
 *   `Cache-Control: public, max-age=31536000, immutable`.
 * - a transparency log's tiles (`tile/**`, c2sp.org/tlog-tiles) never change under their
 *   name either: immutable; its `checkpoint` changes in place: `no-cache`.
 * - 404s are `no-cache` too: a cached 404 for `metadata/N.root.json` would hide a root
 *   rotation from every client behind that cache.
 *
 * ETags are strong and derived from the file's inode, size and modification time in
 * nanoseconds (nginx does the same with size and mtime), so no file is read twice. Every
 * Bulwark writer replaces files by rename, which changes the inode; a file rewritten in
 * place at the same size within one mtime tick would keep its ETag, which is why a CDN
 * fronting several origins should use a content hash instead.
 */
import {
  type BigIntStats,
  closeSync,
  constants,
  createReadStream,
  promises as fs,
  fstatSync,
  lstatSync,
  openSync,
  realpathSync,
  statSync,
} from "node:fs";
import http from "node:http";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { listenHttp } from "@bulwark/tuf";

/** `Cache-Control` of files that never change under their name. */
export const CACHE_IMMUTABLE = "public, max-age=31536000, immutable";
/** `Cache-Control` of files that change in place: caches must revalidate every time. */
export const CACHE_REVALIDATE = "no-cache";
/** How long `close()` lets requests in flight finish before cutting their connections. */
export const SHUTDOWN_GRACE_MS = 2_000;
/** The methods served; anything else is answered 405. */
const ALLOW = "GET, HEAD";

/** One line of the access log: written when a response has finished or was cut off. */
export interface AccessLogEntry {
  readonly method: string;
  /** The request target as received (percent-encoded, with any query). */
  readonly path: string;
  readonly status: number;
  /** Body bytes sent (0 for HEAD and 304). */
  readonly bytes: number;
  /** Milliseconds from the request to the end of the response, to 0.1 ms. */
  readonly ms: number;
}

/** Options of {@link createStaticServer}. */
export interface StaticServerOptions {
  /** The address to bind. Default `127.0.0.1`: reachable from this machine only. */
  readonly host?: string;
  /** The TCP port; `0` (the default) picks a free one. */
  readonly port?: number;
  /** Called once per request, after its response. */
  readonly log?: (entry: AccessLogEntry) => void;
}

/** A listening static server. */
export interface StaticServer {
  /** The base URL, ending in `/`: `http://127.0.0.1:8080/`. */
  readonly url: string;
  /** The address actually bound (`127.0.0.1`, `::1`, `0.0.0.0`...). */
  readonly address: string;
  readonly port: number;
  /** The real path of the folder served. */
  readonly root: string;
  /** Stops accepting connections, waits up to {@link SHUTDOWN_GRACE_MS} for requests in flight. */
  close(): Promise<void>;
}

const CONTENT_TYPES: ReadonlyArray<readonly [suffix: string, type: string]> = [
  [".json", "application/json"],
  [".tar.gz", "application/gzip"],
  [".tgz", "application/gzip"],
  [".gz", "application/gzip"],
  [".zip", "application/zip"],
  [".html", "text/html"],
];

/** The `Content-Type` of a file name: JSON, a few release formats, else `application/octet-stream`. */
export function contentTypeFor(name: string): string {
  const lower = name.toLowerCase();
  return CONTENT_TYPES.find(([suffix]) => lower.endsWith(suffix))?.[1] ?? "application/octet-stream";
}

const VERSIONED_METADATA = /^\d+\..+\.json$/;
const HASH_PREFIXED = /^(?:[0-9a-f]{64}|[0-9a-f]{128})\../;

/** The `Cache-Control` of a file, by its `/`-separated path inside the served root. */
export function cacheControlFor(relPath: string): string {
  const segments = relPath.split("/");
  const name = segments.at(-1) ?? "";
  if (segments[0] === "metadata" && segments.length === 2 && VERSIONED_METADATA.test(name)) return CACHE_IMMUTABLE;
  if (segments[0] === "targets" && segments.length >= 2 && HASH_PREFIXED.test(name)) return CACHE_IMMUTABLE;
  // A transparency log's tiles and entry bundles (c2sp.org/tlog-tiles) never change under
  // their name, partial ones included; only its checkpoint changes in place.
  if (segments[0] === "tile" && segments.length >= 3) return CACHE_IMMUTABLE;
  return CACHE_REVALIDATE;
}

/**
 * The decoded segments of a request target, or undefined when it cannot name a file inside
 * the root: empty, `.`/`..` or dot-file segments (the temporary files of atomic writes),
 * malformed percent-encoding, and `/`, `\` or control characters (NUL included) once decoded.
 */
function requestSegments(target: string): string[] | undefined {
  // absolute-form (`GET http://host/path`): only its path counts
  const absolute = /^https?:\/\/[^/?#]*(\/[^?#]*)?/i.exec(target);
  const raw = absolute ? (absolute[1] ?? "/") : target.split(/[?#]/, 1)[0];
  if (raw === undefined || !raw.startsWith("/")) return undefined;
  const segments: string[] = [];
  for (const part of raw.slice(1).split("/")) {
    let segment: string;
    try {
      segment = decodeURIComponent(part);
    } catch {
      return undefined;
    }
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    if (segment === "" || segment.startsWith(".") || /[/\\\u0000-\u001f\u007f]/.test(segment)) return undefined;
    segments.push(segment);
  }
  return segments;
}

/** How long a resolved request path is trusted before realpath runs again (see {@link PathCache}). */
const REVALIDATE_MS = 1_000;

/** A regular file inside the root, as found by {@link PathCache}. */
interface FoundFile {
  /** Its real path (symlinks resolved), strictly inside the root. */
  readonly real: string;
  readonly ino: bigint;
  readonly mtimeNs: bigint;
  readonly size: number;
  readonly etag: string;
  readonly mtime: Date;
}

// O_NOFOLLOW: a last component swapped for a symlink after realpath() fails to open.
// O_NONBLOCK: a FIFO swapped in after the stat must not block in open().
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

function describeFile(real: string, stat: BigIntStats): FoundFile {
  const etag = `"${stat.ino.toString(36)}-${stat.size.toString(36)}-${stat.mtimeNs.toString(36)}"`;
  return {
    real,
    ino: stat.ino,
    mtimeNs: stat.mtimeNs,
    size: Number(stat.size),
    etag,
    mtime: new Date(Number(stat.mtimeMs)),
  };
}

/**
 * Where request paths lead, remembered: a poll that ends in 304, the common case, costs one
 * `lstat` and no open. Each use checks the remembered real path with `lstat` (which does not
 * follow a last-component link): a file replaced by rename gets a new description, and one
 * replaced by a symlink (or removed) is looked up afresh. The whole path is resolved again
 * with realpath at least every {@link REVALIDATE_MS}, so a folder swapped for a symlink
 * leading out of the root is noticed within that time (nginx's open_file_cache keeps 60 s,
 * and nginx follows links out of its root by default). Synchronous calls on a local disk
 * take microseconds, far less than a hop through libuv's thread pool; this server is not
 * meant for network file systems.
 */
class PathCache {
  private readonly entries = new Map<
    string,
    { readonly segments: readonly string[]; file: FoundFile; readonly resolvedAt: number }
  >();
  private readonly prefix: string;

  constructor(
    private readonly root: string,
    private readonly max = 10_000,
  ) {
    this.prefix = root.endsWith(path.sep) ? root : `${root}${path.sep}`;
  }

  /** The file a request target names, with its decoded segments; undefined for a 404. */
  lookup(target: string): { segments: readonly string[]; file: FoundFile } | undefined {
    const hit = this.entries.get(target);
    if (hit !== undefined && performance.now() - hit.resolvedAt < REVALIDATE_MS) {
      const stat = lstatSync(hit.file.real, { bigint: true, throwIfNoEntry: false });
      if (stat?.isFile()) {
        if (stat.ino !== hit.file.ino || stat.mtimeNs !== hit.file.mtimeNs || Number(stat.size) !== hit.file.size) {
          hit.file = describeFile(hit.file.real, stat);
        }
        return hit;
      }
      this.entries.delete(target);
    }
    const segments = requestSegments(target);
    const file = segments === undefined ? undefined : this.find(segments);
    if (segments === undefined || file === undefined) return undefined;
    const entry = { segments, file, resolvedAt: performance.now() };
    if (this.entries.size >= this.max) this.entries.clear();
    this.entries.set(target, entry);
    return entry;
  }

  /** The regular file the segments name, if its real path is strictly inside the root. */
  private find(segments: readonly string[]): FoundFile | undefined {
    let real: string;
    try {
      real = realpathSync.native(path.join(this.root, ...segments));
    } catch {
      return undefined;
    }
    // Symlinks are followed, but only to files that are themselves inside the root.
    if (!real.startsWith(this.prefix)) return undefined;
    const stat = statSync(real, { bigint: true, throwIfNoEntry: false });
    return stat?.isFile() ? describeFile(real, stat) : undefined;
  }
}

/**
 * Opens `found` for reading. The file may have been replaced since it was found (every
 * Bulwark writer renames a new file into place): what was opened is described afresh, and
 * must still be a regular file.
 */
function openFound(found: FoundFile): { fd: number; file: FoundFile } | undefined {
  let fd: number;
  try {
    fd = openSync(found.real, OPEN_FLAGS);
  } catch {
    return undefined;
  }
  const stat = fstatSync(fd, { bigint: true });
  if (!stat.isFile()) {
    closeSync(fd);
    return undefined;
  }
  return { fd, file: stat.ino === found.ino ? found : describeFile(found.real, stat) };
}

/** `If-None-Match` uses the weak comparison (RFC 9110 13.1.2): `W/` is ignored. */
function noneMatch(header: string, etag: string): boolean {
  return header.split(",").some((tag) => {
    const t = tag.trim();
    return t === "*" || (t.startsWith("W/") ? t.slice(2) : t) === etag;
  });
}

/** Whether `If-Modified-Since` says the client's copy is current (HTTP dates have whole seconds). */
function notModifiedSince(header: string, mtime: Date): boolean {
  const since = Date.parse(header);
  return !Number.isNaN(since) && Math.floor(mtime.getTime() / 1000) * 1000 <= since;
}

/**
 * `If-Range` (RFC 9110 13.1.5): a range is served only if the strong ETag matches exactly.
 * The date form is treated as a mismatch, which is always safe: the whole file is sent.
 */
function ifRangeHolds(header: string | string[] | undefined, etag: string): boolean {
  return header === undefined || (typeof header === "string" && header.trim() === etag);
}

/**
 * A single byte range of a file of `size` bytes (RFC 9110 14.1.2): `{start, end}` inclusive,
 * `"unsatisfiable"` for a 416, or undefined to ignore the header and send the whole file
 * (malformed, another unit, or several ranges).
 */
function parseRange(header: string, size: number): { start: number; end: number } | "unsatisfiable" | undefined {
  const m = /^bytes=[ \t]*(\d*)-(\d*)[ \t]*$/i.exec(header);
  if (m === null) return undefined;
  const [, first = "", last = ""] = m;
  if (first === "") {
    if (last === "") return undefined;
    const suffix = Number(last);
    if (suffix === 0) return "unsatisfiable";
    // an empty file has no bytes to number: send it whole
    return size === 0 ? undefined : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== "" && Number(last) < start) return undefined;
  if (start >= size) return "unsatisfiable";
  return { start, end: last === "" ? size - 1 : Math.min(Number(last), size - 1) };
}

/** Body bytes sent so far for one request, read by the access log. */
interface Tally {
  bytes: number;
}

/** A short text answer (404, 405, 416, 500). */
function plain(
  res: http.ServerResponse,
  tally: Tally,
  status: number,
  text: string,
  headers: http.OutgoingHttpHeaders = {},
): void {
  const body = Buffer.from(`${text}\n`);
  res.writeHead(status, {
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": body.length,
    "Cache-Control": CACHE_REVALIDATE,
    ...headers,
  });
  res.end(body);
  if (res.req.method !== "HEAD") tally.bytes = body.length;
}

/** Answers one request, counting the body bytes sent in `tally`. */
async function respond(
  paths: PathCache,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  tally: Tally,
): Promise<void> {
  res.setHeader("X-Content-Type-Options", "nosniff");
  const method = req.method ?? "";
  if (method !== "GET" && method !== "HEAD") return plain(res, tally, 405, "method not allowed", { Allow: ALLOW });
  const hit = paths.lookup(req.url ?? "");
  if (hit === undefined) return plain(res, tally, 404, "not found");
  const { segments, file: found } = hit;
  const headersFor = (file: FoundFile): http.OutgoingHttpHeaders => ({
    "Content-Type": contentTypeFor(segments.at(-1) ?? ""),
    "Cache-Control": cacheControlFor(segments.join("/")),
    ETag: file.etag,
    "Last-Modified": file.mtime.toUTCString(),
    "Accept-Ranges": "bytes",
  });
  // RFC 9110 13.2.2: If-None-Match wins over If-Modified-Since.
  const inm = req.headers["if-none-match"];
  const ims = req.headers["if-modified-since"];
  if (inm !== undefined ? noneMatch(inm, found.etag) : ims !== undefined && notModifiedSince(ims, found.mtime)) {
    res.writeHead(304, headersFor(found));
    res.end();
    return;
  }
  if (method === "HEAD") {
    res.writeHead(200, { ...headersFor(found), "Content-Length": found.size });
    res.end();
    return;
  }
  const opened = openFound(found);
  if (opened === undefined) return plain(res, tally, 404, "not found");
  const { fd, file } = opened;
  let streaming = false;
  try {
    const headers = headersFor(file);
    let range: { start: number; end: number } | undefined;
    // Range is defined for GET only (RFC 9110 14.2).
    const rangeHeader = req.headers.range;
    if (rangeHeader !== undefined && ifRangeHolds(req.headers["if-range"], file.etag)) {
      const parsed = parseRange(rangeHeader, file.size);
      if (parsed === "unsatisfiable")
        return plain(res, tally, 416, "range not satisfiable", { "Content-Range": `bytes */${file.size}` });
      range = parsed;
    }
    const length = range ? range.end - range.start + 1 : file.size;
    if (range) headers["Content-Range"] = `bytes ${range.start}-${range.end}/${file.size}`;
    res.writeHead(range ? 206 : 200, { ...headers, "Content-Length": length });
    if (length === 0) {
      res.end();
      return;
    }
    // Streamed in chunks; the stream owns (and closes) the file descriptor from here.
    streaming = true;
    const body = createReadStream("", { fd, start: range?.start ?? 0, end: range?.end ?? file.size - 1 });
    body.on("data", (chunk: Buffer | string) => {
      tally.bytes += chunk.length;
    });
    await pipeline(body, res).catch(() => undefined); // a client that hangs up is not an error
    // a file truncated while being sent: cut the connection rather than leave the client waiting
    if (tally.bytes !== length) res.destroy();
  } finally {
    if (!streaming) closeSync(fd);
  }
}

/**
 * Serves the files under `root` over HTTP: GET and HEAD only, paths resolved strictly inside
 * the root (symlinks included), no directory listings, ETag/If-None-Match, single byte ranges
 * with If-Range, caching headers per kind of file (see the module comment). Resolves once
 * listening.
 * @throws the `listen` error (`EADDRINUSE`, `EACCES`, `EADDRNOTAVAIL`...), or the `realpath`
 *   error when `root` does not exist; `ENOTDIR` when it is not a folder.
 */
export async function createStaticServer(root: string, options: StaticServerOptions = {}): Promise<StaticServer> {
  const realRoot = await fs.realpath(root);
  if (!(await fs.stat(realRoot)).isDirectory()) {
    throw Object.assign(new Error(`${root} is not a folder`), { code: "ENOTDIR" });
  }
  const log = options.log;
  const paths = new PathCache(realRoot);
  const server = http.createServer((req, res) => {
    const started = performance.now();
    const tally: Tally = { bytes: 0 };
    res.once("close", () =>
      log?.({
        method: req.method ?? "",
        // escaped, so a request cannot forge log lines
        path: (req.url ?? "").replace(/[^\x21-\x7e]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`),
        status: res.statusCode,
        bytes: tally.bytes,
        ms: Math.round((performance.now() - started) * 10) / 10,
      }),
    );
    // The one error handler: never a message (which names local paths) to the client.
    respond(paths, req, res, tally).catch(() => {
      if (res.headersSent) res.destroy();
      else plain(res, tally, 500, "internal error");
    });
  });
  const listening = await listenHttp(server, { host: options.host, port: options.port, graceMs: SHUTDOWN_GRACE_MS });
  return {
    url: `${listening.origin}/`,
    address: listening.address,
    port: listening.port,
    root: realRoot,
    close: listening.close,
  };
}
