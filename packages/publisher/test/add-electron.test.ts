/**
 * The parsers of `addElectronReleases`, held to their contract with fast-check: whatever an
 * electron-builder folder holds, a feed file name maps to a channel and platform Bulwark
 * accepts or to nothing, a product name to a valid release name or to nothing, and a feed's
 * bytes either stage releases or are refused with a typed error, staging nothing.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { releaseNameFor } from "@bulwark/client";
import { desktopFeeds, feedText, tempDir, writeElectronDist } from "@bulwark/testkit";
import fc from "fast-check";
import {
  addElectronReleases,
  electronFeedTarget,
  initRepository,
  PUBLISHER_ERRORS,
  PublisherError,
} from "../src/index.js";

const options = { passphrase: async () => "correct horse battery staple" };
const REFUSALS = new Set<string>([
  PUBLISHER_ERRORS.BAD_ELECTRON_FEED,
  PUBLISHER_ERRORS.ELECTRON_FILE_MISSING,
  PUBLISHER_ERRORS.ELECTRON_CHECKSUM_MISMATCH,
  PUBLISHER_ERRORS.BAD_VERSION,
]);

describe("electron-builder names", () => {
  it("a feed file name is a valid channel and platform, or not a feed", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.stringMatching(/^[a-z0-9-]{1,12}(-mac|-linux(-[a-z0-9]{1,6})?)?\.yml$/)),
        (name) => {
          const target = electronFeedTarget(name);
          if (target === undefined) return;
          assert.match(target.channel, /^[a-z0-9][a-z0-9-]{0,63}$/);
          assert.match(`${target.os}-${target.arch ?? "x64"}`, /^[a-z0-9][a-z0-9_-]{0,63}$/);
        },
      ),
    );
    assert.deepEqual(electronFeedTarget("latest-linux-arm64.yml"), { channel: "latest", os: "linux", arch: "arm64" });
    assert.deepEqual(electronFeedTarget("beta-mac.yml"), { channel: "beta", os: "darwin" });
    assert.deepEqual(electronFeedTarget("latest.yml"), { channel: "latest", os: "win32" });
    assert.equal(electronFeedTarget("builder-debug.yml"), undefined);
    assert.equal(electronFeedTarget("app-update.yml"), undefined);
  });

  it("a product name becomes a valid release name, or nothing", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 100 }), (productName) => {
        const name = releaseNameFor(productName);
        if (name !== "") assert.match(name, /^[a-z0-9_][a-z0-9._-]*$/);
      }),
    );
    assert.equal(releaseNameFor("My App"), "my-app");
    assert.equal(releaseNameFor("  Über Tool 2 "), "ber-tool-2");
  });
});

describe("addElectronReleases on any feed bytes", () => {
  it("stages the releases or refuses with a typed error, staging nothing", async (t) => {
    const repo = path.join(tempDir(t), "repo");
    await initRepository(repo, { ...options, singleKey: true });
    const staged = path.join(repo, "staged", "targets");
    const feeds = desktopFeeds("Demo App", "1.1.0");
    const linux = feeds[2]?.files[0];
    assert.ok(linux !== undefined);
    const valid = feedText("1.1.0", [linux]);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 400 }),
          // A valid feed with a cut, an insertion or a changed character.
          fc
            .tuple(fc.nat(valid.length), fc.string({ maxLength: 8 }), fc.nat(4))
            .map(([at, text, cut]) => valid.slice(0, at) + text + valid.slice(at + cut)),
        ),
        async (text) => {
          const dist = tempDir(t);
          writeElectronDist(dist, "Demo App", [{ feed: "latest-linux.yml", version: "1.1.0", files: [linux] }]);
          writeFileSync(path.join(dist, "latest-linux.yml"), text);
          const before = existsSync(staged) ? readdirSync(staged).length : 0;
          try {
            const r = await addElectronReleases(repo, { ...options, dist, force: true });
            for (const rel of r.releases) assert.equal(rel.name, "demo-app");
          } catch (error) {
            assert.ok(error instanceof PublisherError, String(error));
            assert.ok(REFUSALS.has(error.code), error.code);
            assert.equal(existsSync(staged) ? readdirSync(staged).length : 0, before);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
