/**
 * Health-check failures caused by the endpoint's own configuration are recoverable (issue
 * 13 item 4): relative paths in the agent configuration, the health check's program
 * included, are relative to the configuration file whatever the agent's working folder; a
 * failed health check is retried with back-off before the version is marked failed; `agent
 * status` lists failed and refused versions with their reason; `bulwark agent retry VERSION`
 * lets the next cycle try one again.
 */
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { EXIT } from "../src/exit-codes.js";
import { agentConfig, logLines, once_, status, vendorRepository } from "./agent-helpers.js";
import { Vendor } from "./e2e-helpers.js";
import { runBin, runCli } from "./helpers.js";

const installed = (appDir: string) => {
  const file = path.join(appDir, "current", "VERSION");
  return existsSync(file) ? readFileSync(file, "utf8").trim() : null;
};

/**
 * A health check next to the configuration: it fails its first attempt for each version
 * (an app slow to come up), and always fails for 1.1.0 until a file `fixed` is next to it.
 */
const CHECK = `#!/bin/sh
here=$(dirname "$0")
count="$here/attempts-$BULWARK_VERSION"
n=$(cat "$count" 2>/dev/null || echo 0)
echo $((n + 1)) > "$count"
test "$n" -ge 1 || exit 1
test "$BULWARK_VERSION" != "1.1.0" || test -f "$here/fixed"
`;

describe("an endpoint recovers from its own configuration mistakes", () => {
  it("finds the health check from the config file's folder, retries it, and retries a failed version on request", async (t) => {
    const vendor = await Vendor.create(t);
    await vendor.release("1.0.0");
    const setup = agentConfig(t, vendorRepository(vendor), {
      healthCheck: { command: ["./check.sh"], timeout: "10s", attempts: 2, retryDelays: ["1s"] },
    });
    // The configuration in sub/ of a folder, the agent started from that folder.
    const top = path.dirname(setup.config);
    const sub = path.join(top, "sub");
    mkdirSync(sub);
    for (const f of ["agent.json", "root.json"]) renameSync(path.join(top, f), path.join(sub, f));
    writeFileSync(path.join(sub, "check.sh"), CHECK);
    chmodSync(path.join(sub, "check.sh"), 0o755);
    const at = (p: string) => path.join(sub, p);
    const once = (cwd: string) => runBin(["agent", "--once", "--config", "sub/agent.json"], { cwd });

    const first = await once(top);
    assert.equal(first.code, EXIT.OK, first.stdout + first.stderr);
    const events = logLines(first.stdout).map((l) => l.event);
    assert.ok(events.includes("health-check-retry"), `the first failure is retried: ${events.join(",")}`);
    assert.equal(installed(at("app")), "1.0.0", "installed in sub/app, relative to the config file");
    assert.equal(readFileSync(at("attempts-1.0.0"), "utf8").trim(), "2");
    assert.ok(existsSync(at("data/journal.json")) && existsSync(at("logs/agent.jsonl")));

    // 1.1.0 fails every attempt: rolled back, marked failed with its reason, not tried again.
    await vendor.release("1.1.0");
    const statusOf = () => status({ ...setup, config: at("agent.json") });
    assert.equal((await once(top)).code, EXIT.FAILURE);
    let s = await statusOf();
    assert.equal(installed(at("app")), "1.0.0");
    assert.equal(s.failed.length, 1);
    assert.equal(s.failed[0]?.version, "1.1.0");
    assert.equal(s.failed[0]?.code, "CLIENT_HEALTH_CHECK_FAILED");
    assert.match(s.failed[0]?.reason ?? "", /exited with 1, 2 attempts/);
    const shown = await runCli(["agent", "status", "--config", "sub/agent.json"], { cwd: top });
    assert.match(shown.stdout, /1\.1\.0 \(CLIENT_HEALTH_CHECK_FAILED: health check exited with 1, 2 attempts\)/);
    assert.match(shown.stdout, /bulwark agent retry VERSION/);
    assert.equal((await once(top)).code, EXIT.OK, "a failed version is not tried again by itself");
    assert.equal(readFileSync(at("attempts-1.1.0"), "utf8").trim(), "2");

    // The operator fixes the endpoint and asks for another try.
    writeFileSync(at("fixed"), "");
    const wrong = await runCli(["agent", "retry", "9.9.9", "--config", "sub/agent.json"], { cwd: top });
    assert.equal(wrong.code, EXIT.USAGE);
    assert.match(wrong.stderr, /neither failed nor refused/);
    const retry = await runCli(["agent", "retry", "1.1.0", "--config", "sub/agent.json"], { cwd: top });
    assert.equal(retry.code, EXIT.OK, retry.stderr);
    assert.match(retry.stdout, /1\.1\.0: no longer failed/);
    assert.deepEqual((await statusOf()).failed, []);
    assert.equal((await once(top)).code, EXIT.OK);
    assert.equal(installed(at("app")), "1.1.0");
    s = await statusOf();
    assert.deepEqual(s.lastOutcome, { action: "installed", from: "1.0.0", to: "1.1.0" });
  });

  it("lists a version a security check refused, with its error code, and clears it on request", async (t) => {
    const vendor = await Vendor.create(t);
    await vendor.release("1.0.0");
    const setup = agentConfig(t, vendorRepository(vendor), { limits: { maxFiles: 2 } });
    assert.equal((await once_(setup)).code, EXIT.FAILURE);
    const s = await status(setup);
    assert.equal(s.refused.length, 1);
    assert.equal(s.refused[0]?.version, "1.0.0");
    assert.equal(s.refused[0]?.code, "ARCHIVE_TOO_LARGE");
    assert.match(s.refused[0]?.reason ?? "", /maxEntries/);
    const retry = await runCli(["agent", "retry", "1.0.0", "--config", setup.config]);
    assert.equal(retry.code, EXIT.OK, retry.stderr);
    assert.deepEqual((await status(setup)).refused, []);
  });
});
