import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import http from "node:http";
import net from "node:net";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type BulwarkError,
  DownloadError,
  DownloadHttpError,
  DownloadLengthMismatchError,
  DownloadRedirectError,
  NetworkError,
  SlowRetrievalError,
} from "../src/errors.js";
import { readAll } from "../src/updater/fetcher.js";
import { HttpFetcher, type HttpFetcherOptions, redirectTarget } from "../src/updater/http-fetcher.js";

// Small limits keep every test well under a second or two; each test that waits on a
// limit passes its own, smaller one.
const FAST: HttpFetcherOptions = {
  connectTimeoutMs: 1500,
  idleTimeoutMs: 1500,
  minBytesPerSecond: 1,
  rateWindowMs: 1500,
};

const MiB = 1024 * 1024;

interface TestServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

async function listen(server: net.Server): Promise<number> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  assert.ok(address !== null && typeof address === "object");
  return address.port;
}

/** A real HTTP server on 127.0.0.1, port 0. */
async function startHttp(handler: http.RequestListener): Promise<TestServer> {
  const server = http.createServer(handler);
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A TCP server that accepts connections and never answers; counts connections. */
async function startSilentTcp(): Promise<TestServer & { connections: () => number }> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    connections: () => connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function withServer<T>(server: TestServer, body: (server: TestServer) => Promise<T>): Promise<T> {
  try {
    return await body(server);
  } finally {
    await server.close();
  }
}

/** An assert.rejects validator: `error` is a `cls` with this `code`. */
function isError<T extends BulwarkError>(cls: new (...args: never[]) => T, code: string): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof cls, `expected ${cls.name}, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  };
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return out;
}

/** Writes `chunk` again and again, with back-pressure, until the connection closes. */
function pumpForever(res: http.ServerResponse, chunk: Buffer, stats: { written: number }): void {
  const write = (): void => {
    while (!res.destroyed && !res.writableEnded) {
      stats.written += chunk.length;
      if (!res.write(chunk)) {
        res.once("drain", write);
        return;
      }
    }
  };
  write();
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe("HttpFetcher: downloads", () => {
  it("fetches a body in chunks and readAll returns the bytes", async () => {
    const parts = [randomBytes(1000), randomBytes(2000), randomBytes(3000)];
    const body = Buffer.concat(parts);
    const server = await startHttp(async (_req, res) => {
      res.writeHead(200, { "content-length": String(body.length) });
      for (const part of parts) {
        res.write(part);
        await sleep(20);
      }
      res.end();
    });
    await withServer(server, async ({ url }) => {
      const fetcher = new HttpFetcher(FAST);
      const chunks = await collect(fetcher.fetch(`${url}/file`, { maxLength: body.length }));
      assert.ok(chunks.length > 1, `expected several chunks, got ${chunks.length}`);
      assert.deepEqual(Buffer.concat(chunks), body);
      assert.deepEqual(await readAll(fetcher, `${url}/file`, { maxLength: body.length }), body);
    });
  });

  it("reads a chunked body of exactly maxLength bytes", async () => {
    const body = randomBytes(MiB);
    const server = await startHttp((_req, res) => {
      res.writeHead(200);
      res.end(body);
    });
    await withServer(server, async ({ url }) => {
      assert.deepEqual(await readAll(new HttpFetcher(FAST), url, { maxLength: MiB }), body);
    });
  });

  it("sends the User-Agent and the configured extra headers", async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const server = await startHttp((req, res) => {
      seen.push(req.headers);
      res.end("ok");
    });
    await withServer(server, async ({ url }) => {
      await readAll(new HttpFetcher(FAST), url, { maxLength: 10 });
      const custom = new HttpFetcher({ ...FAST, userAgent: "test-agent", headers: { authorization: "Bearer x" } });
      await readAll(custom, url, { maxLength: 10 });
    });
    assert.equal(seen[0]?.["user-agent"], "bulwark-tuf");
    assert.equal(seen[0]?.range, undefined);
    assert.equal(seen[1]?.["user-agent"], "test-agent");
    assert.equal(seen[1]?.authorization, "Bearer x");
  });
});

describe("HttpFetcher: endless-data attack", () => {
  const maxLength = MiB;
  const cases: { name: string; chunk: number }[] = [
    { name: "rejects a server that streams forever (endless-data attack)", chunk: 64 * 1024 },
    { name: "rejects a server that streams forever in tiny chunks (endless-data attack)", chunk: 1024 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const stats = { written: 0 };
      let closed: Promise<unknown> = Promise.resolve();
      const server = await startHttp((_req, res) => {
        closed = once(res, "close");
        res.writeHead(200);
        pumpForever(res, Buffer.alloc(c.chunk, 0x61), stats);
      });
      await withServer(server, async ({ url }) => {
        await assert.rejects(
          readAll(new HttpFetcher(FAST), url, { maxLength }),
          isError(DownloadLengthMismatchError, "DOWNLOAD_TOO_LARGE"),
        );
        // The client hung up: the server sees the connection close and stops writing.
        await within(closed, 2000, "the server noticing the client hung up");
      });
      // What the server got out is what was read plus socket buffers, not an endless stream.
      assert.ok(stats.written > maxLength);
      assert.ok(stats.written < maxLength + 16 * MiB, `the server wrote ${stats.written} bytes`);
    });
  }

  it("rejects one byte more than maxLength (endless-data attack)", async () => {
    const server = await startHttp((_req, res) => {
      res.writeHead(200);
      res.end(Buffer.alloc(maxLength + 1));
    });
    await withServer(server, async ({ url }) => {
      await assert.rejects(
        readAll(new HttpFetcher(FAST), url, { maxLength }),
        isError(DownloadLengthMismatchError, "DOWNLOAD_TOO_LARGE"),
      );
    });
  });

  it("refuses a Content-Length over maxLength before reading the body (endless-data attack)", async () => {
    // Headers only: a fetcher that waited for the body would hit the idle timeout instead.
    const server = await startHttp((_req, res) => {
      res.writeHead(200, { "content-length": String(10 * MiB) });
      res.flushHeaders();
    });
    await withServer(server, async ({ url }) => {
      const fetcher = new HttpFetcher({ ...FAST, idleTimeoutMs: 5000 });
      const started = performance.now();
      let chunks = 0;
      await assert.rejects(
        async () => {
          for await (const _ of fetcher.fetch(url, { maxLength })) chunks += 1;
        },
        isError(DownloadLengthMismatchError, "DOWNLOAD_TOO_LARGE"),
      );
      assert.equal(chunks, 0);
      assert.ok(performance.now() - started < 1000);
    });
  });

  it("HttpFetcher.fetch itself stops an endless stream at maxLength (endless-data attack)", async () => {
    const stats = { written: 0 };
    const server = await startHttp((_req, res) => {
      res.writeHead(200);
      pumpForever(res, Buffer.alloc(64 * 1024, 0x61), stats);
    });
    await withServer(server, async ({ url }) => {
      let received = 0;
      await assert.rejects(
        async () => {
          for await (const chunk of new HttpFetcher(FAST).fetch(url, { maxLength })) {
            received += chunk.length;
            // Guard so a fetcher without the limit fails this test instead of running forever.
            if (received > 8 * maxLength) throw new Error(`fetch yielded ${received} bytes, maxLength ${maxLength}`);
          }
        },
        isError(DownloadLengthMismatchError, "DOWNLOAD_TOO_LARGE"),
      );
      assert.ok(received <= maxLength);
    });
  });
});

describe("HttpFetcher: slow-retrieval attack", () => {
  interface SlowCase {
    name: string;
    options: HttpFetcherOptions;
    /** The limit that must fire, in ms after the request. */
    firesAfterMs: number;
    start: () => Promise<TestServer>;
  }
  const cases: SlowCase[] = [
    {
      name: "rejects a server that sends headers and then nothing (slow-retrieval attack, idle timeout)",
      options: { ...FAST, idleTimeoutMs: 300 },
      firesAfterMs: 300,
      start: () =>
        startHttp((_req, res) => {
          res.writeHead(200, { "content-length": "100" });
          res.flushHeaders();
        }),
    },
    {
      name: "rejects a server that trickles one byte every 100 ms (slow-retrieval attack, rate over a window)",
      // The idle timeout never fires; only the rate check, once a window has passed, can.
      options: { ...FAST, idleTimeoutMs: 1000, rateWindowMs: 800, minBytesPerSecond: 100 },
      firesAfterMs: 800,
      start: () =>
        startHttp((_req, res) => {
          res.writeHead(200);
          res.flushHeaders();
          const timer = setInterval(() => res.write("x"), 100);
          res.on("close", () => clearInterval(timer));
        }),
    },
    {
      name: "rejects a server that bursts 500 KB and then trickles one byte every 100 ms (slow-retrieval attack, burst then trickle)",
      // Averaged since the start, the burst would keep this download above 100 bytes/s for
      // over 80 minutes; over a sliding window, it counts only while it is in the window.
      options: { ...FAST, idleTimeoutMs: 1000, rateWindowMs: 800, minBytesPerSecond: 100 },
      firesAfterMs: 800,
      start: () =>
        startHttp((_req, res) => {
          res.writeHead(200);
          res.write(Buffer.alloc(500_000, 0x61));
          const timer = setInterval(() => res.write("x"), 100);
          res.on("close", () => clearInterval(timer));
        }),
    },
    {
      name: "rejects a server that accepts the connection but never answers (slow-retrieval attack, connect timeout)",
      options: { ...FAST, connectTimeoutMs: 400 },
      firesAfterMs: 400,
      start: () => startSilentTcp(),
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      await withServer(await c.start(), async ({ url }) => {
        const started = performance.now();
        await assert.rejects(
          readAll(new HttpFetcher(c.options), url, { maxLength: MiB }),
          isError(SlowRetrievalError, "DOWNLOAD_SLOW"),
        );
        const elapsed = performance.now() - started;
        assert.ok(elapsed >= c.firesAfterMs - 50, `fired after ${elapsed} ms, before ${c.firesAfterMs} ms`);
        assert.ok(elapsed < c.firesAfterMs + 1000, `fired after ${elapsed} ms`);
      });
    });
  }

  it("accepts a server that pauses for less than idleTimeoutMs", async () => {
    const server = await startHttp(async (_req, res) => {
      res.writeHead(200);
      res.write("a");
      await sleep(100);
      res.end("b");
    });
    await withServer(server, async ({ url }) => {
      const body = await readAll(new HttpFetcher({ ...FAST, idleTimeoutMs: 400 }), url, { maxLength: 2 });
      assert.equal(body.toString(), "ab");
    });
  });
});

describe("HttpFetcher: HTTP and network errors", () => {
  const statuses: { status: number; code: string }[] = [
    { status: 404, code: "DOWNLOAD_NOT_FOUND" },
    { status: 403, code: "DOWNLOAD_HTTP" },
    { status: 500, code: "DOWNLOAD_HTTP" },
    { status: 503, code: "DOWNLOAD_HTTP" },
  ];
  for (const { status, code } of statuses) {
    it(`HTTP ${status} is a DownloadHttpError with code ${code}`, async () => {
      const server = await startHttp((_req, res) => {
        res.writeHead(status);
        res.end("no");
      });
      await withServer(server, async ({ url }) => {
        await assert.rejects(readAll(new HttpFetcher(FAST), url, { maxLength: 100 }), (error: unknown) => {
          isError(DownloadHttpError, code)(error);
          assert.equal((error as DownloadHttpError).status, status);
          return true;
        });
      });
    });
  }

  it("stops reading the endless body of an HTTP 404 (endless-data attack on an error page)", async () => {
    const stats = { written: 0 };
    let closed: Promise<unknown> = Promise.resolve();
    const server = await startHttp((_req, res) => {
      closed = once(res, "close");
      res.writeHead(404);
      pumpForever(res, Buffer.alloc(64 * 1024, 0x61), stats);
    });
    await withServer(server, async ({ url }) => {
      await assert.rejects(
        readAll(new HttpFetcher(FAST), url, { maxLength: 100 }),
        isError(DownloadHttpError, "DOWNLOAD_NOT_FOUND"),
      );
      await within(closed, 1000, "the client hanging up on the 404 body");
    });
    assert.ok(stats.written < 16 * MiB, `the server wrote ${stats.written} bytes after a 404`);
  });

  it("a refused connection (closed port) is a NetworkError", async () => {
    const closedPort = await startSilentTcp();
    await closedPort.close();
    await assert.rejects(
      readAll(new HttpFetcher(FAST), `${closedPort.url}/x`, { maxLength: 100 }),
      isError(NetworkError, "DOWNLOAD_NETWORK"),
    );
  });

  const truncations: { name: string; headers: http.OutgoingHttpHeaders }[] = [
    { name: "with a Content-Length", headers: { "content-length": "1000" } },
    { name: "with chunked encoding", headers: {} },
  ];
  for (const t of truncations) {
    it(`a server that closes the socket mid-body (${t.name}) is a NetworkError`, async () => {
      const server = await startHttp(async (_req, res) => {
        res.writeHead(200, t.headers);
        res.write(Buffer.alloc(100));
        await sleep(50);
        res.socket?.destroy();
      });
      await withServer(server, async ({ url }) => {
        await assert.rejects(
          readAll(new HttpFetcher(FAST), url, { maxLength: 1000 }),
          isError(NetworkError, "DOWNLOAD_NETWORK"),
        );
      });
    });
  }

  it("an aborted signal stops the download with a DownloadError", async () => {
    const server = await startHttp((_req, res) => {
      res.writeHead(200);
      res.flushHeaders();
    });
    await withServer(server, async ({ url }) => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      await assert.rejects(
        readAll(new HttpFetcher(FAST), url, { maxLength: 100, signal: controller.signal }),
        (error: unknown) => error instanceof DownloadError,
      );
    });
  });
});

describe("HttpFetcher: Range requests", () => {
  const body = Buffer.from("0123456789abcdef");

  it("offset sends Range: bytes=N- and accepts a 206 answer", async () => {
    const ranges: (string | undefined)[] = [];
    const server = await startHttp((req, res) => {
      ranges.push(req.headers.range);
      const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
      const start = Number(match?.[1] ?? 0);
      res.writeHead(206, {
        "content-range": `bytes ${start}-${body.length - 1}/${body.length}`,
        "content-length": String(body.length - start),
      });
      res.end(body.subarray(start));
    });
    await withServer(server, async ({ url }) => {
      const got = await readAll(new HttpFetcher(FAST), url, { maxLength: body.length, offset: 10 });
      assert.deepEqual(got, body.subarray(10));
    });
    assert.deepEqual(ranges, ["bytes=10-"]);
  });

  it("does not pass off a 200 full body as the requested range (server ignored Range)", async () => {
    const server = await startHttp((_req, res) => {
      res.writeHead(200, { "content-length": String(body.length) });
      res.end(body);
    });
    await withServer(server, async ({ url }) => {
      const result = await readAll(new HttpFetcher(FAST), url, { maxLength: body.length, offset: 10 }).then(
        (bytes) => ({ bytes }),
        (error: unknown) => ({ error }),
      );
      if ("error" in result) assert.ok(result.error instanceof DownloadError);
      else assert.deepEqual(result.bytes, body.subarray(10));
    });
  });
});

describe("HttpFetcher: URL schemes", () => {
  const urls = [
    "file:///etc/passwd",
    "ftp://127.0.0.1/x",
    "data:text/plain,hello",
    "gopher://127.0.0.1/x",
    "not a url",
  ];
  for (const url of urls) {
    it(`refuses ${JSON.stringify(url)} with a NetworkError and reads nothing`, async () => {
      let chunks = 0;
      await assert.rejects(
        async () => {
          for await (const _ of new HttpFetcher(FAST).fetch(url, { maxLength: MiB })) chunks += 1;
        },
        isError(NetworkError, "DOWNLOAD_NETWORK"),
      );
      assert.equal(chunks, 0);
    });
  }

  it("does not connect for an unsupported scheme pointing at a live server", async () => {
    const server = await startSilentTcp();
    await withServer(server, async ({ port }) => {
      for (const scheme of ["ftp", "ws", "gopher"]) {
        await assert.rejects(
          readAll(new HttpFetcher(FAST), `${scheme}://127.0.0.1:${port}/x`, { maxLength: MiB }),
          isError(NetworkError, "DOWNLOAD_NETWORK"),
        );
      }
      await sleep(50);
      assert.equal(server.connections(), 0);
    });
  });
});

