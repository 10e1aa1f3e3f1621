import { addElectronReleases } from "@bulwark/publisher";
import { defineCommand } from "../command.js";
import { publisherOptions } from "../publisher-options.js";

export default defineCommand({
  name: "release add-electron",
  summary: "stage electron-builder's output: one release per channel and platform, checked against its feeds",
  description: `Reads what electron-builder wrote in DIST: its update feeds (latest.yml for Windows,
latest-mac.yml, latest-linux.yml, latest-linux-arm64.yml, and beta.yml, alpha-mac.yml … for
other channels), the installers they list, and builder-effective-config.yaml for the product
name. Checks every installer against the sha512 and size its feed gives, and only then stages
one release per channel and platform, as \`release add\` does:

  name      the productName, lowercased, spaces as "-" ("My App" → my-app), or --name
  version   the feed's version
  channel   from the feed's name: latest → stable, beta.yml → beta
  platform  win32, darwin or linux, and the architecture (x64 unless the file or feed
            name says arm64, ia32, armv7l or universal): win32-x64, darwin-arm64, linux-x64

On macOS the .zip is released (what an update installs), on Linux the AppImage, on Windows
the .exe; other files of the same platform (a .dmg, a .deb) and the .blockmap files are
listed as skipped. Nothing is signed until \`bulwark repo publish\`. In CI, run it once after
electron-builder (see docs/electron.md); the app updates with @bulwark/electron.

Example:
  npx electron-builder --publish never
  bulwark release add-electron ./updates ./dist && bulwark repo publish ./updates`,
  positionals: [
    { name: "DIR", description: "the repository folder" },
    { name: "DIST", description: "electron-builder's output folder" },
  ],
  options: [
    {
      name: "name",
      type: "string",
      valueName: "NAME",
      description: "the release name (default: builder-effective-config.yaml's productName)",
    },
    {
      name: "force",
      type: "boolean",
      description: "change an already published version: other bytes, other files or another channel",
    },
  ],
  async run({ positionals, options }, ctx) {
    const r = await addElectronReleases(positionals.DIR, {
      ...publisherOptions(ctx),
      dist: positionals.DIST,
      name: options.name,
      force: options.force,
    });
    for (const s of r.skipped) ctx.out.note(`skipped ${s.file}: ${s.reason}`);
    const rows = r.releases.flatMap((rel) =>
      rel.files.map((f) => [`${rel.name}@${rel.version}`, rel.channel, rel.platform ?? "-", f.path, String(f.length)]),
    );
    ctx.out.table(["release", "channel", "platform", "target", "bytes"], rows);
    ctx.out.note(
      `staged ${r.releases.length} release(s) from ${r.feeds.join(", ")}; run \`bulwark repo publish\` to sign and publish`,
    );
    return {
      data: {
        name: r.name,
        feeds: r.feeds,
        releases: r.releases.map((rel) => ({
          name: rel.name,
          version: rel.version,
          channel: rel.channel,
          ...(rel.platform === undefined ? {} : { platform: rel.platform }),
          files: rel.files.map((f) => ({ path: f.path, sha256: f.sha256, length: f.length })),
        })),
        skipped: r.skipped,
      },
    };
  },
});
