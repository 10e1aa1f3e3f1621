/**
 * Freeze attacks (spec 5.3.10, 5.4.4, 5.5.6, 5.6.5): the attacker keeps serving
 * metadata that was valid once, or the repository signed it long ago, while the client's
 * clock moves on. Each role's expiry is checked; the refusal leaves the disk as it was.
 */
import { describe, it } from "node:test";
import { ExpiredMetadataError } from "../src/index.js";
import {
  type AttackCase,
  DAY_MS,
  DEV_TARGET,
  type Env,
  type Expected,
  publishDev,
  runAttack,
  touchAndPublish,
} from "./attacks-kit.js";

const expired = (role: string): Expected => ({
  type: ExpiredMetadataError,
  code: "TUF_EXPIRED_METADATA",
  message: new RegExp(`^${role} metadata`),
});

/** Signs what `publish` does with the repository clock `days` in the past. */
async function signedDaysAgo(env: Env, days: number, publish: () => Promise<void>): Promise<void> {
  const now = env.clock.now;
  env.clock.now = now - days * DAY_MS;
  try {
    await publish();
  } finally {
    env.clock.now = now;
  }
}

const freeze: AttackCase[] = [
  {
    name: "rejects an expired root when no newer root is served (freeze attack)",
    attack: async () => undefined,
    act: (env) => env.refresh({ referenceTime: new Date(env.clock.now + 400 * DAY_MS) }),
    error: { ...expired("root"), message: /root metadata has expired/ },
  },
  {
    name: "rejects a new root that has already expired (freeze attack)",
    attack: async (env) => {
      await signedDaysAgo(env, 400, async () => {
        env.repo.rotateRoot();
        await env.publish();
      });
      await touchAndPublish(env);
    },
    error: { ...expired("root"), message: /root metadata has expired/ },
    // 5.3.8 persists each verified root before 5.3.10 checks the final one's expiry.
    advances: ["root"],
  },
  {
    name: "rejects an expired timestamp (freeze attack)",
    attack: (env) => signedDaysAgo(env, 2, () => env.publish()),
    error: expired("timestamp"),
  },
  {
    name: "rejects a replayed timestamp once the client's clock passes its expiry (freeze attack)",
    attack: async () => undefined,
    act: (env) => env.refresh({ referenceTime: new Date(env.clock.now + 2 * DAY_MS) }),
    error: expired("timestamp"),
  },
  {
    name: "rejects an expired snapshot (freeze attack)",
    attack: async (env) => {
      await signedDaysAgo(env, 8, () => touchAndPublish(env));
      await env.publish();
    },
    error: expired("snapshot"),
    advances: ["timestamp"],
  },
  {
    name: "rejects expired top-level targets (freeze attack)",
    attack: async (env) => {
      await signedDaysAgo(env, 91, () => touchAndPublish(env));
      await env.publish({ force: true });
    },
    error: expired("targets"),
    advances: ["timestamp", "snapshot"],
  },
  {
    name: "rejects an expired delegated role (freeze attack)",
    stage: publishDev,
    attack: async (env) => {
      await signedDaysAgo(env, 91, () => touchAndPublish(env, "dev"));
      await env.publish({ force: true });
    },
    act: (env) => env.updater().getTargetInfo(DEV_TARGET),
    error: expired("dev"),
    advances: ["timestamp", "snapshot"],
  },
];

describe("freeze attacks", () => {
  for (const c of freeze) it(c.name, (t) => runAttack(t, c).then(() => undefined));
});
