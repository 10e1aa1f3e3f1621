/**
 * @bulwark/electron side by side with the real electron-updater (6.8.12), under plain Node,
 * on the same electron-builder output: the same events in the same order for no update, an
 * update, a server that cannot be reached, and an installer that is not the published one.
 *
 * electron-updater runs for real: its `AppImageUpdater` with an `AppAdapter` in place of
 * Electron's `app` (its constructor takes one) and, for HTTP, a subclass of
 * builder-util-runtime's own `HttpExecutor` on `node:http` (its default one, `electron.net`,
 * needs Electron). Its generic provider reads `latest-linux.yml` from the dist folder served on
 * 127.0.0.1; Bulwark reads the releases `addElectronReleases` staged from that folder and
 * `publish` signed, served on 127.0.0.1 too. Only Electron's `Notification` and the
 * installer launch (`quitAndInstall`) are not exercised on electron-updater's side: they need
 * Electron itself.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import http, { type ClientRequest, type IncomingMessage, type RequestOptions } from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { CommandStrategy } from "@bulwark/client";
import { addElectronReleases, createStaticServer, initRepository, publish } from "@bulwark/publisher";
import { desktopFeeds, installerBytes, type TestLike, tempDir, writeElectronDist } from "@bulwark/testkit";
import type { DownloadOptions } from "builder-util-runtime";
import { createAutoUpdater, formatDownloadNotification } from "../src/index.js";

const require = createRequire(import.meta.url);
const { AppImageUpdater, AppUpdater } = require("electron-updater") as typeof import("electron-updater");
const runtime = require("builder-util-runtime") as typeof import("builder-util-runtime");
/** electron-updater's own formatting of the download notification (a private static of AppUpdater). */
const theirNotification = (
  AppUpdater as unknown as {
    formatDownloadNotification(version: string, appName: string, n: unknown): { title: string; body: string };
  }
).formatDownloadNotification;

const PRODUCT = "Demo App";
const EVENTS = [
  "checking-for-update",
  "update-available",
  "update-not-available",
  "download-progress",
  "update-downloaded",
  "error",
] as const;
const options = { passphrase: async () => "correct horse battery staple" };

/** electron-updater's HTTP on node:http: builder-util-runtime's HttpExecutor, as Electron's one minus `electron.net`. */
class NodeHttpExecutor extends runtime.HttpExecutor<ClientRequest> {
  createRequest(requestOptions: RequestOptions, callback: (response: IncomingMessage) => void): ClientRequest {
    return http.request(requestOptions, callback);
  }

  download(url: URL, destination: string, downloadOptions: DownloadOptions): Promise<string> {
    return downloadOptions.cancellationToken.createPromise((resolve, reject, onCancel) => {
      const requestOptions: RequestOptions = { headers: downloadOptions.headers ?? undefined };
      runtime.configureRequestUrl(url, requestOptions);
      runtime.configureRequestOptions(requestOptions);
      this.doDownload(
        requestOptions,
        {
          destination,
          options: downloadOptions,
          onCancel,
          callback: (error) => (error == null ? resolve(destination) : reject(error)),
          responseHandler: null,
        },
        0,
      );
    });
  }
}

interface Recorder {
  readonly events: string[];
  readonly payloads: Map<string, unknown[]>;
}

function record(emitter: NodeJS.EventEmitter): Recorder {
  const events: string[] = [];
  const payloads = new Map<string, unknown[]>();
  for (const name of EVENTS) {
    emitter.on(name, (...args: unknown[]) => {
      events.push(name);
      payloads.set(name, args);
    });
  }
  return { events, payloads };
}

/** The sequence with runs of `download-progress` made one (how many depends on timing in both). */
function sequence(events: readonly string[]): string[] {
  return events.filter((e, i) => e !== "download-progress" || events[i - 1] !== "download-progress");
}

/** electron-updater's AppImageUpdater for an app at `version`, following the dist folder at `feedUrl`. */
function electronUpdater(t: TestLike, version: string, feedUrl: string, isPackaged = true) {
  const home = tempDir(t);
  const config = path.join(home, "app-update.yml");
  writeFileSync(config, `provider: generic\nurl: ${feedUrl}\nupdaterCacheDirName: demo-app-updater\n`);
  const app = {
    version,
    name: PRODUCT,
    isPackaged,
    appUpdateConfigPath: config,
    userDataPath: path.join(home, "userData"),
    baseCachePath: path.join(home, "cache"),
    whenReady: async () => undefined,
    relaunch: () => undefined,
    quit: () => undefined,
    onQuit: () => undefined,
  };
  const updater = new AppImageUpdater(null, app);
  Object.assign(updater, { httpExecutor: new NodeHttpExecutor() });
  updater.logger = null;
  updater.disableDifferentialDownload = true;
  updater.autoInstallOnAppQuit = false;
  return { updater, recorder: record(updater) };
}

