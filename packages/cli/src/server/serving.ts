/**
 * What every server command (`serve`, `witness serve`, `gateway serve`) does the same way:
 * explain a listen error, say whether the address is loopback, write the access log, and run
 * until interrupted.
 */
import { isIP } from "node:net";
import type { Context } from "../command.js";
import { CliError } from "../errors.js";
import { EXIT } from "../exit-codes.js";

/** One access-log line of any of the servers. */
export interface AccessLine {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** Body bytes sent, where the server counts them. */
  readonly bytes?: number;
  readonly ms: number;
}

/** Whether `address` can only be reached from this machine. */
export function isLoopback(address: string): boolean {
  if (isIP(address) === 4) return address.startsWith("127.");
  return address === "::1" || address.startsWith("::ffff:127.");
}

/** The listen error, said in words with what to do next. */
export function listenError(cause: unknown, host: string, port: number): CliError {
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

/**
 * The access log on stderr: text, or JSON lines with `--json` (or `json: "always"`); none
 * with `--quiet`.
 */
export function accessLog<E extends AccessLine>(
  ctx: Context,
  json: "with --json" | "always" = "with --json",
): ((entry: E) => void) | undefined {
  if (ctx.out.quiet) return undefined;
  const stderr = ctx.out.streams.stderr;
  if (ctx.out.json || json === "always") return (e) => stderr.write(`${JSON.stringify(e)}\n`);
  return (e) => {
    const status = e.status >= 400 ? ctx.out.bad(String(e.status)) : String(e.status);
    stderr.write(`${e.method} ${e.path} ${status}${e.bytes === undefined ? "" : ` ${e.bytes} B`} ${e.ms} ms\n`);
  };
}

/** Waits for Ctrl+C or SIGTERM (the command's signal), then closes `server`. */
export async function serveUntilStopped(ctx: Context, server: { close(): Promise<void> }): Promise<void> {
  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) resolve();
    else ctx.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await server.close();
  if (!ctx.out.json) ctx.out.note("stopped");
}
