import { createHash } from "node:crypto";
import { createReadStream, promises as fs } from "node:fs";
import path from "node:path";
import {
  buildProvenance,
  buildStatement,
  formatAttestationBundle,
  IN_TOTO_PAYLOAD_TYPE,
  SLSA_PROVENANCE_V1,
  type SourceDigest,
  serializeEnvelope,
  serializeStatement,
  signEnvelope,
} from "@bulwark/attest";
import { formatSourceDigest, parseSourceDigest } from "@bulwark/client";
import { writeFileAtomic } from "@bulwark/tuf";
import { type Context, defineCommand } from "../command.js";
import { CliError, usage } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { readPrivateKeyFile } from "../key-file.js";
import { cliPassphrases } from "../publisher-options.js";
import { Progress } from "../ui/progress.js";

/** The build type `bulwark attest` records unless told otherwise: a rebuild from source. */
export const DEFAULT_BUILD_TYPE = "https://bulwark.dev/buildtypes/reproducible-rebuild/v1";

/** The role name whose passphrase variables unlock builder keys: BULWARK_PASSPHRASE_BUILDER. */
export const BUILDER_ROLE = "builder";

/** The builder key's passphrase (environment or prompt). */
export function builderPassphrase(ctx: Context, confirm = false): Promise<string> {
  return cliPassphrases(ctx).get(BUILDER_ROLE, confirm ? "create" : "unlock");
}

/**
 * Parses `--source-digest sha1:<hex>|sha256:<hex>`.
 * @throws {CliError} `CLI_USAGE` when it is neither.
 */
export function sourceDigestOption(text: string): SourceDigest {
  const digest = parseSourceDigest(text);
  if (digest === undefined) {
    throw usage(
      `--source-digest ${JSON.stringify(text)} is not sha1:<40 hex> or sha256:<64 hex>`,
      "for a git commit: --source-digest sha1:$(git rev-parse HEAD)",
    );
  }
  return digest;
}

async function sha256File(file: string, ctx: Context): Promise<{ sha256: string; length: number }> {
  const stat = await fs.stat(file).catch(() => undefined);
  if (stat === undefined || !stat.isFile()) throw usage(`--artifact ${file} is not a readable file`);
  const hash = createHash("sha256");
  const progress = new Progress(ctx.out.streams.stderr, `hashing ${path.basename(file)}`, stat.size, ctx.out.progress);
  let length = 0;
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
      hash.update(chunk as Buffer);
      length += (chunk as Buffer).length;
      progress.tick((chunk as Buffer).length);
    }
  } catch (cause) {
    throw new CliError("READ_FAILED", `cannot read ${file}: ${(cause as Error).message}`, EXIT.FAILURE, undefined, {
      cause,
    });
  } finally {
    progress.finish();
  }
  return { sha256: hash.digest("hex"), length };
}

export default defineCommand({
  name: "attest",
  summary: "attest an artifact you built: a signed in-toto SLSA provenance (builders)",
  description: `For an independent builder: after rebuilding a release from source, hashes the
artifact and writes a DSSE envelope of an in-toto Statement v1 whose subject is the artifact's
sha256 and whose predicate is SLSA provenance v1 (builder ID, build type, source URI and
digest, and the release version with --version), signed with the builder's key (an encrypted key file from \`bulwark attest keygen\`;
passphrase from BULWARK_PASSPHRASE_BUILDER or BULWARK_PASSPHRASE, else a prompt).

The attestation binds the release, not only the bytes: clients count it only for a file of
the subject's name and a release version the provenance claims, from --version or from a
tag at the end of --source-uri (@refs/tags/v1.2.0 or @refs/tags/1.2.0 for 1.2.0).

The output (default <artifact>.intoto.jsonl, one envelope per line) goes to the vendor, who
passes it to \`bulwark release add --attestation\`. The builder ID must be the one the
vendor's policy lists for this key (\`bulwark policy show\`).

Example:
  bulwark attest --key builder.pem --artifact dist/app-1.2.0.tar.gz \\
    --source-uri git+https://github.com/example/app@refs/tags/v1.2.0 \\
    --source-digest sha1:$(git rev-parse v1.2.0) --builder-id https://github.com/example/app/actions`,
  positionals: [],
  options: [
    { name: "key", type: "string", valueName: "KEYFILE", required: true, description: "the builder's private key" },
    { name: "artifact", type: "string", valueName: "FILE", required: true, description: "the artifact built" },
    {
      name: "source-uri",
      type: "string",
      valueName: "URI",
      required: true,
      description: "where the source came from, e.g. git+https://host/repo@refs/tags/v1.2.0",
    },
    {
      name: "source-digest",
      type: "string",
      valueName: "ALG:HEX",
      required: true,
      description: "the source built: sha1:<commit> or sha256:<digest>",
    },
    {
      name: "builder-id",
      type: "string",
      valueName: "ID",
      description: "this builder's ID, as the vendor's policy lists it (default: BULWARK_BUILDER_ID)",
    },
    {
      name: "build-type",
      type: "string",
      valueName: "URI",
      description: `the build type (default ${DEFAULT_BUILD_TYPE})`,
    },
    {
      name: "version",
      type: "string",
      valueName: "V",
      description:
        "the release version built, recorded in the provenance (needed unless --source-uri ends in a tag naming it, @refs/tags/vV)",
    },
    { name: "out", type: "string", valueName: "FILE", description: "where to write (default <artifact>.intoto.jsonl)" },
  ],
  async run({ options }, ctx) {
    const keyFile = path.resolve(ctx.cwd, options.key);
    const artifact = path.resolve(ctx.cwd, options.artifact);
    const { sourceUri, version } = options;
    const source = sourceDigestOption(options.sourceDigest);
    const builderId = options.builderId ?? ctx.env.BULWARK_BUILDER_ID;
    if (builderId === undefined || builderId === "") {
      throw usage("--builder-id is required (or BULWARK_BUILDER_ID)", "use the ID the vendor's policy lists for you");
    }
    if (version === "") throw usage("--version must not be empty");
    const out = path.resolve(ctx.cwd, options.out ?? `${artifact}.intoto.jsonl`);
    const signer = await readPrivateKeyFile(keyFile, () => builderPassphrase(ctx));
    const { sha256, length } = await sha256File(artifact, ctx);
    const name = path.basename(artifact);
    const statement = buildStatement({
      subject: [{ name, digest: { sha256 } }],
      predicateType: SLSA_PROVENANCE_V1,
      predicate: buildProvenance({
        buildType: options.buildType ?? DEFAULT_BUILD_TYPE,
        builderId,
        source: { uri: sourceUri, digest: { [source.alg]: source.hex } },
        ...(version === undefined ? {} : { version }),
        metadata: { finishedOn: new Date(ctx.now()).toISOString().replace(/\.\d{3}Z$/, "Z") },
      }),
    });
    const envelope = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, serializeStatement(statement), [signer]);
    await writeFileAtomic(out, formatAttestationBundle([serializeEnvelope(envelope)]));
    ctx.out.line(`Attested ${name} (${length} bytes, sha256 ${sha256})`);
    ctx.out.line(
      `  built from ${formatSourceDigest(source)} (${sourceUri}) by ${builderId}, key ${signer.keyId.slice(0, 16)}`,
    );
    ctx.out.line(`Wrote ${out}: give it to the vendor for \`bulwark release add --attestation\`.`);
    return {
      data: {
        file: out,
        subject: { name, sha256, length },
        source: { uri: sourceUri, digest: formatSourceDigest(source) },
        ...(version === undefined ? {} : { version }),
        builderId,
        keyId: signer.keyId,
      },
    };
  },
});
