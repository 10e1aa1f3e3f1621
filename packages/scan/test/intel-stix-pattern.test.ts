import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { ScanFormatError, ScanLimitError } from "../src/errors.js";
import {
  type ComparisonExpression,
  equalityIndicators,
  MAX_STIX_PATTERN_DEPTH,
  type ObjectPath,
  type ObservationExpression,
  parseStixPattern,
  type StixLiteral,
} from "../src/intel/index.js";

const SHA256 = "a".repeat(64);

describe("the STIX pattern subset the scan matches on", () => {
  const cases: [string, string, [string, string][]][] = [
    ["a SHA-256 equality", `[file:hashes.'SHA-256' = '${SHA256.toUpperCase()}']`, [["sha256", SHA256]]],
    ["unquoted and lower-case hash names", `[file:hashes.sha256 = '${SHA256}']`, [["sha256", SHA256]]],
    [
      "OR across observations and inside one",
      "[domain-name:value = 'a.example' OR url:value = 'http://b.example/x'] OR [ipv4-addr:value = '192.0.2.1']",
      [
        ["domain", "a.example"],
        ["url", "http://b.example/x"],
        ["ip", "192.0.2.1"],
      ],
    ],
    [
      "IN with a set",
      "[ipv6-addr:value IN ('2001:db8::1', '2001:db8::2')]",
      [
        ["ip", "2001:db8::1"],
        ["ip", "2001:db8::2"],
      ],
    ],
    [
      "qualifiers are ignored",
      "[domain-name:value = 'q.example'] REPEATS 5 TIMES WITHIN 600 SECONDS",
      [["domain", "q.example"]],
    ],
    [
      "an undecidable OR branch is dropped",
      "[process:name = 'x.exe'] OR [domain-name:value = 'd.example']",
      [["domain", "d.example"]],
    ],
    ["AND of conditions is not decidable per file", `[file:hashes.MD5 = '${"b".repeat(32)}' AND file:size = 10]`, []],
    [
      "FOLLOWEDBY is not decidable per file",
      "[url:value = 'http://a.example/'] FOLLOWEDBY [url:value = 'http://b.example/']",
      [],
    ],
    ["a negated comparison is not an indicator", "[domain-name:value NOT = 'n.example']", []],
    ["!= is not an indicator", "[domain-name:value != 'n.example']", []],
    ["LIKE is not an indicator", "[domain-name:value LIKE '%.example']", []],
    ["a hash of the wrong length for its algorithm", `[file:hashes.'SHA-1' = '${SHA256}']`, []],
    ["SHA-512 is not matched", `[file:hashes.'SHA-512' = '${"c".repeat(128)}']`, []],
  ];
  for (const [name, pattern, expected] of cases) {
    test(name, () => {
      assert.deepEqual(
        equalityIndicators(parseStixPattern(pattern)).map((i) => [i.kind, i.value]),
        expected,
      );
    });
  }
});

describe("malformed patterns are typed errors with an offset", () => {
  const bad: [string, number][] = [
    ["[file:hashes.MD5 = 'abc'", 24],
    ["file:name = 'x'", 0],
    ["[file:name = 'x] ", 13],
    ["[file:name == 'x']", 12],
    ["[file:name = 'x'] AND", 21],
    ["[file:name = 'a\\x']", 15],
    ["[file:size > true]", 11],
    ["[file:name LIKE 5]", 11],
    ["[file:created = t'yesterday']", 16],
    ["[artifact:payload_bin = b'!!']", 24],
    ["[file:name = 'x'] WITHIN 0 SECONDS", 25],
    ["[file:name = 'x'] REPEATS 1.5 TIMES", 26],
    ["[file:name = 'x'] ; drop", 18],
    ["[File:name = 'x']", 1],
  ];
  for (const [pattern, offset] of bad) {
    test(pattern, () => {
      assert.throws(
        () => parseStixPattern(pattern),
        (e: unknown) => e instanceof ScanFormatError && e.code === "SCAN_BAD_STIX" && e.offset === offset,
      );
    });
  }

  test("nesting past the depth limit is a limit error, not a stack overflow", () => {
    const deep = `${"(".repeat(30_000)}[a:b = 1]${")".repeat(30_000)}`;
    assert.throws(
      () => parseStixPattern(deep),
      (e: unknown) => e instanceof ScanLimitError && e.limit === MAX_STIX_PATTERN_DEPTH,
    );
    const deepComparison = `[${"(".repeat(MAX_STIX_PATTERN_DEPTH + 1)}a:b = 1${")".repeat(MAX_STIX_PATTERN_DEPTH + 1)}]`;
    assert.throws(() => parseStixPattern(deepComparison), { code: "SCAN_LIMIT_STIX_PATTERN" });
  });

  test("a pattern past the length limit is a limit error", () => {
    assert.throws(() => parseStixPattern(`[a:b = '${"x".repeat(70_000)}']`), { code: "SCAN_LIMIT_STIX_PATTERN" });
  });
});

