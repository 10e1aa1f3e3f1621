import { promises as fs } from "node:fs";
import path from "node:path";
import {
  type AccessLogEntry,
  createStaticServer,
  isLogDir,
  logLayout,
  RepoDir,
  type StaticServer,
} from "@bulwark/publisher";
import { type Context, defineCommand } from "../command.js";
import { CliError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { listenOptions, parsePort } from "../server/listen-options.js";
import { accessLog, isLoopback, listenError, serveUntilStopped } from "../server/serving.js";

async function kind(p: string): Promise<"file" | "folder" | undefined> {
  const stat = await fs.stat(p).catch(() => undefined);
  return stat?.isFile() ? "file" : stat?.isDirectory() ? "folder" : undefined;
}

/** What `bulwark serve` serves: a repository's static tree or a transparency log's. */
interface Served {
  readonly kind: "repository" | "log";
  /** The folder served. */
  readonly root: string;
}

/**
 * A transparency log's public folder, when `abs` is a log folder (`bulwark log init`: its
 * public/) or a copy of one (a folder holding `checkpoint`); else undefined.
 * @throws {CliError} `NOT_PUBLISHED` for a log folder without a checkpoint.
 */
async function logRoot(abs: string, dir: string): Promise<string | undefined> {
  if (isLogDir(abs)) {
    const { public: pub } = logLayout(abs);
    if ((await kind(path.join(pub, "checkpoint"))) !== "file") {
      throw new CliError(
        "NOT_PUBLISHED",
        `the log in ${dir} has no checkpoint (no public/checkpoint)`,
        EXIT.FAILURE,
        "a log folder is made by `bulwark log init`, which writes its first checkpoint",
      );
    }
    return pub;
  }
  return (await kind(path.join(abs, "checkpoint"))) === "file" ? abs : undefined;
}

/**
 * The folder to serve: a repository's public/, a folder that is itself a public tree, a
 * transparency log folder's public/, or a copy of one.
 * @throws {CliError} `NOT_PUBLISHED` for a repository with nothing published or a log
 *   without a checkpoint, `NOTHING_TO_SERVE` otherwise.
 */
async function servedRoot(dir: string, ctx: Context): Promise<Served> {
  const abs = path.resolve(ctx.cwd, dir);
  const log = await logRoot(abs, dir);
  if (log !== undefined) return { kind: "log", root: log };
  return { kind: "repository", root: await repositoryRoot(abs, dir) };
}

/**
 * A repository's public/, or a folder that is itself a repository's public tree.
 * @throws {CliError} `NOT_PUBLISHED`, `NOTHING_TO_SERVE`.
 */
async function repositoryRoot(abs: string, dir: string): Promise<string> {
  const layout = RepoDir.layout(abs);
  if ((await kind(layout.config)) === "file") {
    if ((await kind(layout.metadata)) !== "folder") {
      throw new CliError(
        "NOT_PUBLISHED",
        `${dir} has nothing published yet (no public/metadata/)`,
        EXIT.FAILURE,
        `publish with \`bulwark repo publish ${dir}\``,
      );
    }
    return layout.public;
  }
  // targets/ appears with the first release, so metadata/ alone marks a public tree
  if ((await kind(path.join(abs, "metadata"))) === "folder") return abs;
  throw new CliError(
    "NOTHING_TO_SERVE",
    `${dir} is neither a Bulwark repository, a folder holding metadata/ and targets/, nor a transparency log`,
    EXIT.USAGE,
    "pass a repository folder (`bulwark repo init`), a log folder (`bulwark log init`), or a copy of either's public/ folder",
  );
}

/** `bulwark serve DIR`: the static tree over HTTP until SIGINT/SIGTERM (see static-server.ts). */
export default defineCommand({
  name: "serve",
  summary: "serve a repository's or a transparency log's static tree over HTTP, for development, demos and tests",
  description: `Serves, until interrupted (Ctrl+C or SIGTERM):
  - a repository folder (\`bulwark repo init\`): its public/ folder, metadata/ and targets/;
  - a transparency log folder (\`bulwark log init\`, found by its log.json): its public/
    folder, checkpoint and tile/ (c2sp.org/tlog-tiles), where \`bulwark log status URL\`,
    \`log monitor --log URL\`, witnesses (\`witness serve --log-url URL\`) and anyone read it;
  - a copy of either's public/ folder (one holding metadata/, or a checkpoint).
GET and HEAD only; nothing outside the folder is ever served, symlinks included; no
directory listings. Files that change in place (timestamp.json, root.json, a log's
checkpoint) are sent with Cache-Control: no-cache; versioned metadata, hash-prefixed
targets and log tiles as immutable: the headers a CDN in front of them should send. ETags,
If-None-Match, and single byte ranges (resumed downloads) are supported.

With --json, one line {"url": ..., "kind": "repository"|"log"} is printed on stdout once
listening, and the access log goes to stderr as JSON lines; --quiet turns it off.

One Node.js process without TLS: for development, demos, tests and small fleets behind a
TLS proxy. In front of real clients use nginx, Caddy or an object store and CDN, configured
as docs/serving.md shows (the same caching headers).

Examples:
  bulwark serve ./updates --port 8080
  bulwark serve ./release-log --port 8081`,
  positionals: [
    {
      name: "DIR",
      description:
        "a repository folder, a log folder (serves DIR/public/ of either), or a copy of either's public/ folder",
    },
  ],
  options: listenOptions(8080),
  async run({ positionals, options }, ctx) {
    const { kind: served, root } = await servedRoot(positionals.DIR, ctx);
    const port = parsePort(options.port);
    const { host } = options;
    const log = accessLog<AccessLogEntry>(ctx);
    let server: StaticServer;
    try {
      server = await createStaticServer(root, { host, port, ...(log ? { log } : {}) });
    } catch (cause) {
      throw listenError(cause, host, port);
    }
    if (!isLoopback(server.address)) {
      const warning = `listening on ${server.address}: reachable from other machines. This server is meant for development; serve production repositories from a CDN or web server.`;
      if (ctx.out.json) ctx.out.streams.stderr.write(`${JSON.stringify({ warning })}\n`);
      else ctx.out.warn(warning);
    }
    if (ctx.out.json) ctx.out.streams.stdout.write(`${JSON.stringify({ url: server.url, kind: served })}\n`);
    else
      ctx.out.line(`serving the ${served === "log" ? "transparency log" : "repository"} in ${root} at ${server.url}`);
    // with --json, stderr carries only JSON lines (the access log)
    if (!ctx.out.json) ctx.out.note("press Ctrl+C to stop");
    await serveUntilStopped(ctx, server);
    // stdout carries only the URL line: nothing more to print with --json
    return {};
  },
});