/** @bulwark/electron for an app at `version`, following the repository served at `serverUrl`. */
function bulwarkUpdater(
  t: TestLike,
  version: string,
  serverUrl: string,
  root: Uint8Array,
  notified: Array<{ title: string; body: string }> = [],
  isPackaged = true,
) {
  const home = tempDir(t);
  const updater = createAutoUpdater({
    app: {
      getVersion: () => version,
      getName: () => PRODUCT,
      getPath: () => path.join(home, "userData"),
      quit: () => undefined,
      relaunch: () => undefined,
      isPackaged,
    },
    notify: (n) => notified.push(n),
    serverUrl,
    trustedRoot: root,
    platform: "linux-x64",
    install: new CommandStrategy([process.execPath, "-e", ""], home),
  });
  updater.logger = null;
  return { updater, recorder: record(updater) };
}

interface Side {
  readonly dist: string;
  readonly feedUrl: string;
  readonly repo: string;
  readonly serverUrl: string;
  readonly root: Uint8Array;
}

/** The same electron-builder output, served as is (electron-updater) and published with Bulwark. */
async function bothSides(t: TestLike): Promise<Side> {
  const work = tempDir(t);
  const dist = path.join(work, "dist");
  writeElectronDist(dist, PRODUCT, desktopFeeds(PRODUCT, "1.1.0"));
  const repo = path.join(work, "repo");
  await initRepository(repo, { ...options, singleKey: true });
  await addElectronReleases(repo, { ...options, dist });
  await publish(repo, options);
  const feedServer = await createStaticServer(dist);
  const repoServer = await createStaticServer(path.join(repo, "public"));
  t.after(async () => {
    await feedServer.close();
    await repoServer.close();
  });
  return {
    dist,
    feedUrl: feedServer.url,
    repo,
    serverUrl: repoServer.url,
    root: readFileSync(path.join(repo, "public", "metadata", "1.root.json")),
  };
}

// AppImageUpdater is active only inside an AppImage; it reads the running one from APPIMAGE.
const appImageBefore = process.env.APPIMAGE;
before(() => {
  process.env.APPIMAGE = "/opt/Demo-App/Demo-App.AppImage";
});
after(() => {
  if (appImageBefore === undefined) delete process.env.APPIMAGE;
  else process.env.APPIMAGE = appImageBefore;
});

