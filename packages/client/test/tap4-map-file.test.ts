/**
 * The TAP 4 map file parser and the consensus rule, without I/O: every malformed map is a
 * `CLIENT_BAD_MAP_FILE` naming the field; repositories agree only on the same length,
 * hashes and release; mappings are searched in order, a terminating one ends the search.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TargetFile } from "@bulwark/tuf";
import fc from "fast-check";
import {
  ClientError,
  consensusKey,
  mapFileFromJSON,
  mapFileToJSON,
  NoConsensusError,
  parseMapFile,
  resolveTarget,
  writeReleaseMetadata,
} from "../src/index.js";

const GOOD = {
  repositories: { vendor: ["https://updates.vendor.example/"], org: ["https://gateway.example.org/repo"] },
  mapping: [{ paths: ["app/*/*"], repositories: ["vendor", "org"], threshold: 2, terminating: true }],
};

function badMap(json: unknown, field: RegExp): void {
  assert.throws(
    () => parseMapFile(JSON.stringify(json)),
    (error: unknown) => {
      assert.ok(error instanceof ClientError, String(error));
      assert.equal(error.code, "CLIENT_BAD_MAP_FILE");
      assert.match(error.message, field);
      return true;
    },
  );
}

describe("parseMapFile", () => {
  it("reads a TAP 4 map file, a / appended to each repository URL", () => {
    const map = parseMapFile(JSON.stringify(GOOD));
    assert.deepEqual(
      [...map.repositories],
      [
        ["vendor", ["https://updates.vendor.example/"]],
        ["org", ["https://gateway.example.org/repo/"]],
      ],
    );
    assert.deepEqual(map.mapping, GOOD.mapping);
  });

  const cases: Array<[string, unknown, RegExp]> = [
    ["not an object", [], /top level/],
    ["an unknown top-level field", { ...GOOD, extra: 1 }, /unknown field "extra"/],
    ["no repositories", { mapping: GOOD.mapping }, /repositories/],
    ["an empty repositories object", { ...GOOD, repositories: {} }, /at least one/],
    ["a repository name that is a path", { ...GOOD, repositories: { "../x": ["https://a/"] } }, /usable name/],
    ["a repository without URLs", { ...GOOD, repositories: { vendor: [], org: ["https://a/"] } }, /non-empty/],
    ["a file: URL (not http)", { ...GOOD, repositories: { vendor: ["file:///etc/"], org: ["https://a/"] } }, /http/],
    ["a URL twice", { ...GOOD, repositories: { vendor: ["https://a/", "https://a"], org: ["https://b/"] } }, /twice/],
    ["no mapping", { repositories: GOOD.repositories, mapping: [] }, /mapping/],
    [
      "a mapping naming an unknown repository",
      { ...GOOD, mapping: [{ ...GOOD.mapping[0], repositories: ["vendor", "evil"] }] },
      /"evil", not in "repositories"/,
    ],
    [
      "a mapping naming a repository twice (one party counted twice)",
      { ...GOOD, mapping: [{ ...GOOD.mapping[0], repositories: ["org", "org"], threshold: 2 }] },
      /twice/,
    ],
    ["a threshold of 0", { ...GOOD, mapping: [{ ...GOOD.mapping[0], threshold: 0 }] }, /threshold/],
    ["a fractional threshold", { ...GOOD, mapping: [{ ...GOOD.mapping[0], threshold: 1.5 }] }, /threshold/],
    [
      "a threshold above the repositories named",
      { ...GOOD, mapping: [{ ...GOOD.mapping[0], threshold: 3 }] },
      /more than/,
    ],
    ["terminating as a string", { ...GOOD, mapping: [{ ...GOOD.mapping[0], terminating: "yes" }] }, /terminating/],
    ["no paths", { ...GOOD, mapping: [{ ...GOOD.mapping[0], paths: [] }] }, /paths/],
    ["an unknown mapping field", { ...GOOD, mapping: [{ ...GOOD.mapping[0], priority: 1 }] }, /unknown field/],
  ];
  for (const [what, json, field] of cases) {
    it(`refuses ${what}`, () => badMap(json, field));
  }

  it("refuses bytes that are not JSON", () => {
    assert.throws(() => parseMapFile("{"), { code: "CLIENT_BAD_MAP_FILE" });
  });

  it("round-trips every map it accepts, and refuses anything else with CLIENT_BAD_MAP_FILE (property)", () => {
    const name = fc.constantFrom("vendor", "org", "mirror", "a.b", "x_1", "../up", "", "1");
    const url = fc.constantFrom("https://a.example/", "http://127.0.0.1:8080/r", "ftp://a/", "nope", "https://b/?q");
    const arbitraryMap = fc.record({
      repositories: fc.dictionary(name, fc.array(url, { maxLength: 3 }), { maxKeys: 4 }),
      mapping: fc.array(
        fc.record({
          paths: fc.array(fc.constantFrom("*", "app/*/*", "", "app/index.json"), { maxLength: 2 }),
          repositories: fc.array(name, { maxLength: 3 }),
          threshold: fc.oneof(fc.integer({ min: -1, max: 4 }), fc.constant(1.5)),
          terminating: fc.oneof(fc.boolean(), fc.constant("true")),
        }),
        { maxLength: 3 },
      ),
    });
    fc.assert(
      fc.property(fc.oneof(arbitraryMap, fc.jsonValue()), (json) => {
        let map: ReturnType<typeof mapFileFromJSON>;
        try {
          map = parseMapFile(JSON.stringify(json));
        } catch (error) {
          assert.ok(error instanceof ClientError && error.code === "CLIENT_BAD_MAP_FILE", String(error));
          return;
        }
        const again = mapFileFromJSON(mapFileToJSON(map) as never);
        assert.deepEqual(mapFileToJSON(again), mapFileToJSON(map));
        for (const m of map.mapping) {
          assert.ok(m.threshold >= 1 && m.threshold <= m.repositories.length);
          for (const r of m.repositories) assert.ok(map.repositories.has(r));
        }
      }),
    );
  });
});

