/**
 * A vendor's update server on 127.0.0.1 for the sources' tests: files the test (playing the
 * vendor, or the attacker who took the server) changes at will, an ETag for each, and
 * conditional requests answered as a CDN answers them.
 */
import { createHash } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { listen, type TestLike, tempDir } from "@bulwark/testkit";
import type { DownloadLimits } from "@bulwark/tuf";
import { httpFetchContext, InMemorySourceMemory, type PollContext } from "../src/index.js";

/** One request the server answered. */
export interface Served {
  readonly path: string;
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
}

/** The vendor's server. */
export interface VendorServer {
  /** Base URL, ending in `/`. */
  readonly url: string;
  /** Files by path (no leading slash); change them to change what is served. */
  readonly files: Map<string, Uint8Array>;
  readonly log: Served[];
  /** Requests for `path` answered with bytes (200). */
  fetched(path: string): number;
  /** Whether to send ETags and honour If-None-Match (default true). */
  etags: boolean;
  /** Paths whose body never ends (an endless-data attack). */
  readonly endless: Set<string>;
  /** Paths answered with headers and then silence (a slow-retrieval attack). */
  readonly stalled: Set<string>;
}

/** Starts a vendor server that lives as long as the test. */
export async function vendorServer(
  t: TestLike,
  files: Record<string, string | Uint8Array> = {},
): Promise<VendorServer> {
  const map = new Map<string, Uint8Array>(
    Object.entries(files).map(([k, v]) => [k, typeof v === "string" ? Buffer.from(v) : v]),
  );
  const log: Served[] = [];
  const endless = new Set<string>();
  const stalled = new Set<string>();
  const server: VendorServer = {
    url: "",
    files: map,
    log,
    etags: true,
    endless,
    stalled,
    fetched: (p) => log.filter((s) => s.path === p && s.status === 200).length,
  };
  const url = await listen(t, (req, res) => {
    const p = decodeURIComponent((req.url ?? "/").split("?")[0] ?? "/").replace(/^\//, "");
    const answer = (status: number) => log.push({ path: p, status, headers: req.headers });
    if (endless.has(p)) {
      answer(200);
      res.writeHead(200, { "content-type": "application/octet-stream" });
      const chunk = Buffer.alloc(64 * 1024, 0x41);
      const pump = () => {
        while (res.write(chunk)) {
          if (res.destroyed) return;
        }
        res.once("drain", pump);
      };
      res.on("close", () => res.removeAllListeners("drain"));
      pump();
      return;
    }
    const data = map.get(p);
    if (stalled.has(p) && data !== undefined) {
      answer(200);
      res.writeHead(200, { "content-length": data.length });
      res.write(data.subarray(0, 1));
      return;
    }
    if (data === undefined) {
      answer(404);
      res.writeHead(404).end();
      return;
    }
    const etag = `"${createHash("sha256").update(data).digest("hex").slice(0, 16)}"`;
    if (server.etags && req.headers["if-none-match"] === etag) {
      answer(304);
      res.writeHead(304, { etag }).end();
      return;
    }
    answer(200);
    res.writeHead(200, {
      "content-length": data.length,
      "content-type": "application/octet-stream",
      ...(server.etags ? { etag } : {}),
    });
    res.end(data);
  });
  return Object.assign(server, { url });
}

/** A poll context with a fresh memory and staging folder. */
export function pollContext(
  t: TestLike,
  downloadLimits: DownloadLimits = {},
): PollContext & { memory: InMemorySourceMemory } {
  const dir = tempDir(t, "bulwark-sources-");
  return {
    memory: new InMemorySourceMemory(),
    fetch: httpFetchContext(`${dir}/staging`, {}, { minBytesPerSecond: 0, ...downloadLimits }),
    workDir: `${dir}/work`,
  };
}

/** SHA-512 in base64, as electron-builder writes it. */
export function sha512(data: Uint8Array): string {
  return createHash("sha512").update(data).digest("base64");
}

/** SHA-256 in hex. */
export function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** SHA-1 in hex. */
export function sha1(data: Uint8Array): string {
  return createHash("sha1").update(data).digest("hex");
}
