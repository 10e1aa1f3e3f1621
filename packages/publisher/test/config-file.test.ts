import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { ConfigError, closest, configJsonSchema, parseConfigFile } from "../src/config-file.js";

const Agent = z.strictObject({
  name: z.string().min(1),
  healthCheck: z.strictObject({ command: z.array(z.string()).min(1), timeout: z.string().optional() }).optional(),
  install: z.discriminatedUnion("strategy", [
    z.strictObject({ strategy: z.literal("directory"), dir: z.string() }),
    z.strictObject({ strategy: z.literal("command"), command: z.array(z.string()) }),
  ]),
  keys: z.array(z.strictObject({ id: z.string(), roles: z.array(z.string()) })).default([]),
});

function problemsOf(json: unknown): readonly string[] {
  try {
    parseConfigFile(Agent, Buffer.from(JSON.stringify(json)), { file: "agent.json", code: "BAD_AGENT_CONFIG" });
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.code, "BAD_AGENT_CONFIG");
    return error.problems;
  }
  assert.fail("expected a ConfigError");
}

describe("config files against their schema", () => {
  it("reads a valid file, with defaults", () => {
    const value = parseConfigFile(
      Agent,
      Buffer.from('{"name":"app","install":{"strategy":"directory","dir":"/opt/app"}}'),
      { file: "agent.json" },
    );
    assert.deepEqual(value, { name: "app", install: { strategy: "directory", dir: "/opt/app" }, keys: [] });
  });

  it("names a misspelt key and suggests the known one", () => {
    const problems = problemsOf({
      name: "app",
      healthcheck: { command: ["true"] },
      install: { strategy: "directory", dir: "/opt" },
    });
    assert.deepEqual(problems, ["`healthcheck`: unknown key; did you mean `healthCheck`?"]);
  });

  it("finds the known keys inside nested objects, arrays and unions", () => {
    const problems = problemsOf({
      name: "app",
      healthCheck: { command: ["true"], timout: "5s" },
      install: { strategy: "directory", dir: "/opt", dri: "x" },
      keys: [{ id: "a", roles: [], rolse: [] }],
    });
    assert.deepEqual([...problems].sort(), [
      "`healthCheck.timout`: unknown key; did you mean `timeout`?",
      "`install.dri`: unknown key; did you mean `dir`?",
      "`keys[0].rolse`: unknown key; did you mean `roles`?",
    ]);
  });

  it("suggests nothing for a key unlike any known one", () => {
    const problems = problemsOf({ name: "app", install: { strategy: "directory", dir: "/" }, colour: "blue" });
    assert.deepEqual(problems, ["`colour`: unknown key"]);
  });

  it("names every wrong field, and refuses what is not JSON", () => {
    const problems = problemsOf({ name: "", install: { strategy: "directory" } });
    assert.equal(problems.length, 2);
    assert.match(problems.join("\n"), /`name`/);
    assert.match(problems.join("\n"), /`install\.dir`/);
    assert.throws(
      () => parseConfigFile(Agent, Buffer.from("{"), { file: "agent.json" }),
      (e: unknown) =>
        e instanceof ConfigError && e.code === "BAD_CONFIG" && /agent\.json: not valid JSON/.test(e.message),
    );
  });

  it("gives editors a JSON Schema that refuses unknown keys", () => {
    const schema = configJsonSchema(Agent) as { additionalProperties?: unknown; properties?: Record<string, unknown> };
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual(Object.keys(schema.properties ?? {}), ["name", "healthCheck", "install", "keys"]);
  });

  it("suggests by edit distance, case-insensitively, and only for near slips", () => {
    assert.equal(closest("HEALTHCHECK", ["healthCheck", "name"]), "healthCheck");
    assert.equal(closest("dataDri", ["dataDir", "install"]), "dataDir");
    assert.equal(closest("zzz", ["dataDir", "install"]), undefined);
  });
});
