import { promises as fs } from "node:fs";
import path from "node:path";
import { SOURCE_KINDS, type SourceConfigBody } from "@bulwark/gateway";
import { defineCommand } from "../command.js";
import { usage } from "../errors.js";
import { GATEWAY_CLIENT_OPTIONS, withGateway } from "../gateway/client-options.js";

type Kind = (typeof SOURCE_KINDS)[number];

/** `bulwark gateway source add NAME URL --kind KIND`: a vendor source, through the gateway's API. */
export default defineCommand({
  name: "gateway source add",
  summary: "add a vendor source (TUF repository, electron-updater, Sparkle, Squirrel, plain URL)",
  description: `Adds a source to the gateway at --url (or BULWARK_GATEWAY_URL); needs an admin token. The
gateway checks the source's configuration (URLs, keys, hashes) and records who added it in
its audit trail.

  --kind tuf       URL is the repository's base: metadata under URL/metadata/, targets under
                   URL/targets/ (or --targets-url); --root FILE pins its root.json; --product
  --kind electron  URL is the latest.yml (latest-mac.yml, latest-linux.yml)
  --kind sparkle   URL is the appcast; --public-key is SUPublicEDKey (base64)
  --kind squirrel  URL is the RELEASES file
  --kind url       URL is the download; --sha256 HEX and/or --signature-url with
                   --signature-algorithm and --public-key (PEM file or base64)

Example:
  bulwark gateway source add acme-app https://updates.acme.example/latest.yml --kind electron`,
  positionals: [
    { name: "name", description: "the source's name (letters, digits, . _ / -)", required: true },
    { name: "location", description: "the feed's or download's URL (a TUF repository's base URL)", required: true },
  ],
  options: [
    {
      name: "kind",
      type: "string",
      valueName: "KIND",
      required: true,
      description: `one of ${SOURCE_KINDS.join(", ")}`,
    },
    { name: "root", type: "string", valueName: "FILE", description: "tuf: the root.json to pin" },
    { name: "product", type: "string", valueName: "NAME", description: "tuf: the product the vendor publishes" },
    { name: "channel", type: "string", valueName: "NAME", description: "tuf: the channel (default stable)" },
    { name: "platform", type: "string", valueName: "NAME", description: "tuf: the platform" },
    { name: "targets-url", type: "string", valueName: "URL", description: "tuf: the targets' base URL" },
    {
      name: "public-key",
      type: "string",
      valueName: "KEY|FILE",
      description: "sparkle: SUPublicEDKey; url: the signature key (a PEM file or base64)",
    },
    { name: "sha256", type: "string", valueName: "HEX", description: "url: the expected SHA-256" },
    { name: "version", type: "string", valueName: "VERSION", description: "url: the version the download is" },
    { name: "signature-url", type: "string", valueName: "URL", description: "url: a detached signature's URL" },
    {
      name: "signature-algorithm",
      type: "string",
      valueName: "ALG",
      description: "url: ed25519 or ecdsa-sha256",
      default: "ed25519",
    },
    ...GATEWAY_CLIENT_OPTIONS,
  ],
  async run({ positionals, options }, ctx) {
    const kind = options.kind as Kind;
    if (!SOURCE_KINDS.includes(kind)) throw usage(`--kind must be one of ${SOURCE_KINDS.join(", ")}`);
    const { name: id, location } = positionals;
    const publicKey = options.publicKey === undefined ? undefined : await keyText(options.publicKey, ctx.cwd);
    let body: SourceConfigBody;
    switch (kind) {
      case "tuf": {
        if (options.root === undefined) throw usage("a TUF source needs --root FILE (the root.json to pin)");
        if (options.product === undefined) throw usage("a TUF source needs --product NAME");
        const base = location.endsWith("/") ? location : `${location}/`;
        const root = await fs.readFile(path.resolve(ctx.cwd, options.root));
        body = {
          kind,
          id,
          metadataUrl: `${base}metadata/`,
          targetsUrl: options.targetsUrl ?? `${base}targets/`,
          trustedRoot: root.toString("base64"),
          product: options.product,
          ...(options.channel === undefined ? {} : { channel: options.channel }),
          ...(options.platform === undefined ? {} : { platform: options.platform }),
        };
        break;
      }
      case "electron":
      case "squirrel":
        body = { kind, id, feedUrl: location };
        break;
      case "sparkle":
        if (publicKey === undefined) throw usage("a Sparkle source needs --public-key (SUPublicEDKey)");
        body = { kind, id, feedUrl: location, publicKey };
        break;
      case "url": {
        const algorithm = options.signatureAlgorithm as "ed25519" | "ecdsa-sha256";
        if (options.signatureUrl !== undefined && publicKey === undefined) {
          throw usage("--signature-url needs --public-key");
        }
        body = {
          kind,
          id,
          url: location,
          ...(options.version === undefined ? {} : { version: options.version }),
          ...(options.sha256 === undefined ? {} : { sha256: options.sha256 }),
          ...(options.signatureUrl === undefined || publicKey === undefined
            ? {}
            : { signature: { url: options.signatureUrl, algorithm, publicKey } }),
        };
        break;
      }
    }
    const source = await withGateway(options, ctx, (client) => client.addSource(body));
    ctx.out.line(`Added the ${source.kind} source ${source.id}.`);
    return { data: source };
  },
});

/** A key given inline (base64) or as a file (PEM). */
async function keyText(value: string, cwd: string): Promise<string> {
  if (/^[A-Za-z0-9+/]+=*$/.test(value) && value.length <= 64) return value;
  return (await fs.readFile(path.resolve(cwd, value), "utf8")).trim();
}
