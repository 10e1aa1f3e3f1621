import path from "node:path";
import type { ReleasePolicy, SourceDigest } from "@bulwark/attest";
import { attestationBundlePath, formatAttestationBundle, formatSourceDigest, parseSemver } from "@bulwark/client";
import { type JsonObject, type Repository, TargetFile } from "@bulwark/tuf";
import { type Args, type Command, list, args as many, str } from "../command.js";
import { CliError, usage } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { updateIndex } from "../releases.js";
import { RepoDir, type StagedTarget } from "../store/repo-dir.js";
import { checkReleaseName, checkTargetPath } from "../target-path.js";
import {
  type AttestationInput,
  policyForRelease,
  type ReleaseQuorum,
  readAttestationFiles,
  requireReleaseQuorum,
  sourceDigestOption,
} from "../verified-builds.js";

/**
 * Checks one release file against the release policy and stages its attestation bundle
 * (the envelopes that counted) as a target beside it. Returns what `custom.bulwark` gains.
 */
async function attestRelease(
  repoDir: RepoDir,
  repo: Repository,
  check: { policy: ReleasePolicy; source: SourceDigest | undefined },
  targetPath: string,
  sha256: string,
  attestations: readonly AttestationInput[],
): Promise<{ custom: JsonObject; staged: StagedTarget; agreeing: readonly string[]; quorum: ReleaseQuorum }> {
  const artifact = { name: path.posix.basename(targetPath), sha256 };
  const quorum = requireReleaseQuorum(check.policy, artifact, check.source, attestations);
  const bundlePath = checkTargetPath(attestationBundlePath(targetPath));
  const bundle = await repoDir.stageBytes(formatAttestationBundle(quorum.counted.map((a) => a.bytes)));
  repo.addTarget(
    new TargetFile(bundlePath, bundle.length, new Map([["sha256", bundle.sha256]])),
    repo.roleForTarget(bundlePath),
  );
  return {
    custom: { attestations: [bundlePath] },
    staged: { path: bundlePath, ...bundle },
    agreeing: quorum.result.agreeing,
    quorum,
  };
}

