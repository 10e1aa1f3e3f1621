/**
 * npm modules inside a release: each `package.json` that names a module (`name` and
 * `version`) makes its folder a module root, and every file belongs to the deepest root
 * above it, so a module's files can be compared across releases with its declared version.
 */

/** A module as its `package.json` declares it. */
export interface NpmModule {
  readonly name: string;
  readonly version: string;
}

/** Largest `package.json` parsed. */
const MAX_PACKAGE_JSON_BYTES = 1024 * 1024;

/** The module a `package.json`'s bytes declare, or undefined when it is not one (or not JSON). */
export function parsePackageJson(bytes: Uint8Array): NpmModule | undefined {
  if (bytes.length > MAX_PACKAGE_JSON_BYTES) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
  if (typeof json !== "object" || json === null) return undefined;
  const { name, version } = json as Record<string, unknown>;
  if (typeof name !== "string" || typeof version !== "string" || name === "" || version === "") return undefined;
  return { name, version };
}

/** True for a path whose last segment is `package.json`. */
export function isPackageJson(file: string): boolean {
  return file === "package.json" || file.endsWith("/package.json");
}

/** The folder a `package.json` path describes (`""` for the release's root). */
export function moduleRootOf(packageJson: string): string {
  return packageJson.slice(0, Math.max(0, packageJson.length - "/package.json".length));
}

/** The deepest module root in `roots` that holds `file`, or undefined. */
export function owningRoot(file: string, roots: ReadonlySet<string>): string | undefined {
  for (let end = file.lastIndexOf("/"); end > 0; end = file.lastIndexOf("/", end - 1)) {
    const dir = file.slice(0, end);
    if (roots.has(dir)) return dir;
  }
  return roots.has("") ? "" : undefined;
}