describe("@bulwark/electron and electron-updater, side by side", () => {
  it("no update: checking-for-update, update-not-available with the latest version", async (t) => {
    const side = await bothSides(t);
    const theirs = electronUpdater(t, "1.1.0", side.feedUrl);
    const ours = bulwarkUpdater(t, "1.1.0", side.serverUrl, side.root);

    const theirResult = await theirs.updater.checkForUpdates();
    const ourResult = await ours.updater.checkForUpdates();

    assert.deepEqual(theirs.recorder.events, ["checking-for-update", "update-not-available"]);
    assert.deepEqual(ours.recorder.events, theirs.recorder.events);
    assert.equal(theirResult?.isUpdateAvailable, false);
    assert.equal(ourResult?.isUpdateAvailable, false);
    const [theirInfo] = theirs.recorder.payloads.get("update-not-available") as [{ version: string }];
    const [ourInfo] = ours.recorder.payloads.get("update-not-available") as [{ version: string }];
    assert.equal(ourInfo.version, theirInfo.version);
  });

  it("an update: checking-for-update, update-available, download-progress, update-downloaded with the same file", async (t) => {
    const side = await bothSides(t);
    const theirs = electronUpdater(t, "1.0.0", side.feedUrl);
    const ours = bulwarkUpdater(t, "1.0.0", side.serverUrl, side.root);

    const theirResult = await theirs.updater.checkForUpdates();
    const theirFiles = await theirResult?.downloadPromise;
    const ourResult = await ours.updater.checkForUpdates();
    const ourFiles = await ourResult?.downloadPromise;

    const expected = ["checking-for-update", "update-available", "download-progress", "update-downloaded"];
    assert.deepEqual(sequence(theirs.recorder.events), expected);
    assert.deepEqual(sequence(ours.recorder.events), expected);

    const [theirInfo] = theirs.recorder.payloads.get("update-available") as [Record<string, unknown>];
    const [ourInfo] = ours.recorder.payloads.get("update-available") as [Record<string, unknown>];
    assert.equal(ourInfo.version, theirInfo.version);
    const file = (info: Record<string, unknown>) => (info.files as Array<{ url: string; size: number }>)[0];
    assert.equal(file(ourInfo)?.url, file(theirInfo)?.url);
    assert.equal(file(ourInfo)?.size, file(theirInfo)?.size);
    assert.equal(ourInfo.path, theirInfo.path);

    const [theirProgress] = theirs.recorder.payloads.get("download-progress") as [Record<string, number>];
    const [ourProgress] = ours.recorder.payloads.get("download-progress") as [Record<string, number>];
    assert.deepEqual(Object.keys(ourProgress).sort(), Object.keys(theirProgress).sort());
    assert.equal(ourProgress.percent, theirProgress.percent);
    assert.equal(ourProgress.total, theirProgress.total);
    assert.equal(ourProgress.transferred, theirProgress.transferred);

    const [theirDownloaded] = theirs.recorder.payloads.get("update-downloaded") as [{ downloadedFile: string }];
    const [ourDownloaded] = ours.recorder.payloads.get("update-downloaded") as [{ downloadedFile: string }];
    assert.deepEqual(readFileSync(ourDownloaded.downloadedFile), readFileSync(theirDownloaded.downloadedFile));
    assert.deepEqual(ourFiles, [ourDownloaded.downloadedFile]);
    assert.deepEqual(theirFiles, [theirDownloaded.downloadedFile]);
  });

  it("a server that cannot be reached: checking-for-update, error, and the check rejects", async (t) => {
    const side = await bothSides(t);
    const closed = await createStaticServer(side.dist);
    const deadUrl = closed.url;
    await closed.close();
    const theirs = electronUpdater(t, "1.0.0", deadUrl);
    const ours = bulwarkUpdater(t, "1.0.0", deadUrl, side.root);

    await assert.rejects(theirs.updater.checkForUpdates());
    await assert.rejects(ours.updater.checkForUpdates(), { code: "DOWNLOAD_NETWORK" });

    assert.deepEqual(theirs.recorder.events, ["checking-for-update", "error"]);
    assert.deepEqual(ours.recorder.events, theirs.recorder.events);
    const [ourError, ourMessage] = ours.recorder.payloads.get("error") as [Error, string];
    assert.ok(ourError instanceof Error);
    assert.match(ourMessage, /^Cannot check for updates: /);
  });

  it("an installer that is not the published one: update-available, then error, nothing downloaded", async (t) => {
    const side = await bothSides(t);
    // The same other bytes on both servers, at the installer's name and length.
    const swapped = installerBytes("not the release");
    writeFileSync(path.join(side.dist, "Demo-App-1.1.0.AppImage"), swapped);
    const targets = path.join(side.repo, "public", "targets", "demo-app", "1.1.0");
    for (const f of readdirSync(targets).filter((n) => n.endsWith("Demo-App-1.1.0.AppImage"))) {
      writeFileSync(path.join(targets, f), swapped);
    }
    const theirs = electronUpdater(t, "1.0.0", side.feedUrl);
    const ours = bulwarkUpdater(t, "1.0.0", side.serverUrl, side.root);

    const theirResult = await theirs.updater.checkForUpdates();
    await assert.rejects(theirResult?.downloadPromise ?? Promise.resolve());
    const ourResult = await ours.updater.checkForUpdates();
    await assert.rejects(ourResult?.downloadPromise ?? Promise.resolve(), { code: "TUF_LENGTH_OR_HASH_MISMATCH" });

    assert.deepEqual(sequence(theirs.recorder.events), [
      "checking-for-update",
      "update-available",
      "download-progress",
      "error",
    ]);
    assert.deepEqual(sequence(ours.recorder.events), sequence(theirs.recorder.events));
  });
});

describe("@bulwark/electron keeps electron-updater's conventions", () => {
  it("formats the download notification as electron-updater does, and shows it once the download is verified", async (t) => {
    const custom = { title: "{appName} {version}", body: "Restart {appName} to get {version}" };
    assert.deepEqual(formatDownloadNotification("1.1.0", PRODUCT), theirNotification("1.1.0", PRODUCT, null));
    assert.deepEqual(formatDownloadNotification("1.1.0", PRODUCT, custom), theirNotification("1.1.0", PRODUCT, custom));

    const side = await bothSides(t);
    const notified: Array<{ title: string; body: string }> = [];
    const ours = bulwarkUpdater(t, "1.0.0", side.serverUrl, side.root, notified);
    const result = await ours.updater.checkForUpdatesAndNotify(custom);
    await result?.downloadPromise;
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(notified, [{ title: "Demo App 1.1.0", body: "Restart Demo App to get 1.1.0" }]);
  });

  it("a development run (app not packaged): both skip the check and answer null, with no event", async (t) => {
    const side = await bothSides(t);
    const theirs = electronUpdater(t, "1.0.0", side.feedUrl, false);
    const ours = bulwarkUpdater(t, "1.0.0", side.serverUrl, side.root, [], false);
    assert.equal(await theirs.updater.checkForUpdates(), null);
    assert.equal(await ours.updater.checkForUpdates(), null);
    assert.deepEqual(theirs.recorder.events, []);
    assert.deepEqual(ours.recorder.events, []);
  });
});