const command: Command = {
  name: "release add",
  summary: "stage release files as targets with signed custom metadata",
  description: `Hashes each FILE, copies it into DIR/staged/, and lists it as the target
NAME/VERSION/<file name> with custom metadata {"bulwark": {name, version, channel, released}}.
Nothing is signed until \`bulwark repo publish\`. A path already released with other bytes is
refused: publish a new version instead.

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
  options: [
    { name: "name", type: "string", valueName: "NAME", description: "the product name (required)" },
    { name: "version", type: "string", valueName: "VERSION", description: "the release's semantic version (required)" },
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
  ],
  async run(a, ctx) {
    const o = releaseOptions(a);
    const attestations = await readAttestationFiles(list(a, "attestation"), ctx.cwd);
    const repoDir = await RepoDir.open(a.positionals.DIR as string, ctx);
    return repoDir.locked(async () => {
      const repo = await repoDir.load();
      const policy = policyForRelease(repo, o.name);
      if (policy === undefined && attestations.length > 0) {
        throw new CliError(
          "NO_RELEASE_POLICY",
          `the root has no release policy for ${o.name}: nothing would check these attestations`,
          EXIT.USAGE,
          `set one with \`bulwark policy set DIR --product ${o.name} --builder ID=KEY.pub.json ... --threshold K\``,
        );
      }
      if (policy?.require.sourceDigest && o.source === undefined) {
        throw usage(
          `the release policy for ${o.name} requires --source-digest: the commit the builders built from`,
          "e.g. --source-digest sha1:$(git rev-parse HEAD)",
        );
      }
      const released = new Date(ctx.now()).toISOString().replace(/\.\d{3}Z$/, "Z");
      const added: StagedTarget[] = [];
      const bundles: StagedTarget[] = [];
      const counted = new Set<string>();
      const unusedBecause = new Map<string, string>();
      const rows: string[][] = [];
      for (const [i, file] of o.files.entries()) {
        const targetPath = o.targetPaths[i] as string;
        const { length, sha256 } = await repoDir.stageFile(path.resolve(ctx.cwd, file));
        const role = repo.roleForTarget(targetPath);
        const existing = repo.targets(role).signed.targets.get(targetPath);
        if (existing !== undefined && existing.hashes.get("sha256") !== sha256) {
          throw new CliError(
            "ALREADY_RELEASED",
            `${targetPath} is already released with other bytes`,
            EXIT.FAILURE,
            "release a new version instead of replacing one",
          );
        }
        // The quorum is checked before the file is listed: a refused file is never listed.
        const attested =
          policy === undefined
            ? undefined
            : await attestRelease(repoDir, repo, { policy, source: o.source }, targetPath, sha256, attestations);
        const target = new TargetFile(targetPath, length, new Map([["sha256", sha256]]));
        target.custom = {
          bulwark: {
            name: o.name,
            version: o.version,
            channel: o.channel,
            released,
            ...(o.platform ? { platform: o.platform } : {}),
            ...(o.source === undefined ? {} : { source: formatSourceDigest(o.source) }),
            ...attested?.custom,
          },
        };
        repo.addTarget(target, role);
        added.push({ path: targetPath, sha256, length });
        rows.push([targetPath, String(length), sha256.slice(0, 16), role, attested?.agreeing.join(", ") ?? "-"]);
        if (attested !== undefined) {
          bundles.push(attested.staged);
          for (const a of attested.quorum.counted) counted.add(a.label);
          for (const u of attested.quorum.unused) unusedBecause.set(u.label, u.reason);
        }
      }
      for (const unused of attestations.filter((x) => !counted.has(x.label))) {
        const why = unusedBecause.get(unused.label);
        ctx.out.warn(
          `${unused.label} counts for none of the release files and is not published${why ? `: ${why}` : ""}`,
        );
      }
      const platform = o.platform ? { platform: o.platform } : {};
      const index = await updateIndex(
        repoDir,
        repo,
        o.name,
        added.map((t) => ({ version: o.version, channel: o.channel, target: t.path, ...platform })),
      );
      await repoDir.stage(repo, [...added, ...bundles, index]);
      ctx.out.table(["target", "bytes", "sha256", "role", "attested by"], rows);
      ctx.out.note(`staged ${rows.length} file(s); run \`bulwark repo publish\` to sign and publish`);
      return {
        data: {
          staged: added.map((t) => ({ ...t, name: o.name, version: o.version, channel: o.channel, ...platform })),
          ...(policy === undefined
            ? {}
            : {
                attestations: bundles.map((b) => b.path),
                attestedBy: Object.fromEntries(rows.map((r) => [r[0], (r[4] ?? "").split(", ")])),
              }),
        },
      };
    });
  },
};

/** The options of `release add`, checked. */
function releaseOptions(a: Args) {
  const name = checkReleaseName(str(a, "name") ?? "");
  const version = str(a, "version");
  if (version === undefined) throw usage("--version is required");
  if (parseSemver(version) === undefined) {
    throw new CliError(
      "BAD_VERSION",
      `--version ${JSON.stringify(version)} is not a semantic version (MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD])`,
      EXIT.USAGE,
    );
  }
  const channel = str(a, "channel") ?? "stable";
  if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(channel))
    throw usage(`--channel ${JSON.stringify(channel)} must be lowercase letters, digits and "-"`);
  const platform = str(a, "platform");
  if (platform !== undefined && !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(platform))
    throw usage(`--platform ${JSON.stringify(platform)} must be lowercase letters, digits, "_" and "-"`);
  const files = many(a, "FILE");
  const explicit = list(a, "target");
  if (explicit.length > 0 && explicit.length !== files.length)
    throw usage(`give one --target per FILE (${files.length})`);
  const targetPaths = files.map((f, i) => checkTargetPath(explicit[i] ?? `${name}/${version}/${path.basename(f)}`));
  if (new Set(targetPaths).size !== targetPaths.length) throw usage("two files map to the same target path");
  const sourceText = str(a, "source-digest");
  const source = sourceText === undefined ? undefined : sourceDigestOption(sourceText);
  return { name, version, channel, platform, files, targetPaths, source };
}

export default command;
