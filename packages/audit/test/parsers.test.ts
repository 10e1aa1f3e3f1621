/**
 * The audit's readers of untrusted feeds: YAML (electron-updater, through the `yaml`
 * package with bounds) and the XML reader (Sparkle). Examples, the refusals each is built
 * for, and properties: any input gives a value or a typed FeedFormatError, and values
 * written out read back equal.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { FEED_ERRORS, FeedFormatError } from "../src/errors.js";
import { attribute, childElements, readXml, textOf, type XmlElement } from "../src/xml-reader.js";
import { parseFeedYaml, type YamlValue } from "../src/yaml-feed.js";

function refuses(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof FeedFormatError, `expected a FeedFormatError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

const map = (...entries: Array<[string, YamlValue]>) => new Map(entries);

describe("YAML", () => {
  it("reads what electron-builder writes: nested maps, lists of maps, quoted and block scalars", () => {
    const doc = parseFeedYaml(
      [
        "version: 1.2.3",
        "files:",
        "  - url: App Setup 1.2.3.exe",
        "    sha512: 'abc=='",
        "    size: 123",
        '  -   url: "two\\u00e9.exe"',
        "path: App Setup 1.2.3.exe # a comment",
        "stagingPercentage: 10",
        "flag: true",
        "none: ~",
        "notes: |-",
        "  line one",
        "",
        "  line two",
        "folded: >",
        "  a",
        "  b",
        "",
        "list:",
        "- x",
        "- 2.5",
      ].join("\n"),
    );
    assert.deepEqual(
      doc,
      map(
        ["version", "1.2.3"],
        ["files", [map(["url", "App Setup 1.2.3.exe"], ["sha512", "abc=="], ["size", 123]), map(["url", "twoé.exe"])]],
        ["path", "App Setup 1.2.3.exe"],
        ["stagingPercentage", 10],
        ["flag", true],
        ["none", null],
        ["notes", "line one\n\nline two"],
        ["folded", "a b\n"],
        ["list", ["x", 2.5]],
      ),
    );
  });

  const bomb = [
    "a: &a [x, x, x, x, x, x, x, x, x, x]",
    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]",
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]",
    "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]",
  ].join("\n");
  const refusals: Array<[string, string, string, RegExp]> = [
    ["aliases that expand without end (YAML's billion laughs)", bomb, FEED_ERRORS.TOO_LARGE, /alias/],
    ["an alias to no anchor", "a: *x\n", FEED_ERRORS.YAML, /alias|anchor/i],
    ["a tag outside the core schema", "a: !!python/object:os.system ls\n", FEED_ERRORS.YAML, /tag/i],
    ["a local tag", "a: !shell ls\n", FEED_ERRORS.YAML, /tag/i],
    ["a duplicate key", "a: 1\na: 2\n", FEED_ERRORS.YAML, /unique|duplicate/i],
    ["a duplicate key once keys are strings", "1: x\n'1': y\n", FEED_ERRORS.YAML, /duplicate key/],
    ["a tab in indentation", "a:\n\tb: 1\n", FEED_ERRORS.YAML, /./],
    ["two documents", "a: 1\n---\nb: 2\n", FEED_ERRORS.YAML, /multiple documents/],
    ["an unterminated quote", "a: 'open\n", FEED_ERRORS.YAML, /./],
    ["a control character", "a: \u0001\n", FEED_ERRORS.YAML, /control/],
    ["a bad escape", 'a: "\\q"\n', FEED_ERRORS.YAML, /escape/i],
    ["a collection as a key", "? [a, b]\n: 1\n", FEED_ERRORS.YAML, /complex keys/],
    ["100 levels of nested sequences", `${"- ".repeat(100)}x\n`, FEED_ERRORS.TOO_DEEP, /deeper/],
    ["100 levels of flow sequences", `${"[".repeat(100)}${"]".repeat(100)}`, FEED_ERRORS.TOO_DEEP, /deeper/],
  ];
  for (const [name, text, code, message] of refusals) {
    it(`refuses ${name}`, () => refuses(() => parseFeedYaml(text), code, message));
  }

  it("refuses 100,000 levels of nesting quickly, without a stack overflow", () => {
    const started = Date.now();
    refuses(() => parseFeedYaml(`${"- ".repeat(100_000)}x`), FEED_ERRORS.TOO_DEEP);
    // Deep flow nesting exhausts the yaml composer (its stack, and at a few thousand levels
    // the process's memory): refused on the lexer's tokens before anything is composed.
    refuses(() => parseFeedYaml(`a: ${"[".repeat(100_000)}`), FEED_ERRORS.TOO_DEEP);
    refuses(() => parseFeedYaml(`${"{a: ".repeat(50_000)}1${"}".repeat(50_000)}`), FEED_ERRORS.TOO_DEEP);
    let nested = "";
    for (let i = 0; i < 200; i++) nested += `${" ".repeat(i)}k${i}:\n`;
    refuses(() => parseFeedYaml(nested), FEED_ERRORS.TOO_DEEP);
    assert.ok(Date.now() - started < 2000);
  });

  it("refuses a document over the size bound, and invalid UTF-8", () => {
    refuses(() => parseFeedYaml("a: 1\n", { maxChars: 3 }), FEED_ERRORS.TOO_LARGE);
    refuses(() => parseFeedYaml(new Uint8Array([0x61, 0x3a, 0x20, 0xff])), FEED_ERRORS.ENCODING);
  });

  it("reads valid YAML that a subset reader would refuse", () => {
    const read = (text: string) => parseFeedYaml(text);
    assert.deepEqual(read("a: {b: 1, c: [x, 'y']}\n"), map(["a", map(["b", 1], ["c", ["x", "y"]])]));
    assert.deepEqual(read("a: &x [1]\nb: *x\n"), map(["a", [1]], ["b", [1]]));
    assert.deepEqual(read("a: one\n  two\n"), map(["a", "one two"]));
    assert.deepEqual(read("\"quoted key\": 1\n'single': 2\n"), map(["quoted key", 1], ["single", 2]));
    assert.deepEqual(read("%YAML 1.2\n---\na: 1 # comment\n...\n"), map(["a", 1]));
    assert.deepEqual(read('a: "one\n  two"\n'), map(["a", "one two"]));
    assert.deepEqual(read("<<: 1\n"), map(["<<", 1]), "no merge keys: << is a key like any other");
    assert.deepEqual(read("1: x\nnull: y\ntrue: z\n"), map(["1", "x"], ["null", "y"], ["true", "z"]));
    assert.deepEqual(read("big: 12345678901234567890\n"), map(["big", "12345678901234567890"]));
    let nested: YamlValue = 1;
    for (let i = 0; i < 20; i++) nested = map(["a", nested]);
    assert.deepEqual(read(`${"{a: ".repeat(20)}1${"}".repeat(20)}`), nested);
  });

  it("keeps __proto__ a plain key", () => {
    const doc = parseFeedYaml("__proto__: 1\nconstructor: 2\n") as Map<string, YamlValue>;
    assert.equal(doc.get("__proto__"), 1);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

/** Writes a value in the YAML subset, as the property below reads it back. */
function emit(v: YamlValue, indent: number): string {
  const pad = " ".repeat(indent);
  if (v instanceof Map) {
    if (v.size === 0) return "{}";
    return [...v]
      .map(([k, x]) =>
        (x instanceof Map && x.size > 0) || (Array.isArray(x) && x.length > 0)
          ? `${pad}${k}:\n${emit(x, indent + 2)}`
          : `${pad}${k}: ${emit(x, 0)}`,
      )
      .join("\n");
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    return v
      .map((x) => {
        if (x instanceof Map && x.size > 0) return `${pad}- ${emit(x, indent + 2).slice(indent + 2)}`;
        if (Array.isArray(x) && x.length > 0) return `${pad}-\n${emit(x, indent + 2)}`;
        return `${pad}- ${emit(x, 0)}`;
      })
      .join("\n");
  }
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}

