/**
 * The agent daemon runs for months (issue 13 item 7: one abort listener per poll gave
 * `MaxListenersExceededWarning` after ~12 minutes at a 5 s poll). The daemon's loop
 * (`Agent.run`: cycle, status, back-off, the abortable sleep) runs 10 000 polls in one
 * process with no delay, and then the real update client runs cycles against a vendor
 * repository over loopback HTTP with nothing new to install. Listener counts on the stop
 * signal, active handles and the heap after GC must be the same late as early.
 */
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import v8 from "node:v8";
import vm from "node:vm";
import type { TestLike } from "@bulwark/testkit";
import { Agent, type AgentHooks, sleep } from "../src/agent/agent.js";
import { loadAgentConfig } from "../src/agent/config.js";
import { agentConfig, vendorRepository } from "./agent-helpers.js";
import { Vendor } from "./e2e-helpers.js";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

const MiB = 2 ** 20;

interface Sample {
  readonly listeners: number;
  readonly heap: number;
  readonly resources: number;
}

/** Listeners on the stop signal, the heap in use after a full collection, active handles. */
function sample(signal: AbortSignal): Sample {
  gc();
  gc();
  return {
    listeners: getEventListeners(signal, "abort").length,
    heap: process.memoryUsage().heapUsed,
    resources: process.getActiveResourcesInfo().length,
  };
}

/**
 * Runs the agent's loop until `cycles` polls are done, sampling at `early` and at the end;
 * the sleep is the real one with no delay.
 */
async function soak(agent: (hooks: AgentHooks) => Agent, cycles: number, early: number) {
  const controller = new AbortController();
  const samples: Sample[] = [];
  let done = 0;
  const started = Date.now();
  await agent({
    sleep: async (_ms, signal) => {
      done += 1;
      if (done === early || done === cycles) samples.push(sample(signal));
      if (done >= cycles) controller.abort();
      await sleep(0, signal);
    },
  }).run(controller.signal);
  const [first, last] = samples;
  assert.ok(first !== undefined && last !== undefined && done === cycles);
  return { first, last, ms: Date.now() - started };
}

function report(t: TestLike & { diagnostic(m: string): void }, what: string, r: Awaited<ReturnType<typeof soak>>) {
  const { first, last, ms } = r;
  t.diagnostic(
    `${what} in ${ms} ms: abort listeners ${first.listeners} → ${last.listeners}; heap after GC ${(first.heap / MiB).toFixed(1)} → ${(last.heap / MiB).toFixed(1)} MiB; active resources ${first.resources} → ${last.resources}`,
  );
}

/** A folder on tmpfs when there is one: 10 000 status writes are fsynced. */
function fastDir(t: TestLike): string {
  const base = existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir();
  const dir = mkdtempSync(path.join(base, "bulwark-soak-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe("the agent daemon over months (soak)", () => {
  it("runs 10 000 polls in one process with flat listener counts, handles and memory", async (t) => {
    const vendor = await Vendor.create(t);
    const setup = agentConfig(t, vendorRepository(vendor), { dataDir: fastDir(t) });
    const config = await loadAgentConfig(setup.config);
    // A repository with nothing new: the cycle finds the version it runs.
    const upToDate = {
      update: async () => ({ action: "none", current: "1.0.0" }) as const,
      currentVersion: async () => "1.0.0",
    };
    const r = await soak(
      (hooks) => new Agent(config, () => undefined, { ...hooks, client: () => upToDate }),
      10_000,
      100,
    );
    report(t, "10 000 polls", r);
    assert.equal(r.last.listeners, r.first.listeners, "an abort listener is left behind at each poll");
    assert.ok(r.last.resources <= r.first.resources, "active handles grow with each poll");
    assert.ok(r.last.heap < r.first.heap + 4 * MiB, "the heap grows with each poll");
  });

  it("runs update cycles over loopback HTTP, with nothing new, with flat listener counts, handles and memory", async (t) => {
    const vendor = await Vendor.create(t);
    await vendor.release("1.0.0");
    const setup = agentConfig(t, vendorRepository(vendor), { dataDir: fastDir(t) });
    const config = await loadAgentConfig(setup.config);
    const cycles = Number(process.env.BULWARK_SOAK_HTTP_CYCLES ?? 150);
    const r = await soak((hooks) => new Agent(config, () => undefined, hooks), cycles, 20);
    report(t, `${cycles} update cycles`, r);
    assert.equal(r.last.listeners, r.first.listeners, "an abort listener is left behind at each poll");
    assert.ok(r.last.resources <= r.first.resources, "active handles (sockets, timers, files) grow with each cycle");
    assert.ok(r.last.heap < r.first.heap + 4 * MiB, "the heap grows with each cycle");
  });
});
