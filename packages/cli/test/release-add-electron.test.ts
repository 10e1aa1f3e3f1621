/**
 * `bulwark release add-electron` on an electron-builder output folder the test writes (the
 * format of electron-builder's public documentation, made-up installers), then `repo
 * publish`, then an app updating from it with @bulwark/electron over loopback HTTP, with
 * Electron's `app` and the installer launch injected.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { CommandStrategy } from "@bulwark/client";
import {
  CancellationToken,
  createAutoUpdater,
  type ProgressInfo,
  type UpdateDownloadedEvent,
  type UpdateInfo,
} from "@bulwark/electron";
import { desktopFeeds, feedText, installerBytes, type TestLike, writeElectronDist } from "@bulwark/testkit";
import { initRepo, runCli, serveFolder, tempDir } from "./helpers.js";

const PRODUCT = "Demo App";
const NAME = "demo-app";

interface Staged {
  name: string;
  releases: Array<{ name: string; version: string; channel: string; platform: string; files: Array<{ path: string }> }>;
  skipped: Array<{ file: string; reason: string }>;
}

async function addElectron(repo: string, dist: string, ...extra: string[]) {
  return runCli(["release", "add-electron", repo, dist, "--json", ...extra]);
}

/** A repository and an electron-builder folder with every desktop platform at `version`. */
async function vendorWithDist(t: TestLike, version = "1.1.0") {
  const repo = await initRepo(t);
  const dist = path.join(tempDir(t), "dist");
  const feeds = desktopFeeds(PRODUCT, version);
  writeElectronDist(dist, PRODUCT, feeds);
  return { repo, dist, feeds };
}

function stagedTargets(repo: string): string[] {
  const staged = path.join(repo, "staged", "targets");
  return existsSync(staged) ? readdirSync(staged).filter((f) => !f.startsWith(".")) : [];
}

/** Electron's `app`, recording what the updater asks of it. */
function fakeApp(userData: string, version: string) {
  const calls: string[] = [];
  const beforeQuit: Array<(event: { preventDefault(): void }) => void> = [];
  return {
    calls,
    beforeQuit,
    on: (event: "before-quit", listener: (event: { preventDefault(): void }) => void) => {
      assert.equal(event, "before-quit");
      beforeQuit.push(listener);
    },
    isPackaged: true,
    getVersion: () => version,
    getName: () => PRODUCT,
    getPath: (name: "userData") => {
      assert.equal(name, "userData");
      return userData;
    },
    quit: (): void => {
      calls.push("quit");
    },
    relaunch: () => calls.push("relaunch"),
  };
}

/** An app at 1.0.0 on linux-x64 whose installer launch copies the verified AppImage to `installed`. */
async function appUpdater(t: TestLike, repo: string, platform = "linux-x64") {
  const url = await serveFolder(t, path.join(repo, "public"));
  const home = tempDir(t);
  const installed = path.join(home, "Demo-App.AppImage");
  const app = fakeApp(path.join(home, "userData"), "1.0.0");
  const updater = createAutoUpdater({
    app,
    serverUrl: url,
    trustedRoot: readFileSync(path.join(repo, "public", "metadata", "1.root.json")),
    platform,
    install: new CommandStrategy(
      [process.execPath, "-e", "require('node:fs').copyFileSync(process.argv[2], process.argv[1])", installed],
      home,
    ),
  });
  updater.logger = null;
  const events: string[] = [];
  const payloads = new Map<string, unknown>();
  for (const name of [
    "checking-for-update",
    "update-available",
    "update-not-available",
    "download-progress",
    "update-downloaded",
    "update-cancelled",
    "error",
  ]) {
    updater.on(name, (payload: unknown) => {
      events.push(name);
      payloads.set(name, payload);
    });
  }
  return { updater, app, installed, events, payloads };
}

