/**
 * The committed JSON Schemas in `schemas/` are what the code generates (`npm run schemas`),
 * so editors complete and check exactly what Bulwark accepts; and the files Bulwark writes
 * name them in `"$schema"`.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { DEFAULT_CONFIG, formatConfig } from "@bulwark/publisher";
import { CONFIG_SCHEMAS, configSchemaFiles } from "../src/config-schemas.js";

/** The checkout's top folder (this file is packages/cli/dist/test/). */
const TOP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");

describe("the published config schemas", () => {
  it("are committed exactly as the code generates them (run `npm run schemas` after changing a schema)", () => {
    const files = configSchemaFiles();
    assert.deepEqual(
      [...files.keys()],
      ["bulwark.schema.json", "agent.schema.json", "log.schema.json", "witness.schema.json", "gateway.schema.json"],
    );
    for (const [file, text] of files) {
      let committed: string;
      try {
        committed = readFileSync(path.join(TOP, "schemas", file), "utf8");
      } catch {
        assert.fail(`schemas/${file} is missing: run \`npm run schemas\``);
      }
      assert.equal(committed, text, `schemas/${file} differs from the code: run \`npm run schemas\``);
    }
  });

  it("are draft 2020-12, refuse unknown keys, and allow `$schema`", () => {
    for (const { file } of CONFIG_SCHEMAS) {
      const schema = JSON.parse(configSchemaFiles().get(file) as string) as {
        $schema: string;
        additionalProperties: unknown;
        properties: Record<string, unknown>;
      };
      assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema", file);
      assert.equal(schema.additionalProperties, false, file);
      assert.ok("$schema" in schema.properties, file);
    }
  });

  it("are named by the bulwark.json Bulwark writes", () => {
    assert.equal(JSON.parse(formatConfig(DEFAULT_CONFIG)).$schema, "bulwark.schema.json");
  });
});
