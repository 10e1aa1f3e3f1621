import path from "node:path";
import { indexPath, parseSemver } from "@bulwark/client";
import { TargetFile } from "@bulwark/tuf";
import { type Command, list, args as many, str } from "../command.js";
import { CliError, usage } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { updateIndex } from "../releases.js";
import { RepoDir, type StagedTarget } from "../store/repo-dir.js";
import { checkReleaseName, checkTargetPath } from "../target-path.js";

const command: Command = {
  name: "release add",
  summary: "stage release files as targets with signed custom metadata",
  description: `Hashes each FILE, copies it into DIR/staged/, and lists it as the target
NAME/VERSION/<file name> with custom metadata {"bulwark": {name, version, channel, released}}.
Nothing is signed until \`bulwark repo publish\`. A path already released with other bytes is
refused: publish a new version instead.

Example:
  bulwark release add ./updates dist/app-1.2.0.tar.gz --name app --version 1.2.0 --channel beta`,
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
  ],
  async run(a, ctx) {
    const name = checkReleaseName(str(a, "name") ?? "");
    const versionText = str(a, "version");
    if (versionText === undefined) throw usage("--version is required");
    if (parseSemver(versionText) === undefined) {
      throw new CliError(
        "BAD_VERSION",
        `--version ${JSON.stringify(versionText)} is not a semantic version (MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD])`,
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
    const targetPaths = files.map((f, i) =>
      checkTargetPath(explicit[i] ?? `${name}/${versionText}/${path.basename(f)}`),
    );
    if (new Set(targetPaths).size !== targetPaths.length) throw usage("two files map to the same target path");

    const repoDir = await RepoDir.open(a.positionals.DIR as string, ctx);
    return repoDir.locked(async () => {
      const repo = await repoDir.load();
      const released = new Date(ctx.now()).toISOString().replace(/\.\d{3}Z$/, "Z");
      const added: StagedTarget[] = [];
      const rows: string[][] = [];
      for (const [i, file] of files.entries()) {
        const targetPath = targetPaths[i] as string;
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
        const target = new TargetFile(targetPath, length, new Map([["sha256", sha256]]));
        target.custom = {
          bulwark: { name, version: versionText, channel, released, ...(platform ? { platform } : {}) },
        };
        repo.addTarget(target, role);
        added.push({ path: targetPath, sha256, length });
        rows.push([targetPath, String(length), sha256.slice(0, 16), role]);
      }
      added.push(
        await updateIndex(
          repoDir,
          repo,
          name,
          added.map((t) => ({ version: versionText, channel, target: t.path, ...(platform ? { platform } : {}) })),
        ),
      );
      await repoDir.stage(repo, added);
      ctx.out.table(["target", "bytes", "sha256", "role"], rows);
      ctx.out.note(`staged ${rows.length} file(s); run \`bulwark repo publish\` to sign and publish`);
      const staged = added.filter((t) => t.path !== indexPath(name));
      return {
        data: {
          staged: staged.map((t) => ({ ...t, name, version: versionText, channel, ...(platform ? { platform } : {}) })),
        },
      };
    });
  },
};

export default command;