// A printer for the property tests: every compound operand in parentheses, so the parse of
// the printed text must give back the same tree.
function printLiteral(l: StixLiteral): string {
  switch (l.type) {
    case "string":
      return `'${l.value.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
    case "int":
      return String(l.value);
    case "float": {
      const s = String(l.value);
      return /[.e]/.test(s) ? s : `${s}.0`;
    }
    case "bool":
      return String(l.value);
    case "timestamp":
      return `t'${l.value}'`;
    case "hex":
      return `h'${l.value}'`;
    case "binary":
      return `b'${l.value}'`;
    case "set":
      return `(${l.values.map(printLiteral).join(", ")})`;
  }
}

function printPath(p: ObjectPath): string {
  return `${p.objectType}:${p.steps
    .map((s, i) => {
      if ("index" in s) return `[${s.index}]`;
      const name =
        /^[A-Za-z_][A-Za-z0-9_]*$/.test(s.property) && !["true", "false"].includes(s.property)
          ? s.property
          : printLiteral({ type: "string", value: s.property });
      return i === 0 ? name : `.${name}`;
    })
    .join("")}`;
}

function printComparison(c: ComparisonExpression): string {
  switch (c.kind) {
    case "exists":
      return `EXISTS ${printPath(c.path)}`;
    case "comparison":
      return `${printPath(c.path)} ${c.negated ? "NOT " : ""}${c.operator} ${printLiteral(c.value)}`;
    default:
      return c.operands
        .map((o) => (o.kind === "and" || o.kind === "or" ? `(${printComparison(o)})` : printComparison(o)))
        .join(` ${c.kind.toUpperCase()} `);
  }
}

function printObservation(o: ObservationExpression): string {
  const body =
    o.kind === "observation"
      ? `[${printComparison(o.comparison)}]`
      : o.operands
          .map((x) => (x.kind === "observation" ? printObservation(x) : `(${printObservation(x)})`))
          .join(` ${o.kind.toUpperCase()} `);
  const q = o.qualifiers.map((x) =>
    x.kind === "within"
      ? ` WITHIN ${x.seconds} SECONDS`
      : x.kind === "repeats"
        ? ` REPEATS ${x.times} TIMES`
        : ` START t'${x.start}' STOP t'${x.stop}'`,
  );
  // Qualifiers on a compound expression attach to its parenthesised form.
  return o.kind === "observation" || q.length === 0 ? body + q.join("") : `(${body})${q.join("")}`;
}

const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}[a-z0-9]$/).filter((s) => s !== "true" && s !== "false");
const timestamp = fc
  .date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true })
  .map((d) => d.toISOString());
const primitive: fc.Arbitrary<StixLiteral> = fc.oneof(
  fc.string({ unit: "grapheme" }).map((value) => ({ type: "string" as const, value })),
  fc.maxSafeInteger().map((value) => ({ type: "int" as const, value })),
  fc
    .double({ noNaN: true, noDefaultInfinity: true })
    .filter((v) => !Object.is(v, -0))
    .map((value) => ({ type: "float" as const, value })),
  fc.boolean().map((value) => ({ type: "bool" as const, value })),
  timestamp.map((value) => ({ type: "timestamp" as const, value })),
  fc.uint8Array({ maxLength: 12 }).map((b) => ({ type: "hex" as const, value: Buffer.from(b).toString("hex") })),
  fc.uint8Array({ maxLength: 12 }).map((b) => ({ type: "binary" as const, value: Buffer.from(b).toString("base64") })),
);
const path: fc.Arbitrary<ObjectPath> = fc.record(
  {
    objectType: name,
    steps: fc
      .tuple(
        fc.string({ minLength: 1, maxLength: 10 }).map((property) => ({ property })),
        fc.array(
          fc.oneof(
            fc.string({ minLength: 1, maxLength: 10 }).map((property) => ({ property })),
            fc.oneof(fc.nat(1000), fc.constant("*" as const)).map((index) => ({ index })),
          ),
          { maxLength: 3 },
        ),
      )
      .map(([first, rest]) => [first, ...rest]),
  },
  { noNullPrototype: true },
);
const comparison: fc.Arbitrary<ComparisonExpression> = fc.oneof(
  fc.record(
    {
      kind: fc.constant("comparison" as const),
      path,
      negated: fc.boolean(),
      operator: fc.constantFrom("=" as const, "!=" as const),
      value: primitive,
    },
    { noNullPrototype: true },
  ),
  fc.record(
    {
      kind: fc.constant("comparison" as const),
      path,
      negated: fc.boolean(),
      operator: fc.constantFrom(">" as const, "<" as const, ">=" as const, "<=" as const),
      value: primitive.filter((v) => v.type !== "bool"),
    },
    { noNullPrototype: true },
  ),
  fc.record(
    {
      kind: fc.constant("comparison" as const),
      path,
      negated: fc.boolean(),
      operator: fc.constantFrom("LIKE" as const, "MATCHES" as const, "ISSUBSET" as const, "ISSUPERSET" as const),
      value: fc.string().map((value) => ({ type: "string" as const, value })),
    },
    { noNullPrototype: true },
  ),
  fc.record(
    {
      kind: fc.constant("comparison" as const),
      path,
      negated: fc.boolean(),
      operator: fc.constant("IN" as const),
      value: fc.array(primitive, { maxLength: 4 }).map((values) => ({ type: "set" as const, values })),
    },
    { noNullPrototype: true },
  ),
  fc.record({ kind: fc.constant("exists" as const), path }, { noNullPrototype: true }),
);
const { comparisonTree } = fc.letrec<{ comparisonTree: ComparisonExpression }>((tie) => ({
  comparisonTree: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    comparison,
    fc.record(
      {
        kind: fc.constantFrom("and" as const, "or" as const),
        operands: fc.array(tie("comparisonTree"), { minLength: 2, maxLength: 3 }),
      },
      { noNullPrototype: true },
    ),
  ),
}));
const qualifier = fc.oneof(
  fc.integer({ min: 1, max: 1e6 }).map((seconds) => ({ kind: "within" as const, seconds })),
  fc.integer({ min: 1, max: 1e6 }).map((times) => ({ kind: "repeats" as const, times })),
  fc.tuple(timestamp, timestamp).map(([start, stop]) => ({ kind: "start-stop" as const, start, stop })),
);
const { observationTree } = fc.letrec<{ observationTree: ObservationExpression }>((tie) => ({
  observationTree: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.record(
      {
        kind: fc.constant("observation" as const),
        comparison: comparisonTree,
        qualifiers: fc.array(qualifier, { maxLength: 2 }),
      },
      { noNullPrototype: true },
    ),
    fc.record(
      {
        kind: fc.constantFrom("and" as const, "or" as const, "followedby" as const),
        operands: fc.array(tie("observationTree"), { minLength: 2, maxLength: 3 }),
        qualifiers: fc.array(qualifier, { maxLength: 2 }),
      },
      { noNullPrototype: true },
    ),
  ),
}));

describe("property: the parser is exact and total", () => {
  test("printing any pattern tree and parsing it gives the same tree", () => {
    fc.assert(
      fc.property(observationTree, (tree) => {
        assert.deepEqual(parseStixPattern(printObservation(tree)), tree);
      }),
      { numRuns: 400 },
    );
  });

  test("any string either parses or is a typed STIX error", () => {
    const isTyped = (e: unknown): boolean =>
      (e instanceof ScanFormatError && e.code === "SCAN_BAD_STIX") || e instanceof ScanLimitError;
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        try {
          parseStixPattern(s);
        } catch (e) {
          assert.ok(isTyped(e), String(e));
        }
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(observationTree, fc.nat(), fc.string({ maxLength: 3 }), (tree, at, junk) => {
        const text = printObservation(tree);
        const k = at % (text.length + 1);
        try {
          parseStixPattern(text.slice(0, k) + junk + text.slice(k + 1));
        } catch (e) {
          assert.ok(isTyped(e), String(e));
        }
      }),
      { numRuns: 1000 },
    );
  });
});