describe("release add-electron", () => {
  it("stages one release per channel and platform from electron-builder's output, named after the product", async (t) => {
    const { repo, dist } = await vendorWithDist(t);
    const beta = desktopFeeds(PRODUCT, "1.2.0-beta.1", "beta")[2];
    assert.ok(beta !== undefined);
    writeElectronDist(dist, PRODUCT, [beta]);

    const run = await addElectron(repo, dist);
    assert.equal(run.code, 0, run.stderr);
    const staged = run.json<Staged>();
    assert.equal(staged.name, NAME);
    const rows = staged.releases.map(
      (r) => `${r.channel} ${r.platform} ${r.name}@${r.version} ${r.files.map((f) => f.path).join(",")}`,
    );
    assert.deepEqual(rows.sort(), [
      "beta linux-x64 demo-app@1.2.0-beta.1 demo-app/1.2.0-beta.1/Demo-App-1.2.0-beta.1.AppImage",
      "stable darwin-arm64 demo-app@1.1.0 demo-app/1.1.0/Demo-App-1.1.0-arm64-mac.zip",
      "stable darwin-x64 demo-app@1.1.0 demo-app/1.1.0/Demo-App-1.1.0-mac.zip",
      "stable linux-arm64 demo-app@1.1.0 demo-app/1.1.0/Demo-App-1.1.0-arm64.AppImage",
      "stable linux-x64 demo-app@1.1.0 demo-app/1.1.0/Demo-App-1.1.0.AppImage",
      "stable win32-x64 demo-app@1.1.0 demo-app/1.1.0/Demo App Setup 1.1.0.exe",
    ]);
    const skipped = staged.skipped.map((s) => s.file);
    assert.ok(skipped.includes("Demo-App-1.1.0-arm64.dmg") && skipped.includes("Demo-App-1.1.0.dmg"), skipped.join());
    assert.ok(skipped.includes("Demo-App-1.1.0.AppImage.blockmap"), skipped.join());
  });

  it("refuses an installer changed after electron-builder wrote its feed, and stages nothing", async (t) => {
    const { repo, dist } = await vendorWithDist(t);
    // Same size, other bytes: a tampered or re-signed build the feed does not describe.
    writeFileSync(path.join(dist, "Demo-App-1.1.0-arm64.AppImage"), installerBytes("a swapped installer"));
    const run = await addElectron(repo, dist);
    assert.notEqual(run.code, 0);
    assert.match(run.stdout, /"code": "ELECTRON_CHECKSUM_MISMATCH"/);
    assert.match(run.stderr, /Demo-App-1\.1\.0-arm64\.AppImage is not the file latest-linux-arm64\.yml describes/);
    assert.deepEqual(stagedTargets(repo), []);
  });

  it("refuses a feed that names a file outside the dist folder (path traversal)", async (t) => {
    const { repo, dist } = await vendorWithDist(t);
    const outside = path.join(path.dirname(dist), "secret.AppImage");
    writeFileSync(outside, installerBytes("outside"));
    writeFileSync(
      path.join(dist, "latest-linux.yml"),
      feedText("1.1.0", [{ name: "../secret.AppImage", bytes: installerBytes("outside") }]),
    );
    const run = await addElectron(repo, dist);
    assert.notEqual(run.code, 0);
    assert.match(run.stdout, /"code": "BAD_ELECTRON_FEED"/);
    assert.match(run.stderr, /latest-linux\.yml: files\.0\.url: must be a file name in the dist folder/);
    assert.deepEqual(stagedTargets(repo), []);
  });

  it("refuses a feed whose installer is missing, and a folder without feeds", async (t) => {
    const { repo, dist } = await vendorWithDist(t);
    writeFileSync(
      path.join(dist, "latest-linux.yml"),
      feedText("1.1.0", [{ name: "Demo-App-9.9.9.AppImage", bytes: installerBytes("gone") }]),
    );
    const missing = await addElectron(repo, dist);
    assert.match(missing.stdout, /"code": "ELECTRON_FILE_MISSING"/);
    const empty = await addElectron(repo, tempDir(t));
    assert.match(empty.stdout, /"code": "NO_ELECTRON_FEED"/);
    assert.equal(empty.code, 2);
    assert.deepEqual(stagedTargets(repo), []);
  });

  it("refuses a feed that is not electron-builder's (no sha512)", async (t) => {
    const { repo, dist } = await vendorWithDist(t);
    writeFileSync(path.join(dist, "latest.yml"), "version: 1.1.0\nfiles:\n  - url: Demo App Setup 1.1.0.exe\n");
    const run = await addElectron(repo, dist);
    assert.match(run.stdout, /"code": "BAD_ELECTRON_FEED"/);
    assert.match(run.stderr, /latest\.yml: files\.0\.sha512/);
  });
});

