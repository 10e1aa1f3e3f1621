import { existsSync } from "node:fs";
import path from "node:path";
import { gatewayLayout, initGateway, redactUrl } from "@bulwark/gateway";
import { defineCommand } from "../command.js";
import { CliError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { cliPassphrases } from "../publisher-options.js";

/** `bulwark gateway init DIR`: a gateway folder, its trail key and a first admin token. */
export default defineCommand({
  name: "gateway init",
  summary: "create a gateway folder: config, database, blob folder, trail key, first admin token",
  description: `Creates the organisation gateway's folder DIR:
  DIR/gateway.json     the audit trail's origin and verifier key, where the rest lives
  DIR/keys/trail.pem   the audit trail's signing key, encrypted (passphrase from
                       BULWARK_PASSPHRASE_GATEWAY or BULWARK_PASSPHRASE, else a prompt)
  DIR/gateway.sqlite   the embedded database (or --database postgres://… instead)
  DIR/blobs/           release bytes, content-addressed
  DIR/trail/           the audit trail, a transparency log
and a first API token with the admin role, printed once: only its SHA-256 is kept. Store
it (e.g. in BULWARK_GATEWAY_TOKEN) and make narrower tokens with \`bulwark gateway token create\`.

Example:
  bulwark gateway init ./gateway
  bulwark gateway serve ./gateway`,
  positionals: [{ name: "dir", description: "the folder to create", required: true }],
  options: [
    {
      name: "origin",
      type: "string",
      valueName: "ORIGIN",
      description: "the audit trail's origin, e.g. gateway.example.org/trail (default: from DIR's name)",
    },
    {
      name: "database",
      type: "string",
      valueName: "URL",
      description:
        "a postgres:// URL to use instead of DIR/gateway.sqlite (default: BULWARK_GATEWAY_DATABASE; give serve the same)",
    },
  ],
  async run({ positionals, options: given }, ctx) {
    const database = given.database ?? (ctx.env.BULWARK_GATEWAY_DATABASE || undefined);
    const options = { ...given, database };
    const dir = path.resolve(ctx.cwd, positionals.dir);
    if (existsSync(gatewayLayout(dir).config)) {
      throw new CliError("GATEWAY_EXISTS", `${dir} already holds a gateway`, EXIT.USAGE, "choose another folder");
    }
    const passphrase = await cliPassphrases(ctx).get("gateway", "create");
    const made = await initGateway(dir, {
      passphrase,
      ...(options.origin === undefined ? {} : { origin: options.origin }),
      ...(options.database === undefined ? {} : { database: options.database }),
    });
    const shown = options.database === undefined ? made.config.database : redactUrl(options.database);
    ctx.out.line(`Created the gateway in ${dir} (database: ${shown}).`);
    ctx.out.line(`trail vkey: ${made.config.vkey}`);
    ctx.out.line(`admin token (shown once; keep it secret): ${made.adminToken}`);
    return {
      data: { dir, origin: made.config.origin, vkey: made.config.vkey, database: shown, adminToken: made.adminToken },
    };
  },
});
