/**
 * Properties of everything the sources parse from a vendor's server: versions and package
 * names, appcast enclosures, feeds of every kind, signature files. Whatever the bytes, the
 * result is a value or a typed error, never a crash.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { readAppcast } from "@bulwark/audit";
import { compareSemver, parseSemver } from "@bulwark/client";
import fc from "fast-check";
import { compareVersions, newestVersion, SourceFeedError, squirrelPackageVersion } from "../src/index.js";
import { electronOffers, sparkleOffers, squirrelOffers } from "../src/sources/feeds.js";
import { conditionalHeaders } from "../src/sources/fetch.js";
import { decodeBase64, ed25519PublicKey, signatureBytes } from "../src/sources/keys.js";

const segment = fc.oneof(fc.nat({ max: 20 }).map(String), fc.constantFrom("alpha", "beta", "rc", "0", "007", "10"));
const version = fc
  .array(segment, { minLength: 1, maxLength: 5 })
  .chain((parts) => fc.constantFrom(".", "-", "_").map((sep) => parts.join(sep)));
const anyVersion = fc.oneof(version, fc.string({ maxLength: 12 }));

describe("compareVersions", () => {
  test("is zero only for the same text, and antisymmetric", () => {
    fc.assert(
      fc.property(anyVersion, anyVersion, (a, b) => {
        const ab = compareVersions(a, b);
        assert.equal(ab === 0, a === b);
        assert.equal(Math.sign(ab) + Math.sign(compareVersions(b, a)), 0);
      }),
      { numRuns: 3000 },
    );
  });

  test("is transitive", () => {
    fc.assert(
      fc.property(version, version, version, (a, b, c) => {
        if (compareVersions(a, b) < 0 && compareVersions(b, c) < 0) assert.ok(compareVersions(a, c) < 0);
      }),
      { numRuns: 3000 },
    );
  });

  test("orders semantic versions by SemVer precedence", () => {
    const semver = fc
      .tuple(
        fc.nat(30),
        fc.nat(30),
        fc.nat(30),
        fc.option(fc.constantFrom("alpha", "beta.1", "rc.2"), { nil: undefined }),
      )
      .map(([x, y, z, pre]) => `${x}.${y}.${z}${pre === undefined ? "" : `-${pre}`}`);
    fc.assert(
      fc.property(semver, semver, (a, b) => {
        const precedence = compareSemver(parseSemver(a) as never, parseSemver(b) as never);
        if (precedence !== 0) assert.equal(Math.sign(compareVersions(a, b)), Math.sign(precedence));
      }),
    );
  });

  test("sorts numbers numerically, not as text", () => {
    assert.ok(compareVersions("1.10.0", "1.9.0") > 0);
    assert.ok(compareVersions("1000", "999") > 0);
    assert.ok(compareVersions("2.1.0.10", "2.1.0.9") > 0);
    assert.equal(newestVersion(["99", "100", "1.0"]), "100");
  });
});

describe("squirrelPackageVersion", () => {
  const id = fc.stringMatching(/^[A-Za-z][A-Za-z.]{0,10}(-[A-Za-z][A-Za-z.]{0,6})?$/);
  const ver = fc
    .tuple(fc.nat(99), fc.nat(99), fc.nat(99), fc.option(fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/), { nil: undefined }))
    .map(([x, y, z, pre]) => `${x}.${y}.${z}${pre === undefined ? "" : `-${pre}`}`);

  test("reads back the id and version a package name was made from", () => {
    fc.assert(
      fc.property(id, ver, fc.boolean(), (i, v, delta) => {
        assert.deepEqual(squirrelPackageVersion(`${i}-${v}-${delta ? "delta" : "full"}.nupkg`), {
          id: i,
          version: v,
          delta,
        });
      }),
    );
  });

  test("never throws, whatever the name", () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), (name) => void squirrelPackageVersion(name)));
    assert.equal(squirrelPackageVersion("setup.exe"), undefined);
  });
});

describe("readAppcast", () => {
  const item = fc.record({
    version: fc.stringMatching(/^[0-9][0-9.]{0,8}$/),
    url: fc.stringMatching(/^[a-z]{1,8}\.zip$/).map((f) => `https://vendor.example/${f}`),
    length: fc.nat(),
    signature: fc.option(fc.uint8Array({ minLength: 64, maxLength: 64 }), { nil: undefined }),
  });

  test("reads back every enclosure an appcast was made from", () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 6 }), (items) => {
        const xml = `<rss xmlns:sparkle="http://www.andymatuschak.org/xml-namespaces/sparkle"><channel>${items
          .map(
            (i) =>
              `<item><sparkle:version>${i.version}</sparkle:version><enclosure url="${i.url}" length="${i.length}"${
                i.signature === undefined ? "" : ` sparkle:edSignature="${Buffer.from(i.signature).toString("base64")}"`
              }/></item>`,
          )
          .join("")}</channel></rss>`;
        assert.deepEqual(
          readAppcast(Buffer.from(xml)).map(({ line: _, ...e }) => e),
          items.map((i) => ({
            version: i.version,
            url: i.url,
            length: i.length,
            ...(i.signature === undefined ? {} : { edSignature: Buffer.from(i.signature).toString("base64") }),
            delta: false,
          })),
        );
      }),
    );
  });
});

describe("feeds of every kind", () => {
  const key = ed25519PublicKey(Buffer.alloc(32, 7).toString("base64"));
  const readers: Array<[string, (bytes: Uint8Array) => unknown]> = [
    ["electron-updater", (b) => electronOffers(b, "https://vendor.example/latest.yml")],
    ["Sparkle", (b) => sparkleOffers(b, "https://vendor.example/appcast.xml", key)],
    ["Squirrel", (b) => squirrelOffers(b, "https://vendor.example/RELEASES")],
  ];
  const junk = fc.oneof(
    fc.uint8Array({ maxLength: 400 }),
    fc.string({ maxLength: 400 }).map((s) => Buffer.from(s)),
    fc
      .array(
        fc.constantFrom(
          "version: 1.0.0\n",
          "files:\n",
          "  - url: a.exe\n",
          "<rss>",
          "<channel>",
          "<item>",
          "<enclosure url='x'/>",
          "ab".repeat(20),
          " a.nupkg 12\n",
          "javascript:x",
        ),
        { maxLength: 12 },
      )
      .map((parts) => Buffer.from(parts.join(""))),
  );
  for (const [name, read] of readers) {
    test(`${name}: any bytes give offers or a SourceFeedError`, () => {
      fc.assert(
        fc.property(junk, (bytes) => {
          try {
            read(bytes);
          } catch (error) {
            assert.ok(error instanceof SourceFeedError, String(error));
            assert.equal(error.code, "SOURCE_BAD_FEED");
          }
        }),
        { numRuns: 1500 },
      );
    });
  }

  test("a feed naming a non-http file is refused", () => {
    assert.throws(
      () =>
        electronOffers(
          Buffer.from("version: 1.0.0\nfiles:\n  - url: file:///etc/passwd\n"),
          "https://v.example/latest.yml",
        ),
      SourceFeedError,
    );
  });
});

describe("signature files and validators", () => {
  test("a base64 signature file decodes to its bytes; a raw one is kept", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 128 }), (sig) => {
        const b64 = Buffer.from(sig).toString("base64");
        assert.deepEqual(signatureBytes(Buffer.from(`${b64}\n`)), Buffer.from(sig));
        assert.deepEqual(decodeBase64(b64), Buffer.from(sig));
      }),
    );
    assert.deepEqual(signatureBytes(Buffer.from([0, 255, 10])), Buffer.from([0, 255, 10]));
  });

  test("conditional headers carry exactly the validators known", () => {
    assert.deepEqual(conditionalHeaders(undefined), {});
    assert.deepEqual(conditionalHeaders({ etag: '"x"', lastModified: "Mon, 07 Dec 2026 10:00:00 GMT" }), {
      "if-none-match": '"x"',
      "if-modified-since": "Mon, 07 Dec 2026 10:00:00 GMT",
    });
  });
});