describe("an app updating with @bulwark/electron from add-electron's releases", () => {
  it("checks, downloads the verified AppImage, and hands it to the installer on quitAndInstall", async (t) => {
    const { repo, dist, feeds } = await vendorWithDist(t);
    assert.equal((await addElectron(repo, dist)).code, 0);
    assert.equal((await runCli(["repo", "publish", repo])).code, 0);
    const { updater, app, installed, events, payloads } = await appUpdater(t, repo);

    const result = await updater.checkForUpdates();
    assert.ok(result?.downloadPromise);
    const [file] = await result.downloadPromise;
    const appImage = feeds[2]?.files[0];
    assert.ok(appImage !== undefined && file !== undefined);
    assert.deepEqual(events, ["checking-for-update", "update-available", "download-progress", "update-downloaded"]);
    const info = payloads.get("update-available") as UpdateInfo;
    assert.equal(info.version, "1.1.0");
    assert.equal(info.files[0]?.url, "Demo-App-1.1.0.AppImage");
    assert.equal(info.files[0]?.size, appImage.bytes.length);
    const progress = payloads.get("download-progress") as ProgressInfo;
    assert.equal(progress.percent, 100);
    assert.equal(progress.transferred, appImage.bytes.length);
    const downloaded = payloads.get("update-downloaded") as UpdateDownloadedEvent;
    assert.equal(downloaded.downloadedFile, file);
    assert.deepEqual(readFileSync(file), Buffer.from(appImage.bytes));
    assert.equal(existsSync(installed), false, "nothing is installed before quitAndInstall");

    await updater.quitAndInstall();
    assert.deepEqual(readFileSync(installed), Buffer.from(appImage.bytes));
    assert.deepEqual(app.calls, ["relaunch", "quit"]);
  });

  it("each platform gets its own installer: the Windows one, whose name has spaces", async (t) => {
    const { repo, dist, feeds } = await vendorWithDist(t);
    assert.equal((await addElectron(repo, dist)).code, 0);
    assert.equal((await runCli(["repo", "publish", repo])).code, 0);
    const { updater, payloads } = await appUpdater(t, repo, "win32-x64");
    const [file] = (await (await updater.checkForUpdates())?.downloadPromise) ?? [];
    const exe = feeds[0]?.files[0];
    assert.ok(exe !== undefined && file !== undefined);
    assert.equal((payloads.get("update-available") as UpdateInfo).path, "Demo App Setup 1.1.0.exe");
    assert.deepEqual(readFileSync(file), Buffer.from(exe.bytes));
  });

  it("a server that swaps the installer: an error event, and nothing reaches the installer", async (t) => {
    const { repo, dist } = await vendorWithDist(t);
    assert.equal((await addElectron(repo, dist)).code, 0);
    assert.equal((await runCli(["repo", "publish", repo])).code, 0);
    // The CDN serves other bytes under the release's name (same length: only the hash tells).
    const targets = path.join(repo, "public", "targets", NAME, "1.1.0");
    for (const f of readdirSync(targets).filter((n) => n.endsWith("Demo-App-1.1.0.AppImage"))) {
      writeFileSync(path.join(targets, f), installerBytes("malware"));
    }
    const { updater, app, installed, events, payloads } = await appUpdater(t, repo);

    const result = await updater.checkForUpdates();
    assert.ok(result?.downloadPromise);
    await assert.rejects(result.downloadPromise, { code: "TUF_LENGTH_OR_HASH_MISMATCH" });
    // Progress reaches 100 % before the bytes are checked, as with electron-updater.
    assert.deepEqual(events, ["checking-for-update", "update-available", "download-progress", "error"]);
    assert.equal((payloads.get("error") as { code?: string }).code, "TUF_LENGTH_OR_HASH_MISMATCH");

    await updater.quitAndInstall();
    assert.equal((payloads.get("error") as { code?: string }).code, "ELECTRON_NOTHING_DOWNLOADED");
    assert.equal(existsSync(installed), false);
    assert.deepEqual(app.calls, []);
  });

  it("refuses allowDowngrade, and offers no pre-release unless allowPrerelease", async (t) => {
    const { repo, dist } = await vendorWithDist(t, "1.1.0-beta.1");
    assert.equal((await addElectron(repo, dist)).code, 0);
    assert.equal((await runCli(["repo", "publish", repo])).code, 0);
    const { updater, events, payloads } = await appUpdater(t, repo);
    assert.throws(
      () => {
        updater.allowDowngrade = true;
      },
      { code: "ELECTRON_DOWNGRADE_REFUSED" },
    );
    assert.equal(updater.allowDowngrade, false);

    assert.equal(updater.allowPrerelease, false);
    const none = await updater.checkForUpdates();
    assert.equal(none?.isUpdateAvailable, false);
    assert.deepEqual(events.splice(0), ["checking-for-update", "update-not-available"]);
    // The newest version this app would take is the one it runs: the pre-release is not reported either.
    assert.equal((payloads.get("update-not-available") as UpdateInfo).version, "1.0.0");

    updater.allowPrerelease = true;
    updater.autoDownload = false;
    const found = await updater.checkForUpdates();
    assert.equal(found?.updateInfo.version, "1.1.0-beta.1");
    assert.equal(found?.downloadPromise, null);
    assert.deepEqual(events, ["checking-for-update", "update-available"]);
  });
});

