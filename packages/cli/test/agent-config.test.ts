/**
 * The agent's configuration file and its safety settings, through `bulwark agent --once`
 * against a vendor repository over loopback HTTP: a misspelt key or a wrong value is a
 * usage error naming it; `requirePolicies` and `minRootVersion` refuse a root without what
 * the endpoint requires (withheld root update); `limits` bound unpacking; and an endpoint
 * left running a revoked version on stale metadata says so loudly, with its own exit code.
 */
import assert from "node:assert/strict";
import { cpSync, existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { listen, type TestLike } from "@bulwark/testkit";
import { EXIT } from "../src/exit-codes.js";
import { agentConfig, deadUrl, once_, status, statusRun, vendorRepository } from "./agent-helpers.js";
import { Vendor } from "./e2e-helpers.js";
import { runCli } from "./helpers.js";

async function nowhere() {
  const url = await deadUrl();
  return { metadataUrl: `${url}metadata/`, targetsUrl: `${url}targets/`, root: Buffer.from("{}") };
}

const installed = (appDir: string) =>
  existsSync(path.join(appDir, "current")) ? readFileSync(path.join(appDir, "current", "VERSION"), "utf8") : null;

describe("the agent's configuration file", () => {
  it("refuses a misspelt key, naming the known one, and a wrong value, naming its field (exit 2)", async (t) => {
    const setup = agentConfig(t, await nowhere(), {
      $schema: "agent.schema.json",
      healthCheck: undefined,
      healthcheck: { command: ["true"] },
      poll: { interval: 3600 },
      limits: { maxUnpackedSize: "lots", maxFiels: 10 },
      requirePolicies: { releasePolicy: "yes" },
    });
    for (const argv of [
      ["agent", "--config", setup.config, "--once"],
      ["agent", "status", "--config", setup.config],
    ]) {
      const run = await runCli(argv);
      assert.equal(run.code, EXIT.USAGE, run.stderr);
      assert.match(run.stderr, /\[BAD_AGENT_CONFIG\]/);
      for (const problem of [
        "`healthcheck`: unknown key; did you mean `healthCheck`?",
        "`limits.maxFiels`: unknown key; did you mean `maxFiles`?",
        '`limits.maxUnpackedSize`: must be a size such as "2GiB"',
        "`poll.interval`: Invalid input: expected string, received number",
        "`requirePolicies.releasePolicy`: Invalid input: expected boolean",
      ])
        assert.ok(run.stderr.includes(problem), `no ${problem} in ${run.stderr}`);
      assert.match(run.stderr, /hint: .*agent\.schema\.json/);
    }
  });

  it("refuses limits under the command strategy, which unpacks nothing", async (t) => {
    const setup = agentConfig(t, await nowhere(), {
      install: { strategy: "command", command: ["install-app"] },
      limits: { maxFiles: 10 },
    });
    const run = await runCli(["agent", "--config", setup.config, "--once"]);
    assert.equal(run.code, EXIT.USAGE);
    assert.match(run.stderr, /`limits`: only the "directory" install strategy unpacks archives/);
  });
});

describe("the agent's root requirements (withheld root update)", () => {
  it("installs nothing under a root without the policies or version the endpoint requires", async (t) => {
    // The vendor's root has neither a release policy nor a log policy, and is version 1:
    // what an endpoint sees when the newer root that adds them is withheld.
    const vendor = await Vendor.create(t);
    await vendor.release("1.0.0");
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ requirePolicies: { releasePolicy: true } }, /it has no release policy \(verified builds\) for "app"/],
      [{ requirePolicies: { logPolicy: true } }, /it has no transparency-log policy/],
      [{ minRootVersion: 2 }, /it is version 1, below 2/],
    ];
    for (const [settings, why] of cases) {
      const setup = agentConfig(t, vendorRepository(vendor), settings);
      const run = await once_(setup);
      assert.equal(run.code, EXIT.FAILURE, JSON.stringify(settings));
      const s = await status(setup);
      assert.equal(s.lastError?.code, "CLIENT_OUTDATED_ROOT", JSON.stringify(settings));
      assert.match(s.lastError?.message ?? "", why);
      assert.equal(s.current, null);
      assert.equal(installed(setup.appDir), null, "nothing installed");
    }
    // Requirements the root meets change nothing.
    const met = agentConfig(t, vendorRepository(vendor), {
      minRootVersion: 1,
      requirePolicies: { releasePolicy: false, logPolicy: false },
    });
    assert.equal((await once_(met)).code, EXIT.OK);
    assert.equal(installed(met.appDir), "1.0.0\n");
  });
});

describe("the agent's archive limits", () => {
  it("stops unpacking a release at the configured limits, and installs within them", async (t) => {
    // The release: VERSION, bin/, bin/app, bin/selftest — four entries, a few hundred bytes.
    const vendor = await Vendor.create(t);
    await vendor.release("1.0.0");
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ maxFiles: 2 }, /over maxEntries \(2 entries\)/],
      [{ maxUnpackedSize: "1KiB" }, /maxTotalBytes \(1024\)/],
      [{ maxFileSize: 10 }, /over maxEntryBytes \(10\)/],
    ];
    for (const [limits, why] of cases) {
      const setup = agentConfig(t, vendorRepository(vendor), { limits });
      const run = await once_(setup);
      assert.equal(run.code, EXIT.FAILURE, JSON.stringify(limits));
      const s = await status(setup);
      assert.equal(s.lastError?.code, "ARCHIVE_TOO_LARGE", JSON.stringify(limits));
      assert.match(s.lastError?.message ?? "", why);
      assert.equal(installed(setup.appDir), null, "nothing installed");
    }
    const roomy = agentConfig(t, vendorRepository(vendor), {
      limits: {
        maxUnpackedSize: "2 MiB",
        maxFileSize: "1MB",
        maxFiles: 4,
        maxPathLength: 64,
        maxCompressionRatio: 100,
      },
    });
    assert.equal((await once_(roomy)).code, EXIT.OK);
    assert.equal(installed(roomy.appDir), "1.0.0\n");
  });
});

