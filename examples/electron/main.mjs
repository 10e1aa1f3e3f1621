/**
 * A sketch of an Electron main process (Electron 28+, ESM) that updates itself with
 * Bulwark through ./updater.mjs. Not run in CI (it needs Electron); the update flow it
 * wires is tested with plain Node in packages/cli/test/electron-example.test.ts.
 *
 * Two layouts are shown:
 *  - a small launcher that runs `<install root>/current/<app>` and sets DEMO_APP_INSTALL_ROOT:
 *    the `directory` strategy (versions side by side, an atomic `current` link);
 *  - an AppImage on Linux: the `command` strategy hands the verified AppImage to a script
 *    that moves it over the old one. (A .dmg or an .exe installer works the same way.)
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { app, BrowserWindow, dialog, ipcMain } from "electron";
import { createUpdater, selfTestHealthCheck } from "./updater.mjs";

const UPDATE_SERVER = "https://updates.example.com/demo-app/";
const here = path.dirname(fileURLToPath(import.meta.url));

// The health check of a freshly installed version runs it with --self-test: start, check
// what must work, exit 0. Do it before the single-instance lock (the old version holds it)
// and without touching the user's data in ways the running version would notice.
if (process.argv.includes("--self-test")) {
  app
    .whenReady()
    .then(async () => {
      const win = new BrowserWindow({ show: false });
      await win.loadFile(path.join(here, "index.html"));
      app.exit(0);
    })
    .catch(() => app.exit(1));
} else if (app.requestSingleInstanceLock()) {
  startApp();
} else {
  app.quit();
}

/** Where updates go on this installation, or undefined when it is not updatable (a dev run). */
function installConfig() {
  const root = process.env.DEMO_APP_INSTALL_ROOT; // set by the launcher
  if (root !== undefined) {
    const launcher = path.join(root, process.platform === "win32" ? "demo-app.exe" : "demo-app");
    return {
      install: { strategy: "directory", root },
      // `current` already points at the new version while its health check runs.
      healthCheck: selfTestHealthCheck(path.join(root, "current", path.basename(process.execPath)), {
        timeoutMs: 20_000,
      }),
      relaunchOptions: { execPath: launcher, args: [] },
    };
  }
  const appImage = process.env.APPIMAGE; // set by the AppImage runtime
  if (process.platform === "linux" && appImage !== undefined) {
    return {
      // Called as: install-appimage.sh <installed AppImage> <verified new AppImage>
      install: { strategy: "command", command: [path.join(process.resourcesPath, "install-appimage.sh"), appImage] },
      healthCheck: selfTestHealthCheck(appImage, { timeoutMs: 20_000 }),
      relaunchOptions: { execPath: appImage, args: [] },
    };
  }
  return undefined;
}

function createWindow() {
  const win = new BrowserWindow({
    width: 900,
    height: 600,
    webPreferences: { preload: path.join(here, "preload.cjs"), contextIsolation: true, sandbox: true },
  });
  win.loadFile(path.join(here, "index.html"));
  return win;
}

function startApp() {
  app.whenReady().then(() => {
    createWindow();
    const config = app.isPackaged ? installConfig() : undefined;
    if (config === undefined) return;

    const updater = createUpdater({
      app,
      name: "demo-app",
      serverUrl: UPDATE_SERVER,
      // The vendor's root of trust travels inside the app (electron-builder extraResources),
      // never over the network.
      trustedRoot: readFileSync(path.join(process.resourcesPath, "bulwark-root.json")),
      ...config,
      ipc: {
        send: (channel, payload) => {
          for (const win of BrowserWindow.getAllWindows()) win.webContents.send(channel, payload);
        },
      },
      dialog: {
        showMessageBox: (options) => {
          const parent = BrowserWindow.getFocusedWindow();
          return parent ? dialog.showMessageBox(parent, options) : dialog.showMessageBox(options);
        },
      },
    });
    updater.start();
    // The renderer may ask for a check; it cannot choose what is installed or from where.
    ipcMain.handle("updates:check", () => updater.runOnce());
    app.on("before-quit", () => updater.stop());
  });

  app.on("second-instance", () => BrowserWindow.getAllWindows()[0]?.focus());
  app.on("window-all-closed", () => {
    if (process.platform !== "darwin") app.quit();
  });
  app.on("activate", () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
}
