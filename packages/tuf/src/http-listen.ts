/**
 * Listening and closing an HTTP server the same way everywhere (the static repository
 * server, the witness): bind, report the address as a URL, and on close stop accepting,
 * let open requests finish, and cut what is still open after a grace period.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A listening server: where it is, and how to stop it. */
export interface ListeningServer {
  /** `http://HOST:PORT` (IPv6 hosts in brackets), without a trailing slash. */
  readonly origin: string;
  readonly address: string;
  readonly port: number;
  /** Stops accepting connections; resolves once open requests are done (cut after the grace period). */
  close(): Promise<void>;
}

/**
 * Makes `server` listen on `host:port` (default 127.0.0.1, a free port).
 * @throws the `listen` error (`EADDRINUSE`, `EACCES`, ...).
 */
export async function listenHttp(
  server: Server,
  options: { readonly host?: string | undefined; readonly port?: number | undefined; readonly graceMs: number },
): Promise<ListeningServer> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // A backlog that holds a burst of connections (1,000 clients polling at once) instead of
    // dropping SYNs past Node's default of 511, which clients see as second-long stalls.
    server.listen({ port: options.port ?? 0, host: options.host ?? "127.0.0.1", backlog: 4096 }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  let closing: Promise<void> | undefined;
  return {
    origin: `http://${host}:${addr.port}`,
    address: addr.address,
    port: addr.port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), options.graceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
