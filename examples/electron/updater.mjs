/**
 * The update flow of an Electron main process, on @bulwark/client: check on startup and
 * every few hours (with jitter), download in the background with progress sent to the
 * renderer, ask the user, install (health check, automatic rollback), relaunch; and obey the
 * vendor's kill switch.
 *
 * Electron's APIs are passed in (`app`, `ipc`, `dialog`) rather than imported, so this file
 * runs under plain Node with fakes (see packages/cli/test/electron-example.test.ts) and the
 * main process stays in charge of windows. Nothing here trusts the update server: every
 * decision comes from metadata signed by the vendor's keys, checked by the client against
 * the root.json shipped with the app.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { CLIENT_ERRORS, CommandStrategy, DirectoryStrategy, UpdateClient } from "@bulwark/client";

/** Renderer channel for download progress: `{ version, received, total, percent, resumedFrom }`. */
export const PROGRESS_CHANNEL = "updates:progress";
/** Renderer channel for the updater's state: `{ state, version?, message? }`. */
export const STATUS_CHANNEL = "updates:status";
/** Default time between checks. */
export const CHECK_INTERVAL_MS = 4 * 60 * 60 * 1000;
/** Default spread of that time (± 25 %), so a fleet does not check in lockstep. */
export const CHECK_JITTER = 0.25;
/** Default delay of the first check after start, to keep startup fast. */
export const STARTUP_DELAY_MS = 30_000;

const INSTALL_NOW = "Install now";
const LATER = "Later";
const RESTART_NOW = "Restart now";

/** The delay before the next check: `intervalMs` ± `jitter` (a fraction), drawn with `random`. */
export function nextDelay(intervalMs, jitter, random = Math.random) {
  return Math.round(intervalMs * (1 - jitter + 2 * jitter * random()));
}

/**
 * A health check meaning "the new version starts and reports healthy within `timeoutMs`":
 * after the switch the client runs `executable --self-test`, which must exit 0 in time, or
 * it rolls back. A hung self-test is killed with its process group (Electron starts
 * helper processes). Written as a callback check, so it works with both strategies (a
 * `command` health check runs in the version's folder, which the command strategy has not).
 */
export function selfTestHealthCheck(executable, { args = ["--self-test"], timeoutMs = 30_000 } = {}) {
  const check = () =>
    new Promise((resolve) => {
      const child = spawn(executable, args, { stdio: "ignore", detached: process.platform !== "win32" });
      const timer = setTimeout(() => {
        killTree(child);
        resolve(false);
      }, timeoutMs);
      child.on("error", () => {
        clearTimeout(timer);
        resolve(false);
      });
      child.on("exit", (code) => {
        clearTimeout(timer);
        resolve(code === 0);
      });
    });
  // The client's own limit is a backstop; ours fires first and kills the process group.
  return { check, timeoutMs: timeoutMs + 5_000 };
}

function killTree(child) {
  if (child.pid === undefined) return;
  if (process.platform === "win32") {
    spawn("taskkill", ["/pid", String(child.pid), "/T", "/F"], { stdio: "ignore" }).on("error", () => {});
    return;
  }
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    child.kill("SIGKILL");
  }
}

function strategyOf(install, dataDir) {
  if (install === undefined) throw new Error("createUpdater: `install` is required");
  if (typeof install.activate === "function") return install; // an InstallStrategy already
  if (install.strategy === "directory") return new DirectoryStrategy(install.root);
  if (install.strategy === "command") {
    // Its state file goes in dataDir, which the client creates (CommandStrategy does not create folders).
    return new CommandStrategy(install.command, dataDir, install.timeoutMs);
  }
  throw new Error(`createUpdater: unknown install strategy ${JSON.stringify(install.strategy)}`);
}

/**
 * Wires an {@link UpdateClient} to an Electron main process.
 *
 * @param {object} options
 * @param {{ getPath(name: string): string; getVersion(): string; getName?(): string;
 *   relaunch(options?: object): void; quit(): void }} options.app Electron's `app`.
 * @param {{ send(channel: string, payload: unknown): void }} options.ipc sends to the
 *   renderer(s), e.g. `webContents.send` of every window.
 * @param {{ showMessageBox(options: object): Promise<{ response: number }> }} options.dialog
 *   Electron's `dialog`, bound to the parent window if there is one.
 * @param {string} options.name the product name releases are published under.
 * @param {string} options.serverUrl base URL of the update server (`metadata/`, `targets/`).
 * @param {Uint8Array} options.trustedRoot the vendor's root.json, shipped with the app.
 * @param {object} options.install an InstallStrategy, `{ strategy: "directory", root }` or
 *   `{ strategy: "command", command, timeoutMs? }`.
 */