/** True when `s` has no control character (but those in `allowed`), lone surrogate or non-character. */
function printable(s: string, allowed: string): boolean {
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if ((c < 0x20 || c === 0x7f) && !allowed.includes(ch)) return false;
    if ((c >= 0xd800 && c <= 0xdfff) || c === 0xfffe || c === 0xffff) return false;
  }
  return true;
}

const yamlKey = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_]{0,8}$/);
const yamlScalar: fc.Arbitrary<YamlValue> = fc.oneof(
  fc.string({ maxLength: 20 }).filter((s) => printable(s, "")),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
);
const { tree: yamlTree } = fc.letrec<{ tree: YamlValue }>((tie) => ({
  tree: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    yamlScalar,
    fc.array(tie("tree"), { maxLength: 4 }),
    fc.uniqueArray(fc.tuple(yamlKey, tie("tree")), { maxLength: 4, selector: ([k]) => k }).map((e) => new Map(e)),
  ),
}));

const YAML_TOKENS = [
  "- ",
  ": ",
  ":",
  "\n",
  "  ",
  "#",
  "'",
  '"',
  "&a",
  "*a",
  "!t",
  "|",
  ">-",
  "[",
  "{}",
  "---",
  "key",
  "1.5",
  "\t",
  "\\u00",
  "]",
  "{",
  "}",
  ",",
  "? ",
  "!!str ",
  "%YAML 1.2\n",
  "...",
];

