/**
 * The child process of the crash-safety test: runs ONE client operation against a served
 * repository and exits, so the test can `kill -9` it at any point and start it again.
 *
 *   node crash-driver.js '<config JSON>' install <version>   update() must install <version>
 *   node crash-driver.js '<config JSON>' rollback            rollbackToPrevious()
 *   node crash-driver.js '<config JSON>' recover             recover(), what the next start does
 *
 * Every client event is written to stdout as one JSON line with `writeSync`, before the
 * client takes its next step, so after a kill the test knows the last step reached. The last
 * line is `{"event":"result",...}`. Exit codes: 0 done, 3 the health check failed and the
 * client rolled back, 4 an unexpected outcome, 1 anything else.
 */
import { writeSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { CLIENT_ERRORS, ClientError, type ClientEvent, DirectoryStrategy, UpdateClient } from "@bulwark/client";
import { BulwarkError } from "@bulwark/tuf";

/** What the test passes as the first argument. */
export interface DriverConfig {
  readonly name: string;
  readonly metadataUrl: string;
  readonly targetsUrl: string;
  /** The repository's 1.root.json, trusted on first use. */
  readonly rootFile: string;
  readonly dataDir: string;
  readonly appDir: string;
  readonly healthCheck: readonly string[];
}

const started = performance.now();

function say(record: Record<string, unknown>): void {
  const t = Math.round((performance.now() - started) * 10) / 10;
  writeSync(1, `${JSON.stringify({ ...record, t })}\n`);
}

/** The endpoint's client, as configured by the test (which uses it in process, too). */
export async function driverClient(config: DriverConfig, log?: (e: ClientEvent) => void): Promise<UpdateClient> {
  return new UpdateClient({
    name: config.name,
    metadataUrl: config.metadataUrl,
    targetsUrl: config.targetsUrl,
    trustedRoot: await readFile(config.rootFile),
    dataDir: config.dataDir,
    install: new DirectoryStrategy(config.appDir),
    healthCheck: { command: config.healthCheck, timeoutMs: 10_000 },
    ...(log ? { log } : {}),
  });
}

async function run(argv: readonly string[]): Promise<number> {
  const [configText, mode, version] = argv;
  if (configText === undefined || mode === undefined) throw new Error("usage: crash-driver CONFIG MODE [VERSION]");
  const client = await driverClient(JSON.parse(configText) as DriverConfig, say);
  let resumeReported = false;
  client.on("download-progress", (p: { received: number; total: number; resumedFrom: number }) => {
    // Only the first progress record: it says whether the download resumed.
    if (resumeReported) return;
    resumeReported = true;
    say({ event: "download-progress", ...p });
  });
  say({ event: "ready", mode });
  switch (mode) {
    case "recover": {
      const state = await client.recover();
      say({ event: "result", current: state.current?.version ?? null });
      return 0;
    }
    case "rollback": {
      const to = await client.rollbackToPrevious("rolled back by hand");
      say({ event: "result", current: to?.version ?? null });
      return 0;
    }
    case "install": {
      try {
        const outcome = await client.update();
        say({ event: "result", ...outcome });
        return outcome.action === "installed" && outcome.to === version ? 0 : 4;
      } catch (error) {
        if (error instanceof ClientError && error.code === CLIENT_ERRORS.HEALTH_CHECK_FAILED) {
          say({ event: "result", action: "health-check-failed", current: (await client.currentVersion()) ?? null });
          return 3;
        }
        throw error;
      }
    }
    default:
      throw new Error(`unknown mode ${mode}`);
  }
}

// Run only as a program (the test imports driverClient). Exits explicitly: keep-alive
// sockets must not hold the process open.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      const code = error instanceof BulwarkError ? `${error.code}: ` : "";
      process.stderr.write(`crash-driver: ${code}${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
