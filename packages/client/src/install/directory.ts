/**
 * The `directory` strategy: each version unpacked into `<root>/versions/<version>/`, and
 * `<root>/current` a symbolic link switched atomically (a new link renamed over the old).
 * The application runs from `<root>/current`, so it is always exactly one complete
 * version — never a mix.
 */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { syncDirectory } from "@bulwark/tuf";

import { type ExtractOptions, extractArchive, limitsForRelease } from "../archive/index.js";

import type { JournalVersion } from "../journal.js";
import type { Release } from "../release.js";
import type { InstallStrategy } from "./strategy.js";

const VERSION_DIR = /^[0-9A-Za-z.+_-]+$/;

/**
 * Options of {@link DirectoryStrategy}: the bounds for unpacking, passed to the archive
 * reader (each with its named default). A release's signed unpacked size tightens them.
 */
export type DirectoryStrategyOptions = Pick<
  ExtractOptions,
  "maxTotalBytes" | "maxContentBytes" | "maxEntryBytes" | "maxEntries" | "maxPathLength" | "maxCompressionRatio"
>;

async function isArchive(file: string): Promise<boolean> {
  const handle = await fs.open(file, "r");
  try {
    const head = Buffer.alloc(262);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const b = head.subarray(0, bytesRead);
    return (
      (b[0] === 0x1f && b[1] === 0x8b) ||
      (b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04) ||
      b.subarray(257, 262).toString("latin1") === "ustar"
    );
  } finally {
    await handle.close();
  }
}

/**
 * The `directory` install strategy: versions unpacked side by side under `<root>/versions/`,
 * `<root>/current` a symbolic link switched atomically.
 */
export class DirectoryStrategy implements InstallStrategy {
  /** `directory`. */
  readonly kind = "directory";
  /** `<root>/versions`: one folder per version. */
  readonly versions: string;
  /** `<root>/current`: the link to the running version's folder. */
  readonly currentLink: string;

  /**
   * @param root the application's folder; the app runs from `<root>/current`.
   * @param options bounds for unpacking archives.
   */
  constructor(
    readonly root: string,
    private readonly options: DirectoryStrategyOptions = {},
  ) {
    this.versions = path.join(root, "versions");
    this.currentLink = path.join(root, "current");
  }

  private dir(version: string): string {
    if (!VERSION_DIR.test(version) || version === "." || version === "..") {
      throw new Error(`not a usable version folder name: ${JSON.stringify(version)}`);
    }
    return path.join(this.versions, version);
  }

  /**
   * Unpacks `file` (tar, tar.gz or zip) into the version's folder, within the configured
   * bounds and the release's signed unpacked size, or copies it there when it is not an
   * archive; the folder appears complete or not at all.
   * @throws {ArchiveError} when the archive is refused.
   * @throws {Error} for a version that is not a usable folder name.
   */
  async prepare(release: Release, file: string): Promise<void> {
    const dest = this.dir(release.version);
    await fs.mkdir(this.versions, { recursive: true });
    // A folder left by an interrupted attempt is not trusted: unpack again.
    if ((await this.active()) !== release.version) await fs.rm(dest, { recursive: true, force: true });
    else return;
    if (await isArchive(file)) {
      // The signed unpacked size, when the release has one, bounds the unpack below the configured limits.
      await extractArchive(file, dest, limitsForRelease(this.options, release.unpacked));
    } else {
      const tmp = `${dest}.partial-${randomBytes(6).toString("hex")}`;
      await fs.mkdir(tmp);
      const name = release.target.path.slice(release.target.path.lastIndexOf("/") + 1);
      await fs.copyFile(file, path.join(tmp, name));
      await fs.rename(tmp, dest);
    }
    await syncDirectory(this.versions);
  }

  /** Points `<root>/current` at `to`'s folder atomically (removes it for undefined). */
  async activate(to: JournalVersion | undefined): Promise<void> {
    if (to === undefined) {
      await fs.rm(this.currentLink, { force: true });
      await syncDirectory(this.root);
      return;
    }
    const target = path.relative(this.root, this.dir(to.version));
    if ((await fs.readlink(this.currentLink).catch(() => undefined)) === target) return;
    // A link left by a switch that a crash cut short is never used: clear it first.
    for (const name of await fs.readdir(this.root).catch(() => [] as string[])) {
      if (name.startsWith(".current-")) await fs.rm(path.join(this.root, name), { force: true });
    }
    const tmp = path.join(this.root, `.current-${randomBytes(6).toString("hex")}`);
    await fs.symlink(target, tmp);
    await fs.rename(tmp, this.currentLink);
    await syncDirectory(this.root);
  }

  /** The version `<root>/current` points at. */
  async active(): Promise<string | undefined> {
    const target = await fs.readlink(this.currentLink).catch(() => undefined);
    return target === undefined ? undefined : path.basename(target);
  }

  /** Removes a version's folder (and partial unpacks of it), unless it is current. */
  async discard(version: string): Promise<void> {
    if ((await this.active()) === version) return;
    await fs.rm(this.dir(version), { recursive: true, force: true });
    // Partial folders of an interrupted unpack of this version, too.
    for (const name of await fs.readdir(this.versions).catch(() => [] as string[])) {
      if (name.startsWith(`${version}.partial-`))
        await fs.rm(path.join(this.versions, name), { recursive: true, force: true });
    }
  }

  /** The version's folder. */
  location(version: string): string {
    return this.dir(version);
  }

  /** Versions on disk. */
  async installed(): Promise<string[]> {
    return (await fs.readdir(this.versions).catch(() => [] as string[])).filter((n) => !n.includes(".partial-"));
  }
}