describe("YAML properties", () => {
  it("any input gives a value or a typed error", () => {
    const soup = fc.array(fc.constantFrom(...YAML_TOKENS), { maxLength: 40 }).map((t) => t.join(""));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 200 }), soup), (text) => {
        try {
          parseFeedYaml(text);
        } catch (error) {
          assert.ok(error instanceof FeedFormatError, `untyped error ${String(error)} for ${JSON.stringify(text)}`);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("a document written in the subset reads back equal", () => {
    const doc = fc.uniqueArray(fc.tuple(yamlKey, yamlTree), { minLength: 1, maxLength: 5, selector: ([k]) => k });
    fc.assert(
      fc.property(doc, (entries) => {
        const value = new Map(entries);
        assert.deepEqual(parseFeedYaml(`${emit(value, 0)}\n`), value);
      }),
      { numRuns: 1000 },
    );
  });
});

const SPARKLE = "http://www.andymatuschak.org/xml-namespaces/sparkle";

describe("XML reader", () => {
  it("reads an appcast: namespaces, attributes, CDATA, entities and comments", () => {
    const doc = readXml(
      `<?xml version="1.0" encoding="UTF-8"?>\n<rss xmlns:s="${SPARKLE}"><channel><item>` +
        `<s:version>1&amp;2&#x41;&#66;</s:version><description><![CDATA[<b>x</b>]]></description>` +
        `<enclosure url="https://e.example/a.zip?x=1&amp;y=2" s:edSignature='sig'/></item></channel></rss><!-- tail -->\n`,
    );
    const item = childElements(childElements(doc.root, "", "channel")[0] as XmlElement, "", "item")[0] as XmlElement;
    assert.equal(textOf(childElements(item, SPARKLE, "version")[0] as XmlElement), "1&2AB");
    assert.equal(textOf(childElements(item, "", "description")[0] as XmlElement), "<b>x</b>");
    const enclosure = childElements(item, "", "enclosure")[0] as XmlElement;
    assert.equal(attribute(enclosure, "", "url"), "https://e.example/a.zip?x=1&y=2");
    assert.equal(attribute(enclosure, SPARKLE, "edSignature"), "sig");
    assert.deepEqual(doc.comments, [{ text: " tail ", line: 2 }]);
  });

  const refusals: Array<[string, string, string]> = [
    ["a DTD (billion laughs)", '<!DOCTYPE r [<!ENTITY a "aaaa">]><r>&a;</r>', FEED_ERRORS.XML_ENTITY],
    [
      "an external entity (XXE)",
      '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
      FEED_ERRORS.XML_ENTITY,
    ],
    ["an undeclared entity", "<r>&nbsp;</r>", FEED_ERRORS.XML_ENTITY],
    ["a mismatched end tag", "<a><b></a></b>", FEED_ERRORS.XML],
    ["an unclosed element", "<a><b></b>", FEED_ERRORS.XML],
    ["two root elements", "<a/><b/>", FEED_ERRORS.XML],
    ["a duplicate attribute", '<a x="1" x="2"/>', FEED_ERRORS.XML],
    ["an unquoted attribute", "<a x=1/>", FEED_ERRORS.XML],
    ["an undeclared prefix", "<p:a/>", FEED_ERRORS.XML],
    ["a bare ampersand", "<a>R&D</a>", FEED_ERRORS.XML],
    ["a character reference to NUL", "<a>&#0;</a>", FEED_ERRORS.XML],
    ["a declared encoding other than UTF-8", '<?xml version="1.0" encoding="ISO-8859-1"?><a/>', FEED_ERRORS.ENCODING],
    ["text outside the root", "<a/>junk", FEED_ERRORS.XML],
    ["an empty document", "   ", FEED_ERRORS.XML],
  ];
  for (const [name, text, code] of refusals) {
    it(`refuses ${name}`, () => refuses(() => readXml(text), code));
  }

  it("refuses 1,000,000 levels of nesting quickly, without a stack overflow", () => {
    const started = Date.now();
    refuses(() => readXml(`${"<a>".repeat(1_000_000)}${"</a>".repeat(1_000_000)}`), FEED_ERRORS.TOO_DEEP);
    assert.ok(Date.now() - started < 2000);
  });

  it("refuses too many nodes or attributes, and a document over the size bound", () => {
    refuses(() => readXml(`<r>${"<a/>".repeat(100)}</r>`, { maxNodes: 50 }), FEED_ERRORS.TOO_LARGE);
    refuses(
      () => readXml(`<r ${Array.from({ length: 70 }, (_, i) => `a${i}="1"`).join(" ")}/>`),
      FEED_ERRORS.TOO_LARGE,
    );
    refuses(() => readXml("<r/>", { maxChars: 2 }), FEED_ERRORS.TOO_LARGE);
  });
});

interface El {
  name: string;
  attrs: Array<[string, string]>;
  children: Array<El | string>;
}

function writeXml(e: El): string {
  const esc = (s: string) =>
    s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
  const attrs = e.attrs.map(([k, v]) => ` ${k}="${esc(v)}"`).join("");
  return `<${e.name}${attrs}>${e.children.map((c) => (typeof c === "string" ? esc(c) : writeXml(c))).join("")}</${e.name}>`;
}

function shape(e: XmlElement): El {
  const children: Array<El | string> = [];
  for (const c of e.children) children.push(typeof c === "string" ? c : shape(c));
  return { name: e.name, attrs: e.attributes.map((a) => [a.name, a.value]), children };
}

const xmlName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_.-]{0,6}$/);
const xmlText = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => printable(s, "\t\n"));
const attrText = xmlText.filter((s) => !/[\t\n]/.test(s));
const { el: xmlTree } = fc.letrec<{ el: El }>((tie) => ({
  el: fc.record({
    name: xmlName,
    attrs: fc.uniqueArray(fc.tuple(xmlName, attrText), { maxLength: 3, selector: ([k]) => k }),
    children: fc.array(fc.oneof({ depthSize: "small" }, xmlText, tie("el")), { maxLength: 3 }),
  }),
}));

