/**
 * An electron-builder output folder, as its public documentation describes it: installers
 * per platform and architecture, their `.blockmap` files, the update feeds (`latest.yml`
 * for Windows, `latest-mac.yml`, `latest-linux.yml`, `latest-linux-arm64.yml`; other
 * channels as `beta.yml`, …) listing each file's name, base64 sha512 and size, and
 * `builder-effective-config.yaml` with the product name. The installers' bytes are made up.
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

/** One installer of the folder. */
export interface DistFile {
  /** Its file name. */
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** One update feed and the installers it lists. */
export interface DistFeed {
  /** `latest.yml`, `latest-mac.yml`, `beta-linux.yml`, … */
  readonly feed: string;
  readonly version: string;
  readonly files: readonly DistFile[];
}

/** The base64 sha512 electron-builder writes in its feeds. */
export function sha512Base64(bytes: Uint8Array): string {
  return createHash("sha512").update(bytes).digest("base64");
}

/** The text of an update feed, as electron-builder writes it. */
export function feedText(version: string, files: ReadonlyArray<{ name: string; bytes: Uint8Array }>): string {
  const [first] = files;
  const lines = [`version: ${version}`, "files:"];
  for (const f of files) {
    lines.push(`  - url: ${f.name}`, `    sha512: ${sha512Base64(f.bytes)}`, `    size: ${f.bytes.length}`);
    lines.push(`    blockMapSize: ${120 + f.name.length}`);
  }
  if (first !== undefined) lines.push(`path: ${first.name}`, `sha512: ${sha512Base64(first.bytes)}`);
  lines.push("releaseDate: '2026-12-01T10:00:00.000Z'", "");
  return lines.join("\n");
}

/** Made-up installer bytes that differ per name and version. */
export function installerBytes(name: string, size = 48 * 1024): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash("sha256").update(name).digest();
  for (let i = 0; i < size; i += block.length) {
    block.copy(out, i);
    block = createHash("sha256").update(block).digest();
  }
  return out;
}

/**
 * Writes an electron-builder output folder in `dir`: each feed, its installers with a
 * `.blockmap` beside each, `builder-effective-config.yaml` naming `productName`, and the
 * folders and files electron-builder leaves beside them (`linux-unpacked/`, `builder-debug.yml`).
 */
export function writeElectronDist(dir: string, productName: string, feeds: readonly DistFeed[]): void {
  mkdirSync(path.join(dir, "linux-unpacked"), { recursive: true });
  writeFileSync(
    path.join(dir, "builder-effective-config.yaml"),
    `directories:\n  output: dist\n  buildResources: build\nappId: com.example.demo\nproductName: ${productName}\npublish:\n  - provider: generic\n    url: https://updates.example.com/\nelectronVersion: 33.2.0\n`,
  );
  writeFileSync(path.join(dir, "builder-debug.yml"), "x64:\n  firstOrDefaultFilePatterns:\n    - '**/*'\n");
  for (const { feed, version, files } of feeds) {
    for (const f of files) {
      writeFileSync(path.join(dir, f.name), f.bytes);
      writeFileSync(path.join(dir, `${f.name}.blockmap`), createHash("sha256").update(f.bytes).digest());
    }
    writeFileSync(path.join(dir, feed), feedText(version, files));
  }
}

/** The installers electron-builder writes for `productName` at `version` on every desktop platform (x64 and arm64). */
export function desktopFeeds(productName: string, version: string, channel = "latest"): DistFeed[] {
  const file = (name: string): DistFile => ({ name, bytes: installerBytes(`${name} ${version}`) });
  const base = productName.replace(/ /g, "-");
  const prefix = channel === "latest" ? "latest" : channel;
  return [
    { feed: `${prefix}.yml`, version, files: [file(`${productName} Setup ${version}.exe`)] },
    {
      feed: `${prefix}-mac.yml`,
      version,
      files: [
        file(`${base}-${version}-arm64-mac.zip`),
        file(`${base}-${version}-arm64.dmg`),
        file(`${base}-${version}-mac.zip`),
        file(`${base}-${version}.dmg`),
      ],
    },
    { feed: `${prefix}-linux.yml`, version, files: [file(`${base}-${version}.AppImage`)] },
    { feed: `${prefix}-linux-arm64.yml`, version, files: [file(`${base}-${version}-arm64.AppImage`)] },
  ];
}
