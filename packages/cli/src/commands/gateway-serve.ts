import path from "node:path";
import { type ApiAccessLogEntry, type ApiServer, listenApi, openGateway, redactUrl } from "@bulwark/gateway";
import { defineCommand } from "../command.js";
import { cliPassphrases } from "../publisher-options.js";
import { listenOptions, parsePort } from "../server/listen-options.js";
import { accessLog, listenError, serveUntilStopped } from "../server/serving.js";

/** `bulwark gateway serve DIR`: the gateway's REST API until SIGINT/SIGTERM. */
export default defineCommand({
  name: "gateway serve",
  summary: "serve the gateway's REST API (JSON; OpenAPI at /openapi.json)",
  description: `Opens the gateway folder DIR (made by \`bulwark gateway init\`), migrates its database and
serves the REST API: /api/sources, /api/releases, /api/tokens, /metrics (Prometheus),
/openapi.json and /healthz. Every request but /healthz and /openapi.json needs a token
(Authorization: Bearer …); writes need the admin role. The access log goes to stderr as
JSON lines. The trail key's passphrase comes from BULWARK_PASSPHRASE_GATEWAY or
BULWARK_PASSPHRASE.

With --database postgres://…, several gateway processes (on several machines sharing DIR,
or one each behind a load balancer) serve the same gateway. With --json, one line
{"url": ...} is printed on stdout once listening. Runs until interrupted.

Example:
  bulwark gateway serve ./gateway --port 8443
  bulwark gateway serve ./gateway --database postgres://gw@db.internal/gateway --host 0.0.0.0`,
  positionals: [{ name: "dir", description: "the gateway folder", required: true }],
  options: [
    {
      name: "database",
      type: "string",
      valueName: "URL",
      description: "a postgres:// URL to use instead of DIR/gateway.sqlite (default: BULWARK_GATEWAY_DATABASE)",
    },
    ...listenOptions(8440),
  ],
  async run({ positionals, options: given }, ctx) {
    const database = given.database ?? (ctx.env.BULWARK_GATEWAY_DATABASE || undefined);
    const options = { ...given, database };
    const port = parsePort(options.port);
    const host = options.host ?? "127.0.0.1";
    const dir = path.resolve(ctx.cwd, positionals.dir);
    const gateway = await openGateway(dir, {
      passphrases: cliPassphrases(ctx),
      ...(options.database === undefined ? {} : { database: options.database }),
    });
    try {
      const log = accessLog<ApiAccessLogEntry>(ctx, "always");
      let server: ApiServer;
      try {
        server = await listenApi(gateway, {
          host,
          port,
          ...(log ? { log } : {}),
          onInternalError: (error) => ctx.out.warn(`internal error: ${(error as Error).message}`),
        });
      } catch (cause) {
        throw listenError(cause, host, port);
      }
      if (ctx.out.json) ctx.out.streams.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
      else {
        const shown = options.database === undefined ? gateway.config.database : redactUrl(options.database);
        ctx.out.line(`gateway API at ${server.url} (database: ${shown})`);
        ctx.out.note("press Ctrl+C to stop");
      }
      await serveUntilStopped(ctx, server);
      return {};
    } finally {
      await gateway.close();
    }
  },
});