/** Adjacent text children merge when read: the written tree, as the reader sees it. */
function merged(e: El): El {
  const children: Array<El | string> = [];
  for (const c of e.children) {
    const last = children.at(-1);
    if (typeof c === "string" && typeof last === "string") children[children.length - 1] = last + c;
    else children.push(typeof c === "string" ? c : merged(c));
  }
  return { ...e, children };
}

const XML_TOKENS = [
  "<",
  ">",
  "</",
  "/>",
  "<!--",
  "-->",
  "<![CDATA[",
  "]]>",
  "<!DOCTYPE",
  "<?",
  "?>",
  "&",
  ";",
  "&amp;",
  "&#",
  "a",
  ":",
  "=",
  '"',
  "'",
  " ",
  "x:y",
];

describe("XML reader properties", () => {
  it("any input gives a document or a typed error", () => {
    const soup = fc.array(fc.constantFrom(...XML_TOKENS), { maxLength: 40 }).map((t) => t.join(""));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 200 }), soup), (text) => {
        try {
          readXml(text);
        } catch (error) {
          assert.ok(error instanceof FeedFormatError, `untyped error ${String(error)} for ${JSON.stringify(text)}`);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("an element tree written out reads back equal", () => {
    fc.assert(
      fc.property(xmlTree, (tree) => {
        assert.deepEqual(shape(readXml(writeXml(tree)).root), merged(tree));
      }),
      { numRuns: 1000 },
    );
  });
});
