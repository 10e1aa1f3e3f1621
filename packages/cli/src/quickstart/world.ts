/**
 * The quickstart's world: one folder holding the vendor's repository and release log, the
 * offline root keys, the update server's copy, every endpoint, the builders and the
 * attacker. A temporary folder removed at the end (even when a scene fails), or the folder
 * given with `--keep DIR`, left in place for exploring.
 */
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { CliError } from "../errors.js";
import { EXIT } from "../exit-codes.js";

/** Where things are in the world, relative to its folder (the vendor commands' working directory). */
export const LAYOUT = {
  repo: path.join("vendor", "updates"),
  releaseLog: path.join("vendor", "release-log"),
  /** The root keys' machine (in production: another computer, a safe, hardware keys). */
  offline: "offline",
  rootKeys: path.join("offline", "root-keys"),
  cdn: "cdn",
  endpoints: "endpoints",
  builders: "builders",
  attacker: "attacker",
} as const;

/** What each folder of {@link LAYOUT} holds, as the kept world's map says. */
export const WHAT_IS_WHERE: ReadonlyArray<readonly [string, string]> = [
  [
    `${LAYOUT.repo}/`,
    "the vendor's repository: bulwark.json, keys/ (online keys only), staged/, public/ (what is served)",
  ],
  [`${LAYOUT.rootKeys}/`, 'the three root keys, kept apart ("offline": true in bulwark.json)'],
  [`${LAYOUT.offline}/root-*.json`, "each root change, exported, signed there with 2 of the 3 keys, imported"],
  [`${LAYOUT.releaseLog}/`, "the release transparency log (log.json, its key, public/ tiles)"],
  [
    `${LAYOUT.endpoints}/NAME/`,
    "each endpoint: agent.json (its agent config), root.json, data/, app/ (versions, current)",
  ],
  [`${LAYOUT.cdn}/`, "what the untrusted update server served (the attacker's playground)"],
  [`${LAYOUT.builders}/`, "the three builders' keys, builds and attestations"],
  [`${LAYOUT.attacker}/`, "the attacker's private copy of the release log"],
];

/** The world's folder and how it ends. */
export interface World {
  /** Absolute path of the world's folder. */
  readonly dir: string;
  /** True with `--keep`: the folder stays. */
  readonly kept: boolean;
  /** Removes the folder unless kept. */
  close(): Promise<void>;
}

/**
 * Opens the world: `keep` (relative to `cwd`) must be missing or an empty folder, so nothing
 * of the user's is mixed in or overwritten; without it, a new folder under the temporary
 * folder (`TMPDIR` of `env`, else the system's).
 * @throws {CliError} `KEEP_NOT_EMPTY` when `keep` holds anything.
 */
export async function openWorld(cwd: string, env: NodeJS.ProcessEnv, keep?: string): Promise<World> {
  if (keep === undefined) {
    const dir = await mkdtemp(path.join(env.TMPDIR || tmpdir(), "bulwark-quickstart-"));
    return { dir, kept: false, close: () => rm(dir, { recursive: true, force: true }) };
  }
  const dir = path.resolve(cwd, keep);
  const entries = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [];
    throw error;
  });
  if (entries.length > 0) {
    throw new CliError(
      "KEEP_NOT_EMPTY",
      `--keep ${keep}: ${dir} is not empty; the quickstart writes a whole world there`,
      EXIT.USAGE,
      "give a new or empty folder, e.g. --keep ./bulwark-tour",
    );
  }
  await mkdir(dir, { recursive: true });
  return { dir, kept: true, close: async () => {} };
}
