/**
 * Offline root signing, as in production: `repo init` makes three root keys (2 of 3 sign
 * root); they leave the repository for offline/root-keys/ (another machine, a safe,
 * hardware keys in real life) and bulwark.json marks them `"offline": true`. Every root
 * change (here: the log policy, the verified-builds policy) then stops `repo publish` (exit
 * 3), and is signed where the keys are with the real commands: `repo export`, `sign` with
 * two of the keys, `repo import`, `repo publish`.
 */
import { mkdir, rename } from "node:fs/promises";
import path from "node:path";
import type { KeyEntry, RepoDir } from "@bulwark/publisher";
import { LAYOUT } from "./world.js";

/** What the offline root scenes need from the quickstart. */
export interface OfflineRootKit {
  /** The world's folder, the vendor commands' working directory. */
  readonly work: string;
  say(text: string): void;
  /** Runs `bulwark argv --json --quiet` (printed as a command line); the exit code and JSON output. */
  run(argv: string[]): Promise<{ code: number; data: Record<string, unknown> }>;
  /** Opens the repository as the vendor's commands do. */
  repoDir(): Promise<RepoDir>;
}

/** The root keys, moved to offline/root-keys/: key files relative to the world. */
export type OfflineRootKeys = readonly string[];

/**
 * Moves the root key files out of the repository to offline/root-keys/ and marks their
 * entries `"offline": true` in bulwark.json (through the repository's own config writer).
 */
export async function takeRootKeysOffline(kit: OfflineRootKit): Promise<OfflineRootKeys> {
  const repoDir = await kit.repoDir();
  return repoDir.locked(async () => {
    await mkdir(path.join(kit.work, LAYOUT.rootKeys), { recursive: true });
    const moved: string[] = [];
    const keys: KeyEntry[] = [];
    for (const entry of repoDir.config.keys) {
      if (!entry.roles.includes("root") || !("file" in entry)) {
        keys.push(entry);
        continue;
      }
      const to = path.join(LAYOUT.rootKeys, path.basename(entry.file));
      await rename(path.resolve(repoDir.dir, entry.file), path.join(kit.work, to));
      moved.push(to);
      keys.push({ id: entry.id, roles: entry.roles, scheme: entry.scheme, offline: true });
    }
    await repoDir.saveConfig({ ...repoDir.config, keys });
    kit.say(`  $ mv ${LAYOUT.repo}/keys/root/*.pem ${LAYOUT.rootKeys}/     # in production: another machine, a safe`);
    kit.say(`  ${LAYOUT.repo}/bulwark.json now lists the ${moved.length} root keys as "offline": true, with no file`);
    return moved;
  });
}

/**
 * Publishes a staged root change with the root keys offline: `repo publish` stops with exit
 * code 3; the new root is exported, signed with the first two root keys (2 of 3), imported,
 * and published. Returns the publish's JSON report.
 * @throws {Error} when a step does not go as it must.
 */
export async function publishRootChange(
  kit: OfflineRootKit,
  keys: OfflineRootKeys,
  repo: string,
): Promise<Record<string, unknown>> {
  const refused = await kit.run(["repo", "publish", repo]);
  const error = refused.data.error as { code?: string; message?: string } | undefined;
  if (refused.code !== 3 || error?.code !== "ROOT_SIGNATURES_NEEDED") {
    throw new Error(`bulwark repo publish should need the offline root keys: ${JSON.stringify(refused.data)}`);
  }
  // The key IDs the message lists are left out: the counts tell the story.
  kit.say(`  exit 3, ${error.code}: ${error.message?.replace(/ \(unsigned: [^)]*\)/g, "")}`);
  kit.say("  so the new root goes to the root keys' machine, is signed there by 2 of the 3 keys, and comes back:");
  const staged = (await (await kit.repoDir()).load()).stagedRoot();
  const file = path.join(LAYOUT.offline, `root-${staged?.signed.version}.json`);
  await must(kit, ["repo", "export", repo, file]);
  for (const key of keys.slice(0, 2)) await must(kit, ["sign", file, "--key", key]);
  const imported = await must(kit, ["repo", "import", repo, file]);
  if (imported.ready !== true) throw new Error(`bulwark repo import: not ready: ${JSON.stringify(imported)}`);
  const published = await must(kit, ["repo", "publish", repo]);
  const version = (published.versions as Record<string, number> | undefined)?.root;
  kit.say(
    `  root version ${version} is published, signed by 2 of the 3 offline root keys (of the old root and the new)`,
  );
  return published;
}

async function must(kit: OfflineRootKit, argv: string[]): Promise<Record<string, unknown>> {
  const { code, data } = await kit.run(argv);
  if (code !== 0) throw new Error(`bulwark ${argv.join(" ")} failed: ${JSON.stringify(data)}`);
  return data;
}