describe("HttpFetcher: redirects", () => {
  /** Serves `/data` and redirects by path: `/to?url` to `url`, `/loop` to itself. Counts requests by path. */
  async function redirecting(): Promise<TestServer & { hits: Map<string, number> }> {
    const hits = new Map<string, number>();
    const server = await startHttp((req, res) => {
      const path = req.url ?? "";
      hits.set(path, (hits.get(path) ?? 0) + 1);
      if (path === "/data") res.writeHead(200).end("payload");
      else if (path === "/loop") res.writeHead(302, { location: "/loop" }).end();
      else if (path.startsWith("/to?")) res.writeHead(301, { location: decodeURIComponent(path.slice(4)) }).end();
      else res.writeHead(404).end();
    });
    return Object.assign(server, { hits });
  }

  it("follows none by default: a 3xx answer is a DownloadHttpError, as before", async () => {
    const server = await redirecting();
    await withServer(server, async ({ url }) => {
      await assert.rejects(readAll(new HttpFetcher(FAST), `${url}/to?%2Fdata`, { maxLength: 100 }), (error) => {
        isError(DownloadHttpError, "DOWNLOAD_HTTP")(error);
        assert.equal((error as DownloadHttpError).status, 301);
        return true;
      });
      assert.equal(server.hits.get("/data"), undefined);
    });
  });

  it("follows a redirect to the same host when allowed, and tells onRedirect", async () => {
    const server = await redirecting();
    await withServer(server, async ({ url }) => {
      const seen: Array<[string, string]> = [];
      const fetcher = new HttpFetcher({ ...FAST, redirects: { max: 5 } });
      const bytes = await readAll(fetcher, `${url}/to?%2Fdata`, {
        maxLength: 100,
        onRedirect: (from, to) => seen.push([from, to]),
      });
      assert.equal(Buffer.from(bytes).toString(), "payload");
      assert.deepEqual(seen, [[`${url}/to?%2Fdata`, `${url}/data`]]);
    });
  });

  const refused: Array<{ name: string; location: (server: TestServer) => string; reason: string; to: RegExp }> = [
    {
      name: "another host (the bytes would come from a server other than the one configured)",
      location: ({ port }) => `http://localhost:${port}/data`,
      reason: "other-host",
      to: /^http:\/\/localhost:\d+\/data$/,
    },
    { name: "a scheme other than http(s)", location: () => "file:///etc/passwd", reason: "scheme", to: /^file:/ },
    { name: "a location that is not a URL", location: () => "http://[::1", reason: "invalid", to: /^http:\/\/\[::1$/ },
  ];
  for (const c of refused) {
    it(`refuses a redirect to ${c.name}, naming the target`, async () => {
      const server = await redirecting();
      await withServer(server, async (s) => {
        const fetcher = new HttpFetcher({ ...FAST, redirects: { max: 5 } });
        const asked = `${s.url}/to?${encodeURIComponent(c.location(s))}`;
        await assert.rejects(readAll(fetcher, asked, { maxLength: 100 }), (error) => {
          isError(DownloadRedirectError, "DOWNLOAD_REDIRECT_REFUSED")(error);
          const e = error as DownloadRedirectError;
          assert.equal(e.reason, c.reason);
          assert.equal(e.from, asked);
          assert.match(e.to, c.to);
          assert.ok(e.message.includes(e.to), e.message);
          return true;
        });
        assert.equal(server.hits.get("/data"), undefined, "the target was never asked");
      });
    });
  }

  it("follows another host only when sameHostOnly is false", async () => {
    const server = await redirecting();
    await withServer(server, async ({ url, port }) => {
      const fetcher = new HttpFetcher({ ...FAST, redirects: { max: 1, sameHostOnly: false } });
      const bytes = await readAll(fetcher, `${url}/to?${encodeURIComponent(`http://localhost:${port}/data`)}`, {
        maxLength: 100,
      });
      assert.equal(Buffer.from(bytes).toString(), "payload");
    });
  });

  it("stops a redirect loop after max redirects", async () => {
    const server = await redirecting();
    await withServer(server, async ({ url }) => {
      const fetcher = new HttpFetcher({ ...FAST, redirects: { max: 3 } });
      await assert.rejects(readAll(fetcher, `${url}/loop`, { maxLength: 100 }), (error) => {
        isError(DownloadRedirectError, "DOWNLOAD_REDIRECT_REFUSED")(error);
        assert.equal((error as DownloadRedirectError).reason, "too-many");
        return true;
      });
      assert.equal(server.hits.get("/loop"), 4, "the first request and three redirects");
    });
  });

  const targets: Array<[string, string, string, string | undefined]> = [
    ["https to plain http is never followed", "https://a.example/x", "http://a.example/y", "insecure"],
    ["http to https is followed", "http://a.example/x", "https://a.example/y", undefined],
    ["a relative location resolves against the current URL", "https://a.example/d/x", "y", undefined],
    ["another host is refused", "https://a.example/x", "https://b.example/x", "other-host"],
    ["the host is compared without case", "https://a.example/x", "https://A.EXAMPLE/y", undefined],
  ];
  for (const [name, from, location, reason] of targets) {
    it(name, () => {
      if (reason === undefined) {
        assert.equal(typeof redirectTarget(from, location, from, true), "string");
        return;
      }
      assert.throws(
        () => redirectTarget(from, location, from, true),
        (error) => error instanceof DownloadRedirectError && error.reason === reason,
      );
    });
  }
});