describe("the autoUpdater's channels and misuse", () => {
  it("follows the channel it is set to: latest is stable, beta is beta", async (t) => {
    const { repo, dist } = await vendorWithDist(t);
    const beta = desktopFeeds(PRODUCT, "1.2.0-beta.1", "beta")[2];
    assert.ok(beta !== undefined);
    writeElectronDist(dist, PRODUCT, [beta]);
    assert.equal((await addElectron(repo, dist)).code, 0);
    assert.equal((await runCli(["repo", "publish", repo])).code, 0);
    const { updater } = await appUpdater(t, repo);
    updater.autoDownload = false;

    updater.channel = "latest";
    assert.equal(updater.channel, "stable");
    assert.equal((await updater.checkForUpdates())?.updateInfo.version, "1.1.0");

    updater.channel = "beta";
    updater.allowPrerelease = true;
    assert.equal((await updater.checkForUpdates())?.updateInfo.version, "1.2.0-beta.1");
  });

  it("downloadUpdate before a check is an error; a cancelled download is update-cancelled", async (t) => {
    const { repo, dist } = await vendorWithDist(t);
    assert.equal((await addElectron(repo, dist)).code, 0);
    assert.equal((await runCli(["repo", "publish", repo])).code, 0);
    const { updater, events, installed } = await appUpdater(t, repo);
    updater.autoDownload = false;

    await assert.rejects(updater.downloadUpdate(), { code: "ELECTRON_NOT_CHECKED" });
    assert.deepEqual(events.splice(0), ["error"]);

    await updater.checkForUpdates();
    const token = new CancellationToken();
    token.cancel();
    await assert.rejects(updater.downloadUpdate(token), { code: "ELECTRON_CANCELLED" });
    assert.deepEqual(events, ["checking-for-update", "update-available", "update-cancelled"]);
    assert.equal(existsSync(installed), false);
  });
});

describe("autoInstallOnAppQuit", () => {
  it("installs a verified download when the app quits, then lets it quit", async (t) => {
    const { repo, dist, feeds } = await vendorWithDist(t);
    assert.equal((await addElectron(repo, dist)).code, 0);
    assert.equal((await runCli(["repo", "publish", repo])).code, 0);
    const { updater, app, installed } = await appUpdater(t, repo);
    const result = await updater.checkForUpdatesAndNotify();
    await result?.downloadPromise;
    assert.equal(app.beforeQuit.length, 1);

    // The user quits: the quit waits for the install, then happens.
    let prevented = 0;
    const quit = new Promise<void>((resolve) => {
      app.quit = () => {
        app.calls.push("quit");
        resolve();
      };
    });
    for (const listener of app.beforeQuit) listener({ preventDefault: () => prevented++ });
    await quit;
    assert.equal(prevented, 1);
    assert.deepEqual(readFileSync(installed), Buffer.from(feeds[2]?.files[0]?.bytes ?? []));
    assert.deepEqual(app.calls, ["quit"]);
    // The before-quit of that quit goes through.
    for (const listener of app.beforeQuit) listener({ preventDefault: () => prevented++ });
    assert.equal(prevented, 1);
  });

  it("does nothing on quit when turned off, or before a download", async (t) => {
    const { repo, dist } = await vendorWithDist(t);
    assert.equal((await addElectron(repo, dist)).code, 0);
    assert.equal((await runCli(["repo", "publish", repo])).code, 0);
    const { updater, app, installed } = await appUpdater(t, repo);
    assert.equal(app.beforeQuit.length, 0, "no handler before a download");
    updater.autoInstallOnAppQuit = false;
    await (await updater.checkForUpdates())?.downloadPromise;
    let prevented = 0;
    for (const listener of app.beforeQuit) listener({ preventDefault: () => prevented++ });
    assert.equal(prevented, 0);
    assert.equal(existsSync(installed), false);
  });
});
