import { promises as fs } from "node:fs";
import { isIP } from "node:net";
import path from "node:path";
import { type AccessLogEntry, createStaticServer, RepoDir, type StaticServer } from "@bulwark/publisher";
import { type Context, defineCommand } from "../command.js";
import { CliError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { listenOptions, parsePort } from "../server/listen-options.js";

async function kind(p: string): Promise<"file" | "folder" | undefined> {
  const stat = await fs.stat(p).catch(() => undefined);
  return stat?.isFile() ? "file" : stat?.isDirectory() ? "folder" : undefined;
}

/**
 * The folder to serve: a repository's public/, or a folder that is itself a public tree.
 * @throws {CliError} `NOT_PUBLISHED` for a repository with nothing published, `NOTHING_TO_SERVE` otherwise.
 */
async function servedRoot(dir: string, ctx: Context): Promise<string> {
  const abs = path.resolve(ctx.cwd, dir);
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
    `${dir} is neither a Bulwark repository nor a folder holding metadata/ and targets/`,
    EXIT.USAGE,
    "pass a repository folder (made by `bulwark repo init`) or a copy of its public/ folder",
  );
}

function isLoopback(address: string): boolean {
  if (isIP(address) === 4) return address.startsWith("127.");
  return address === "::1" || address.startsWith("::ffff:127.");
}

/** The listen error, said in words with what to do next. */
function listenError(cause: unknown, host: string, port: number): CliError {
  const code = (cause as NodeJS.ErrnoException).code;
  const message = (cause as Error).message;
  switch (code) {
    case "EADDRINUSE":
      return new CliError(
        "PORT_IN_USE",
        `port ${port} on ${host} is in use`,
        EXIT.FAILURE,
        "pick another with --port, or --port 0 for a free one",
        { cause },
      );
    case "EACCES":
      return new CliError(
        "PORT_DENIED",
        `not allowed to listen on port ${port}`,
        EXIT.FAILURE,
        "ports below 1024 need privileges: use --port 8080",
        { cause },
      );
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new CliError(
        "BAD_HOST",
        `cannot listen on ${host}: ${message}`,
        EXIT.USAGE,
        "--host takes an address of this machine, such as 127.0.0.1",
        { cause },
      );
    default:
      return new CliError("LISTEN_FAILED", `cannot listen on ${host}:${port}: ${message}`, EXIT.FAILURE, undefined, {
        cause,
      });
  }
}

/** The access log on stderr: text, or JSON lines with `--json`; none with `--quiet`. */
function accessLog(ctx: Context): ((entry: AccessLogEntry) => void) | undefined {
  if (ctx.out.quiet) return undefined;
  const stderr = ctx.out.streams.stderr;
  if (ctx.out.json) return (e) => stderr.write(`${JSON.stringify(e)}\n`);
  return (e) => {
    const status = e.status >= 400 ? ctx.out.bad(String(e.status)) : String(e.status);
    stderr.write(`${e.method} ${e.path} ${status} ${e.bytes} B ${e.ms} ms\n`);
  };
}

/** `bulwark serve DIR`: the static tree over HTTP until SIGINT/SIGTERM (see static-server.ts). */
export default defineCommand({
  name: "serve",
  summary: "serve a repository's static tree over HTTP, for development, demos and tests",
  description: `Serves DIR/public/ of a repository folder, or any folder holding metadata/ and targets/,
until interrupted (Ctrl+C or SIGTERM). GET and HEAD only; nothing outside the folder is ever
served, symlinks included; no directory listings. timestamp.json, root.json and other files
that change in place are sent with Cache-Control: no-cache, versioned metadata and
hash-prefixed targets as immutable: the headers a CDN in front of a repository should send.
ETags, If-None-Match, and single byte ranges (resumed downloads) are supported.

With --json, one line {"url": ...} is printed on stdout once listening, and the access log
goes to stderr as JSON lines.

Example:
  bulwark serve ./updates --port 8080`,
  positionals: [
    { name: "DIR", description: "a repository folder (serves DIR/public/) or a folder holding metadata/ and targets/" },
  ],
  options: listenOptions(8080),
  async run({ positionals, options }, ctx) {
    const root = await servedRoot(positionals.DIR, ctx);
    const port = parsePort(options.port);
    const { host } = options;
    const log = accessLog(ctx);
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
    if (ctx.out.json) ctx.out.streams.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
    else ctx.out.line(`serving ${root} at ${server.url}`);
    // with --json, stderr carries only JSON lines (the access log)
    if (!ctx.out.json) ctx.out.note("press Ctrl+C to stop");
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      else ctx.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    await server.close();
    if (!ctx.out.json) ctx.out.note("stopped");
    // stdout carries only the URL line: nothing more to print with --json
    return {};
  },
});