/** A release target as a repository signs it. */
function release(bytes: string, fields: { version?: string; channel?: string; revoked?: boolean } = {}): TargetFile {
  const target = new TargetFile(
    "app/1.0.0/app.tar.gz",
    bytes.length,
    new Map([["sha256", Buffer.from(bytes).toString("hex").padEnd(64, "0").slice(0, 64)]]),
  );
  writeReleaseMetadata(target, {
    name: "app",
    version: fields.version ?? "1.0.0",
    channel: fields.channel ?? "stable",
    released: `2026-01-0${bytes.length % 9}T00:00:00Z`,
  });
  if (fields.revoked)
    target.custom = { ...target.custom, bulwark: { ...(target.custom?.bulwark as object), revoked: { at: "x" } } };
  return target;
}

describe("consensus", () => {
  it("compares length, hashes and the release, not what each party sets alone (release date, revocation)", () => {
    assert.equal(consensusKey(release("abc")), consensusKey(release("abc", { revoked: true })));
    assert.notEqual(consensusKey(release("abc")), consensusKey(release("abd")));
    assert.notEqual(consensusKey(release("abc")), consensusKey(release("abc", { version: "1.0.1" })));
    assert.notEqual(consensusKey(release("abc")), consensusKey(release("abc", { channel: "beta" })));
  });

  const map = (mapping: object[]) =>
    mapFileFromJSON({ repositories: { a: ["https://a/"], b: ["https://b/"], c: ["https://c/"] }, mapping } as never);
  const lookupFrom = (listed: Record<string, TargetFile | undefined>) => async (repo: string) => listed[repo];

  it("rejects a target listed differently by two repositories each meeting threshold 1 (fail closed)", async () => {
    const m = map([{ paths: ["app/*/*"], repositories: ["a", "b"], threshold: 1, terminating: true }]);
    await assert.rejects(
      resolveTarget(m, "app/1.0.0/app.tar.gz", lookupFrom({ a: release("one"), b: release("two") })),
      NoConsensusError,
    );
  });

  it("accepts 2 of 3 agreeing, naming them", async () => {
    const m = map([{ paths: ["app/*/*"], repositories: ["a", "b", "c"], threshold: 2, terminating: true }]);
    const found = await resolveTarget(
      m,
      "app/1.0.0/app.tar.gz",
      lookupFrom({ a: release("same"), b: release("evil"), c: release("same") }),
    );
    assert.deepEqual(found?.repositories, ["a", "c"]);
  });

  it("stops at a terminating mapping without agreement, and goes on past a non-terminating one", async () => {
    const listed = lookupFrom({ a: release("x"), b: undefined, c: release("x") });
    const first = { paths: ["app/*/*"], repositories: ["a", "b"], threshold: 2 };
    const second = { paths: ["*/*/*"], repositories: ["c"], threshold: 1, terminating: true };
    await assert.rejects(
      resolveTarget(map([{ ...first, terminating: true }, second]), "app/1.0.0/app.tar.gz", listed),
      (e: unknown) => e instanceof NoConsensusError && e.agreeing.join() === "a",
    );
    const found = await resolveTarget(map([{ ...first, terminating: false }, second]), "app/1.0.0/app.tar.gz", listed);
    assert.deepEqual(found?.repositories, ["c"]);
  });

  it("finds nothing for a path no mapping matches (* does not cross /), and nothing no repository lists", async () => {
    const listed = lookupFrom({ a: release("x"), b: release("x") });
    const star = map([{ paths: ["*"], repositories: ["a", "b"], threshold: 2, terminating: true }]);
    assert.equal(await resolveTarget(star, "app/1.0.0/app.tar.gz", listed), undefined);
    const all = map([{ paths: ["app/*/*"], repositories: ["a", "b"], threshold: 2, terminating: true }]);
    assert.equal(await resolveTarget(all, "app/1.0.0/app.tar.gz", lookupFrom({})), undefined);
  });
});
