/**
 * A gateway folder on each backend, served over real loopback HTTP, for the API tests.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Passphrases } from "@bulwark/publisher";
import {
  type ApiServer,
  type ApiServerOptions,
  type Gateway,
  initGateway,
  listenApi,
  openGateway,
} from "../src/index.js";
import type { Backend } from "./db-backends.js";

/** The trail key's passphrase in these tests. */
export const PASSPHRASE = "correct horse battery staple";

/** A served test gateway. */
export interface TestGateway {
  readonly dir: string;
  readonly database: string | undefined;
  readonly gateway: Gateway;
  readonly server: ApiServer;
  readonly adminToken: string;
  /** `fetch` on the server with an optional token and JSON body. */
  call(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; raw?: string; type?: string },
  ): Promise<Answer>;
}

/** An answer: status, headers and the parsed body (text for non-JSON). */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers freely
  readonly body: any;
}

/** Opens another gateway process's view of the same folder and database. */
export function openAgain(dir: string, database: string | undefined): Promise<Gateway> {
  return openGateway(dir, { passphrases: new Passphrases(async () => PASSPHRASE), ...(database ? { database } : {}) });
}

/** Calls `base`. */
export async function call(
  base: string,
  method: string,
  route: string,
  options: { token?: string; body?: unknown; raw?: string; type?: string } = {},
): Promise<Answer> {
  const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const response = await fetch(new URL(route, base), {
    method,
    headers: {
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      ...(body === undefined ? {} : { "content-type": options.type ?? "application/json" }),
    },
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  const json = (response.headers.get("content-type") ?? "").startsWith("application/json");
  return { status: response.status, headers: response.headers, body: json ? JSON.parse(text) : text };
}

/** Inits a gateway on `backend`, opens and serves it; all undone by `t.after`. */
export async function serveTestGateway(
  t: { after(fn: () => Promise<void> | void): void },
  backend: Backend,
  options: ApiServerOptions = {},
): Promise<TestGateway> {
  const dir = mkdtempSync(path.join(tmpdir(), "bulwark-gw-api-"));
  const db = backend.name === "postgres" ? await backend.create() : undefined;
  const database = db?.location;
  const undo: (() => Promise<void>)[] = [];
  t.after(async () => {
    for (const step of undo.reverse()) await step();
    await db?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });
  const made = await initGateway(dir, { passphrase: PASSPHRASE, ...(database ? { database } : {}) });
  const gateway = await openAgain(dir, database);
  undo.push(() => gateway.close());
  const server = await listenApi(gateway, options);
  undo.push(() => server.close());
  return {
    dir,
    database,
    gateway,
    server,
    adminToken: made.adminToken,
    call: (method, route, o) => call(server.url, method, route, o),
  };
}

/** An electron source's body. */
export const electronSource = (id: string) => ({
  kind: "electron",
  id,
  feedUrl: `https://updates.example.com/${id}/latest.yml`,
});