describe("HttpFetcher: the deadline of each file, from its signed length", () => {
  /** Sends one byte every 20 ms (50 bytes/s): always above a 10 bytes/s window rate. */
  const dripping = () =>
    startHttp((_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write("a"), 20);
      res.on("close", () => clearInterval(timer));
    });

  it("a server that stays just above the window rate fails at the file's deadline (slow-retrieval attack, steady drip)", async () => {
    await withServer(await dripping(), async ({ url }) => {
      // 300 ms + 2,000 bytes at 10,000 bytes/s = 500 ms for this file; the drip needs 40 s.
      const fetcher = new HttpFetcher({
        ...FAST,
        rateWindowMs: 200,
        minBytesPerSecond: 10,
        deadlineBaseMs: 300,
        deadlineBytesPerSecond: 10_000,
      });
      assert.equal(fetcher.deadlineMs(2000), 500);
      const started = Date.now();
      await assert.rejects(
        readAll(fetcher, url, { maxLength: 2000 }),
        (e: unknown) =>
          isError(SlowRetrievalError, "DOWNLOAD_SLOW")(e) &&
          /within 500 ms, the deadline for a file of at most 2000 bytes/.test((e as Error).message),
      );
      const took = Date.now() - started;
      assert.ok(took >= 450 && took < 1500, `took ${took} ms`);
    });
  });

  it("the deadline grows with the file's signed length: a larger file gets longer", () => {
    const fetcher = new HttpFetcher();
    assert.equal(fetcher.deadlineMs(0), 60_000);
    assert.equal(fetcher.deadlineMs(100 * MiB), 60_000 + 6_400_000);
    assert.ok(fetcher.deadlineMs(512 * 1024) < 100_000, "a root-sized file gets under 100 s");
    assert.equal(new HttpFetcher({ deadlineBytesPerSecond: 0 }).deadlineMs(MiB), Number.POSITIVE_INFINITY);
    assert.equal(new HttpFetcher({ totalTimeoutMs: 5000 }).deadlineMs(100 * MiB), 5000);
  });
});

