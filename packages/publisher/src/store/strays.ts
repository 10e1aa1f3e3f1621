/**
 * Temporary files a killed command leaves behind. Every write in a repository folder goes
 * through a temporary file renamed into place: `writeFileAtomic` and the key store write
 * `.NAME.<hex>.tmp`, a published release file is copied to `NAME.<hex>.tmp`, a staged one
 * to `staged/targets/.incoming-<hex>`. A process killed between the write and the rename
 * leaves such a file; clients never read it, but it would stay forever.
 */
import { promises as fs } from "node:fs";
import path from "node:path";

const STRAY = [/^.+\.[0-9a-f]{12}\.tmp$/, /^\.incoming-[0-9a-f]{12}$/];

/** Whether `name` is the name of a temporary file a Bulwark write makes. */
export function isStrayName(name: string): boolean {
  return STRAY.some((re) => re.test(name));
}

/**
 * Removes the temporary files under `dirs` (recursively; missing folders are skipped) and
 * returns their paths relative to `root`. Call it holding the repository lock: no write of
 * this repository is under way then.
 */
export async function removeStrays(root: string, dirs: readonly string[]): Promise<string[]> {
  const removed: string[] = [];
  const walk = async (dir: string, deep: boolean): Promise<void> => {
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (deep) await walk(p, deep);
      } else if (entry.isFile() && isStrayName(entry.name)) {
        await fs.rm(p, { force: true });
        removed.push(path.relative(root, p));
      }
    }
  };
  for (const dir of dirs) await walk(dir, dir !== root);
  return removed.sort();
}