export function createUpdater({
  app,
  ipc,
  dialog,
  name,
  serverUrl,
  trustedRoot,
  install,
  channel = "stable",
  platform = `${process.platform}-${process.arch}`,
  healthCheck,
  relaunchOptions,
  intervalMs = CHECK_INTERVAL_MS,
  jitter = CHECK_JITTER,
  startupDelayMs = STARTUP_DELAY_MS,
  log = (event) => console.log(JSON.stringify(event)),
  random = Math.random,
  timers = { setTimeout, clearTimeout },
  clientOptions = {},
}) {
  const base = serverUrl.endsWith("/") ? serverUrl : `${serverUrl}/`;
  const dataDir = path.join(app.getPath("userData"), "updates");
  const productName = app.getName?.() ?? name;
  const strategy = strategyOf(install, dataDir);
  const client = new UpdateClient({
    ...clientOptions,
    name,
    channel,
    platform,
    currentVersion: app.getVersion(),
    metadataUrl: `${base}metadata/`,
    targetsUrl: `${base}targets/`,
    trustedRoot,
    dataDir,
    install: strategy,
    ...(healthCheck === undefined ? {} : { healthCheck }),
    log,
  });

  let running; // the cycle in progress, if any
  let recovering = Promise.resolve();
  let timer;
  let stopped = true;
  let abort;

  const note = (event, message, extra = {}) => log({ event, message, ...extra });
  const status = (state, extra = {}) => ipc.send(STATUS_CHANNEL, { state, ...extra });

  const ask = async (options) => {
    const { response } = await dialog.showMessageBox({ type: "info", defaultId: 0, cancelId: 1, ...options });
    return options.buttons[response];
  };

  const relaunch = () => {
    note("relaunching", `relaunching ${productName}`);
    if (relaunchOptions === undefined) app.relaunch();
    else app.relaunch(relaunchOptions);
    app.quit();
  };

  /** Progress for the renderer, at most once per whole percent (IPC is not free). */
  const progressSender = (version) => {
    let lastPercent = -1;
    return ({ received, total, resumedFrom }) => {
      const percent = total === 0 ? 100 : Math.floor((received / total) * 100);
      if (percent === lastPercent && received !== total) return;
      lastPercent = percent;
      ipc.send(PROGRESS_CHANNEL, { version, received, total, percent, resumedFrom });
    };
  };

  /** The vendor revoked the running version: roll back (no question), then offer a restart. */
  const obeyKillSwitch = async (revoked) => {
    const reason = revoked.revoked?.reason;
    note("kill-switch", `${revoked.version} was revoked by the vendor${reason ? `: ${reason}` : ""}`, {
      version: revoked.version,
    });
    status("revoked", { version: revoked.version, ...(reason ? { message: reason } : {}) });
    // update() re-reads the signed metadata and, for a revoked running version, only rolls
    // back (to the last good local version, else the newest earlier good release).
    const outcome = await client.update();
    if (outcome.action !== "rolled-back") return { action: outcome.action };
    status("rolled-back", { version: outcome.from, to: outcome.to, message: outcome.reason });
    const answer = await ask({
      type: "warning",
      buttons: [RESTART_NOW, LATER],
      title: "Update withdrawn",
      message: `${productName} ${outcome.from} was withdrawn by its publisher.`,
      detail: `${reason ? `${reason}\n\n` : ""}${productName} ${outcome.to ?? ""} has been restored and starts at the next restart.`,
    });
    if (answer === RESTART_NOW) relaunch();
    return { action: "rolled-back", from: outcome.from, to: outcome.to, reason: outcome.reason };
  };

  const cycle = async () => {
    await recovering;
    status("checking");
    await client.recover();
    const current = await client.currentVersion();
    if (current !== undefined) {
      const runningRelease = (await client.releases()).find((r) => r.version === current);
      if (runningRelease?.revoked !== undefined) return obeyKillSwitch(runningRelease);
    }

    const release = await client.check();
    if (release === undefined) {
      status("up-to-date", current === undefined ? {} : { version: current });
      return { action: "none", ...(current === undefined ? {} : { current }) };
    }
    const version = release.version;
    status("downloading", { version });
    await client.download(release, { onProgress: progressSender(version), signal: abort.signal });
    status("downloaded", { version });

    const answer = await ask({
      buttons: [INSTALL_NOW, LATER],
      title: "Update ready",
      message: `${productName} ${version} is ready to install.`,
      detail: `You are running ${current ?? "an unknown version"}. ${productName} restarts after the update.`,
    });
    if (answer !== INSTALL_NOW) {
      note("update-deferred", `the user chose to install ${version} later`, { version });
      status("deferred", { version });
      return { action: "deferred", version };
    }

    status("installing", { version });
    try {
      await client.install(release);
    } catch (error) {
      if (error?.code !== CLIENT_ERRORS.HEALTH_CHECK_FAILED) throw error;
      // The client has already switched back to the previous version and remembers this
      // one as failed: it is not offered again.
      status("rolled-back", { version, to: await client.currentVersion(), message: error.message });
      return { action: "rolled-back", version, reason: error.message };
    }
    status("installed", { version });
    relaunch();
    return { action: "installed", ...(current === undefined ? {} : { from: current }), to: version };
  };

  /** One check → download → ask → install cycle. Never throws; concurrent calls share one cycle. */
  const runOnce = () => {
    running ??= (async () => {
      abort = new AbortController();
      try {
        return await cycle();
      } catch (error) {
        const code = typeof error?.code === "string" ? error.code : undefined;
        note("update-error", error?.message ?? String(error), code === undefined ? {} : { code });
        status("error", { message: error?.message ?? String(error) });
        return { action: "failed", error: error?.message ?? String(error), ...(code === undefined ? {} : { code }) };
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  const schedule = (delay) => {
    if (stopped) return;
    timer = timers.setTimeout(async () => {
      await runOnce();
      schedule(nextDelay(intervalMs, jitter, random));
    }, delay);
    timer?.unref?.();
  };

  return {
    /** The underlying client (for `currentVersion()`, `releases()`, tests). */
    client,
    runOnce,
    /** Finishes or undoes an install a crash interrupted; then the first check after `startupDelayMs`. */
    start() {
      if (!stopped) return;
      stopped = false;
      recovering = client.recover().then(
        () => undefined,
        (error) => note("update-error", `recovery failed: ${error.message}`),
      );
      schedule(startupDelayMs);
    },
    /** Stops the periodic checks and aborts a download in progress (call on `before-quit`). */
    stop() {
      stopped = true;
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = undefined;
      abort?.abort();
    },
  };
}
