import { addRelease } from "@bulwark/publisher";
import { defineCommand, type OptionSpec, type OptionsOf } from "../command.js";
import { usage } from "../errors.js";
import { publisherOptions } from "../publisher-options.js";
import { sourceDigestOption } from "./attest.js";

/** The options of `release add`. */
const RELEASE_ADD_OPTIONS = [
  { name: "name", type: "string", valueName: "NAME", required: true, description: "the product name" },
  {
    name: "version",
    type: "string",
    valueName: "VERSION",
    required: true,
    description: "the release's semantic version",
  },
  { name: "channel", type: "string", valueName: "CHANNEL", description: "release channel", default: "stable" },
  {
    name: "platform",
    type: "string",
    valueName: "PLATFORM",
    description: "platform the files are for, e.g. linux-x64",
  },
  {
    name: "target",
    type: "string",
    multiple: true,
    valueName: "PATH",
    description: "explicit target path for each FILE, in order (default NAME/VERSION/<file name>)",
  },
  {
    name: "attestation",
    type: "string",
    multiple: true,
    valueName: "FILE",
    description: "a builder's attestation (DSSE envelope or .intoto.jsonl bundle); repeat for each builder",
  },
  {
    name: "source-digest",
    type: "string",
    valueName: "ALG:HEX",
    description: "the source the release was built from: sha1:<commit> or sha256:<digest>",
  },
  {
    name: "force",
    type: "boolean",
    description: "change an already published version: other bytes, other files or another channel",
  },
] as const satisfies readonly OptionSpec[];

export default defineCommand({
  name: "release add",
  summary: "stage release files as targets with signed custom metadata",
  description: `Hashes each FILE, copies it into DIR/staged/, and lists it as the target
NAME/VERSION/<file name> with custom metadata {"bulwark": {name, version, channel, released}}.
Nothing is signed until \`bulwark repo publish\`. A version already published is not changed
by surprise: re-adding it with other bytes, with files it did not have, or on another channel
is refused (the error names the release and what differs) unless --force. Release a new
version instead.

Each FILE is hashed as it is copied, with progress on a terminal (--progress forces it
elsewhere, as lines on stderr). Ctrl+C (SIGINT) or SIGTERM stops it with nothing staged
(exit 130 / 143).

Verified builds: when the root's release policy covers NAME (\`bulwark policy show\`), each FILE
is refused unless k of the policy's builders attest its sha256, built from --source-digest
(required then), in the --attestation files (\`bulwark attest\` writes them). The attestations
that counted are published beside the file as the target <path>.intoto.jsonl, which the
release's custom metadata lists, so clients verify the quorum themselves.

Examples:
  bulwark release add ./updates dist/app-1.2.0.tar.gz --name app --version 1.2.0 --channel beta
  bulwark release add ./updates dist/app-1.2.0.tar.gz --name app --version 1.2.0 \\
    --source-digest sha1:$(git rev-parse v1.2.0) --attestation ci-a.intoto.jsonl --attestation ci-b.intoto.jsonl`,
  positionals: [
    { name: "DIR", description: "the repository folder" },
    { name: "FILE", description: "release files", variadic: true },
  ],
  options: RELEASE_ADD_OPTIONS,
  async run({ positionals, options }, ctx) {
    const r = await addRelease(positionals.DIR, {
      ...publisherOptions(ctx),
      ...releaseOptions(positionals.FILE, options),
    });
    for (const unused of r.unused) {
      ctx.out.warn(
        `${unused.label} counts for none of the release files and is not published${unused.reason ? `: ${unused.reason}` : ""}`,
      );
    }
    const rows = r.files.map((f) => [
      f.path,
      String(f.length),
      f.sha256.slice(0, 16),
      f.role,
      f.attestedBy?.join(", ") ?? "-",
    ]);
    ctx.out.table(["target", "bytes", "sha256", "role", "attested by"], rows);
    ctx.out.note(`staged ${rows.length} file(s); run \`bulwark repo publish\` to sign and publish`);
    const platform = r.platform ? { platform: r.platform } : {};
    return {
      data: {
        staged: r.files.map((f) => ({
          path: f.path,
          sha256: f.sha256,
          length: f.length,
          name: r.name,
          version: r.version,
          channel: r.channel,
          ...platform,
        })),
        ...(r.attestations === undefined
          ? {}
          : {
              attestations: r.attestations,
              attestedBy: Object.fromEntries(r.files.map((f) => [f.path, f.attestedBy ?? []])),
            }),
      },
    };
  },
});

/** The release the options describe; the release itself is checked by the library. */
function releaseOptions(files: readonly string[], options: OptionsOf<typeof RELEASE_ADD_OPTIONS>) {
  const explicit = options.target;
  if (explicit.length > 0 && explicit.length !== files.length)
    throw usage(`give one --target per FILE (${files.length})`);
  const sourceText = options.sourceDigest;
  return {
    name: options.name,
    version: options.version,
    channel: options.channel,
    platform: options.platform,
    files: files.map((file, i) => ({ file, target: explicit[i] })),
    attestations: options.attestation,
    source: sourceText === undefined ? undefined : sourceDigestOption(sourceText),
    force: options.force,
  };
}