describe("HttpFetcher: the overall time limit", () => {
  it("a server that drips its body fails at totalTimeoutMs, though never idle nor under the rate", async () => {
    const server = await startHttp((_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write("a"), 50);
      res.on("close", () => clearInterval(timer));
    });
    await withServer(server, async ({ url }) => {
      const fetcher = new HttpFetcher({ ...FAST, minBytesPerSecond: 0, totalTimeoutMs: 400 });
      const started = Date.now();
      await assert.rejects(readAll(fetcher, url, { maxLength: MiB }), isError(SlowRetrievalError, "DOWNLOAD_SLOW"));
      const took = Date.now() - started;
      assert.ok(took >= 350 && took < 1400, `took ${took} ms`);
    });
  });

  it("a server that never answers fails at totalTimeoutMs when it is shorter than connectTimeoutMs", async () => {
    const server = await startSilentTcp();
    await withServer(server, async ({ url }) => {
      const fetcher = new HttpFetcher({ ...FAST, connectTimeoutMs: 5000, totalTimeoutMs: 300 });
      const started = Date.now();
      await assert.rejects(readAll(fetcher, url, { maxLength: MiB }), isError(SlowRetrievalError, "DOWNLOAD_SLOW"));
      assert.ok(Date.now() - started < 1500);
    });
  });

  it("the limit spans redirects", async () => {
    let count = 0;
    const server = await startHttp((_req, res) => {
      count += 1;
      setTimeout(() => res.writeHead(302, { location: `/r${count}` }).end(), 100);
    });
    await withServer(server, async ({ url }) => {
      const fetcher = new HttpFetcher({ ...FAST, redirects: { max: 100 }, totalTimeoutMs: 450 });
      await assert.rejects(readAll(fetcher, url, { maxLength: MiB }), isError(SlowRetrievalError, "DOWNLOAD_SLOW"));
      assert.ok(count >= 3 && count <= 6, `${count} requests`);
    });
  });
});

describe("HttpFetcher conditional requests", () => {
  it("sends the headers of one fetch, and reports the answer's status and headers", async () => {
    const server = await startHttp((req, res) => {
      if (req.headers["if-none-match"] === '"v1"') res.writeHead(304, { etag: '"v1"' }).end();
      else res.writeHead(200, { etag: '"v1"', "content-length": 2 }).end("ok");
    });
    await withServer(server, async ({ url }) => {
      const fetcher = new HttpFetcher(FAST);
      const seen: Array<[number, unknown]> = [];
      const onResponse = (status: number, headers: Readonly<Record<string, unknown>>) =>
        seen.push([status, headers.etag]);
      assert.equal((await readAll(fetcher, url, { maxLength: MiB, onResponse })).toString(), "ok");
      await assert.rejects(
        readAll(fetcher, url, { maxLength: MiB, headers: { "if-none-match": '"v1"' }, onResponse }),
        (e: unknown) => e instanceof DownloadHttpError && e.status === 304,
      );
      assert.deepEqual(seen, [
        [200, '"v1"'],
        [304, '"v1"'],
      ]);
    });
  });
});