describe("running a revoked version on stale metadata", () => {
  it("says so loudly, with exit 11, when a CDN keeps serving the metadata from before the revocation", async (t) => {
    const vendor = await Vendor.create(t);
    await vendor.release("1.1.0");
    const setup = agentConfig(t, vendorRepository(vendor));
    assert.equal((await once_(setup)).code, EXIT.OK);
    assert.equal(installed(setup.appDir), "1.1.0\n");

    // The CDN keeps a copy of the metadata from before the revocation.
    const metadata = path.join(vendor.dir, "public", "metadata");
    const before = path.join(vendor.work, "metadata-before-revocation");
    cpSync(metadata, before, { recursive: true });

    // The endpoint sees 1.1.0 revoked; with no earlier release it cannot roll back yet.
    await vendor.revoke("1.1.0", "trojanized build");
    assert.equal((await once_(setup)).code, EXIT.FAILURE);
    let s = await status(setup);
    assert.deepEqual(
      s.revoked.map((r) => [r.version, r.reason]),
      [["1.1.0", "trojanized build"]],
    );
    assert.equal(s.runningRevoked, null, "fresh metadata: not the stale state");

    // Then the CDN serves the pre-revocation metadata again, and nothing newer.
    rmSync(metadata, { recursive: true });
    cpSync(before, metadata, { recursive: true });
    const stuck = await once_(setup);
    assert.equal(stuck.code, EXIT.RUNNING_REVOKED);
    const event = stuck.logs.find((l) => l.event === "running-revoked");
    assert.equal(event?.level, "error");
    assert.equal(event?.version, "1.1.0");
    assert.equal(installed(setup.appDir), "1.1.0\n", "still running the revoked version");

    const json = await statusRun(setup);
    assert.equal(json.code, EXIT.RUNNING_REVOKED);
    s = json.status;
    assert.equal(s.lastError?.code, "CLIENT_RUNNING_REVOKED");
    assert.equal(s.runningRevoked?.version, "1.1.0");
    assert.equal(s.runningRevoked?.reason, "trojanized build");
    assert.match(
      s.runningRevoked?.message ?? "",
      /^running 1\.1\.0, which the vendor revoked \(trojanized build\); the update metadata is stale or expired, so it cannot roll back: /,
    );
    const human = await runCli(["agent", "status", "--config", setup.config]);
    assert.equal(human.code, EXIT.RUNNING_REVOKED);
    assert.match(human.stdout, /installed +1\.1\.0 \(REVOKED by the vendor\)/);
    assert.match(human.stdout, /REVOKED VERSION RUNNING: running 1\.1\.0, which the vendor revoked/);
  });
});

describe("the agent's download limits (slow-retrieval attack)", () => {
  /**
   * A mirror that serves the vendor's metadata as it is, but sends a release file as an
   * attacker would: the first half at once, then one byte every 300 ms.
   */
  async function burstThenTrickle(t: TestLike, vendor: Vendor) {
    const base = await listen(t, (req, res) => {
      const url = req.url ?? "/";
      fetch(new URL(url.slice(1), vendor.server.url)).then(
        async (r) => {
          const body = Buffer.from(await r.arrayBuffer());
          if (!url.startsWith("/targets/") || r.status !== 200) return void res.writeHead(r.status).end(body);
          res.writeHead(200);
          res.write(body.subarray(0, body.length >> 1));
          let sent = body.length >> 1;
          const timer = setInterval(() => res.write(body.subarray(sent, ++sent)), 300);
          res.on("close", () => clearInterval(timer));
        },
        () => res.destroy(),
      );
    });
    return { metadataUrl: `${base}metadata/`, targetsUrl: `${base}targets/`, root: vendor.root() };
  }

  it("drops a release download that bursts and then trickles, with the configured window, and installs nothing", async (t) => {
    const vendor = await Vendor.create(t);
    await vendor.release("1.0.0");
    const setup = agentConfig(t, await burstThenTrickle(t, vendor), {
      download: { minRate: "1KiB", rateWindow: "1s", idleTimeout: "20s" },
    });
    const started = Date.now();
    const run = await once_(setup);
    assert.equal(run.code, EXIT.FAILURE);
    const s = await status(setup);
    assert.equal(s.lastError?.code, "DOWNLOAD_SLOW", s.lastError?.message);
    assert.match(s.lastError?.message ?? "", /bytes\/s over the last 1 s, under the 1024 bytes\/s allowed/);
    assert.ok(Date.now() - started < 15_000, "dropped within the window, not after minutes");
    assert.equal(installed(setup.appDir), null, "nothing installed");
  });

  it("refuses a download limit that is not a size or a duration, naming the field", async (t) => {
    const setup = agentConfig(t, await nowhere(), { download: { minRate: "fast", rateWindow: 10, deadlinBase: "1m" } });
    const run = await runCli(["agent", "--config", setup.config, "--once"]);
    assert.equal(run.code, EXIT.USAGE, run.stderr);
    assert.match(run.stderr, /`download.minRate`: must be a size/);
    assert.match(run.stderr, /`download.rateWindow`/);
    assert.match(run.stderr, /`download.deadlinBase`: unknown key; did you mean `deadlineBase`\?/);
  });
});
