/**
 * A small, safe, non-validating XML 1.0 reader for update feeds (Sparkle appcasts, RSS).
 * It refuses what makes XML parsers dangerous rather than handling it: any DTD
 * (`<!DOCTYPE`) or entity declaration (`<!ENTITY`) is an error, so no entity is ever
 * expanded (billion laughs, external entities); only the five predefined entities and
 * character references are read. It is iterative (an explicit stack, no recursion), and
 * bounds depth, node count, attributes and size ({@link XML_LIMITS}). Namespaces are
 * resolved, so `sparkle:edSignature` is found whatever prefix a feed binds.
 */
import { decodeUtf8, FEED_ERRORS, FeedFormatError } from "./errors.js";

/** An attribute, with its namespace resolved (unprefixed attributes have none). */
export interface XmlAttribute {
  readonly name: string;
  readonly ns: string;
  readonly local: string;
  readonly value: string;
}

/** An element: its qualified name as written, its resolved namespace, attributes and children. */
export interface XmlElement {
  readonly name: string;
  readonly ns: string;
  readonly local: string;
  readonly attributes: readonly XmlAttribute[];
  readonly children: Array<XmlElement | string>;
  /** 1-based line of its start tag, for evidence. */
  readonly line: number;
}

/** A parsed document: its root element and every comment, in order. */
export interface XmlDocument {
  readonly root: XmlElement;
  readonly comments: ReadonlyArray<{ readonly text: string; readonly line: number }>;
}

/** Bounds of {@link readXml}. */
export type XmlLimits = Record<keyof typeof XML_LIMITS, number>;

/** Bounds of {@link readXml}, each a named default. */
export const XML_LIMITS = {
  /** Characters in the document. */
  maxChars: 8 * 1024 * 1024,
  /** Nested elements. */
  maxDepth: 64,
  /** Elements, text runs and comments together. */
  maxNodes: 200_000,
  /** Attributes on one element. */
  maxAttributes: 64,
} as const;

const XML_NS = "http://www.w3.org/XML/1998/namespace";
const NAME =
  /[A-Za-z_\u00C0-\uFFFF][A-Za-z0-9_.\-\u00B7\u00C0-\uFFFF]*(?::[A-Za-z_\u00C0-\uFFFF][A-Za-z0-9_.\-\u00B7\u00C0-\uFFFF]*)?/y;
const PREDEFINED: Readonly<Record<string, string>> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

interface Open {
  readonly element: XmlElement;
  readonly scope: ReadonlyMap<string, string>;
}

/**
 * Reads an XML document.
 * @throws {FeedFormatError} `AUDIT_XML_ENTITY_REFUSED` for a DTD or entity declaration,
 * `AUDIT_BAD_XML`, `AUDIT_TOO_DEEP`, `AUDIT_TOO_LARGE` or `AUDIT_BAD_ENCODING`.
 */
export function readXml(input: string | Uint8Array, limits: Partial<XmlLimits> = {}): XmlDocument {
  const text = typeof input === "string" ? input : decodeUtf8(input);
  return new XmlReader(text.replace(/^\uFEFF/, ""), { ...XML_LIMITS, ...limits }).read();
}

class XmlReader {
  private pos = 0;
  private nodes = 0;
  private lineCursor = { pos: 0, line: 1 };
  private readonly comments: Array<{ text: string; line: number }> = [];

  constructor(
    private readonly s: string,
    private readonly limits: XmlLimits,
  ) {
    if (s.length > limits.maxChars)
      this.fail(FEED_ERRORS.TOO_LARGE, `more than ${limits.maxChars} characters (bound maxChars)`);
  }

  read(): XmlDocument {
    this.declaration();
    const stack: Open[] = [];
    let root: XmlElement | undefined;
    const s = this.s;
    while (this.pos < s.length) {
      const lt = s.indexOf("<", this.pos);
      if (lt !== this.pos) {
        const end = lt < 0 ? s.length : lt;
        const raw = s.slice(this.pos, end);
        const parent = stack[stack.length - 1];
        if (parent === undefined) {
          if (raw.trim() !== "") this.fail(FEED_ERRORS.XML, "text outside the root element");
        } else this.addText(parent.element, this.decode(raw, false));
        this.pos = end;
        continue;
      }
      if (s.startsWith("<!--", lt)) this.comment();
      else if (s.startsWith("<![CDATA[", lt)) {
        const parent = stack[stack.length - 1];
        if (parent === undefined) this.fail(FEED_ERRORS.XML, "CDATA outside the root element");
        const close = s.indexOf("]]>", lt + 9);
        if (close < 0) this.fail(FEED_ERRORS.XML, "unterminated CDATA section");
        this.addText(parent.element, s.slice(lt + 9, close));
        this.pos = close + 3;
      } else if (/^<!(?:DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i.test(s.slice(lt, lt + 10))) {
        this.pos = lt;
        const construct = /^<!([A-Za-z]+)/.exec(s.slice(lt, lt + 10))?.[1]?.toUpperCase() ?? "DOCTYPE";
        const entities = s.slice(lt, lt + 65536).includes("<!ENTITY") ? ", with entity declarations" : "";
        this.fail(
          FEED_ERRORS.XML_ENTITY,
          `entity expansion refused: the document declares <!${construct}${entities}; DTDs are refused and no entity is ever expanded (billion laughs, external entities)`,
        );
      } else if (s.startsWith("<!", lt)) this.fail(FEED_ERRORS.XML, "unsupported markup declaration");
      else if (s.startsWith("<?", lt)) this.processingInstruction();
      else if (s.startsWith("</", lt)) {
        const open = stack.pop();
        this.pos = lt + 2;
        const name = this.name();
        this.skipSpace();
        if (s[this.pos] !== ">") this.fail(FEED_ERRORS.XML, "expected > to end the end tag");
        this.pos++;
        if (open === undefined || open.element.name !== name) {
          this.fail(
            FEED_ERRORS.XML,
            `end tag </${name}> does not match ${open ? `<${open.element.name}>` : "any open element"}`,
          );
        }
      } else {
        if (root !== undefined && stack.length === 0) this.fail(FEED_ERRORS.XML, "more than one root element");
        const parent = stack[stack.length - 1];
        if (stack.length >= this.limits.maxDepth) {
          this.fail(
            FEED_ERRORS.TOO_DEEP,
            `elements nested deeper than ${this.limits.maxDepth} levels (bound maxDepth)`,
          );
        }
        const { open, selfClosing } = this.startTag(parent?.scope ?? new Map([["xml", XML_NS]]));
        if (parent === undefined) root = open.element;
        else parent.element.children.push(open.element);
        if (!selfClosing) stack.push(open);
      }
    }
    const unclosed = stack.pop();
    if (unclosed !== undefined) this.fail(FEED_ERRORS.XML, `<${unclosed.element.name}> is never closed`);
    if (root === undefined) this.fail(FEED_ERRORS.XML, "no root element");
    return { root, comments: this.comments };
  }

  private declaration(): void {
    if (!this.s.startsWith("<?xml") || !/\s/.test(this.s[5] ?? "")) return;
    const end = this.s.indexOf("?>");
    if (end < 0) this.fail(FEED_ERRORS.XML, "unterminated XML declaration");
    const encoding = /encoding\s*=\s*["']([^"']*)["']/.exec(this.s.slice(0, end))?.[1];
    if (encoding !== undefined && !/^(?:utf-8|utf8|us-ascii)$/i.test(encoding)) {
      this.fail(FEED_ERRORS.ENCODING, `encoding ${JSON.stringify(encoding)} is not supported (only UTF-8)`);
    }
    this.pos = end + 2;
  }

  private comment(): void {
    const start = this.pos;
    const end = this.s.indexOf("-->", start + 4);
    if (end < 0) this.fail(FEED_ERRORS.XML, "unterminated comment");
    this.count();
    this.comments.push({ text: this.s.slice(start + 4, end), line: this.lineOf(start) });
    this.pos = end + 3;
  }

  private processingInstruction(): void {
    const end = this.s.indexOf("?>", this.pos + 2);
    if (end < 0) this.fail(FEED_ERRORS.XML, "unterminated processing instruction");
    if (/^<\?xml(?:\s|\?)/i.test(this.s.slice(this.pos, this.pos + 6))) {
      this.fail(FEED_ERRORS.XML, "an XML declaration is only allowed at the very start");
    }
    this.pos = end + 2;
  }

  private startTag(parentScope: ReadonlyMap<string, string>): { open: Open; selfClosing: boolean } {
    const line = this.lineOf(this.pos);
    this.pos++;
    const name = this.name();
    const raw: Array<{ name: string; value: string }> = [];
    for (;;) {
      const hadSpace = this.skipSpace();
      const c = this.s[this.pos];
      if (c === ">" || (c === "/" && this.s[this.pos + 1] === ">")) break;
      if (c === undefined) this.fail(FEED_ERRORS.XML, `unterminated start tag <${name}>`);
      if (!hadSpace) this.fail(FEED_ERRORS.XML, "expected white space between attributes");
      const attrName = this.name();
      this.skipSpace();
      if (this.s[this.pos] !== "=") this.fail(FEED_ERRORS.XML, `attribute ${attrName} has no value`);
      this.pos++;
      this.skipSpace();
      const q = this.s[this.pos];
      if (q !== '"' && q !== "'") this.fail(FEED_ERRORS.XML, `attribute ${attrName} must be quoted`);
      const end = this.s.indexOf(q, this.pos + 1);
      if (end < 0) this.fail(FEED_ERRORS.XML, `unterminated value of attribute ${attrName}`);
      const value = this.s.slice(this.pos + 1, end);
      if (value.includes("<")) this.fail(FEED_ERRORS.XML, `attribute ${attrName} contains <`);
      if (raw.some((a) => a.name === attrName)) this.fail(FEED_ERRORS.XML, `duplicate attribute ${attrName}`);
      if (raw.length >= this.limits.maxAttributes) {
        this.fail(
          FEED_ERRORS.TOO_LARGE,
          `more than ${this.limits.maxAttributes} attributes on <${name}> (bound maxAttributes)`,
        );
      }
      raw.push({ name: attrName, value: this.decode(value, true) });
      this.pos = end + 1;
    }
    const selfClosing = this.s[this.pos] === "/";
    this.pos += selfClosing ? 2 : 1;
    this.count();
    const scope = new Map(parentScope);
    for (const a of raw) {
      if (a.name === "xmlns") scope.set("", a.value);
      else if (a.name.startsWith("xmlns:")) scope.set(a.name.slice(6), a.value);
    }
    const resolve = (qname: string, isAttribute: boolean): { ns: string; local: string } => {
      const colon = qname.indexOf(":");
      if (colon < 0) return { ns: isAttribute ? "" : (scope.get("") ?? ""), local: qname };
      const prefix = qname.slice(0, colon);
      const ns = prefix === "xmlns" ? "http://www.w3.org/2000/xmlns/" : scope.get(prefix);
      if (ns === undefined) this.fail(FEED_ERRORS.XML, `namespace prefix ${prefix} is not declared`);
      return { ns, local: qname.slice(colon + 1) };
    };
    const attributes = raw.map((a) => ({ name: a.name, ...resolve(a.name, true), value: a.value }));
    const element: XmlElement = { name, ...resolve(name, false), attributes, children: [], line };
    return { open: { element, scope }, selfClosing };
  }

  private name(): string {
    NAME.lastIndex = this.pos;
    const m = NAME.exec(this.s);
    if (m === null) this.fail(FEED_ERRORS.XML, "expected a name");
    if (m[0].length > 1024) this.fail(FEED_ERRORS.TOO_LARGE, "a name longer than 1024 characters (bound on names)");
    this.pos += m[0].length;
    return m[0];
  }

  private skipSpace(): boolean {
    const start = this.pos;
    while (" \t\r\n".includes(this.s[this.pos] ?? "x")) this.pos++;
    return this.pos > start;
  }

  private addText(parent: XmlElement, text: string): void {
    const last = parent.children.length - 1;
    if (typeof parent.children[last] === "string") parent.children[last] += text;
    else {
      this.count();
      parent.children.push(text);
    }
  }

  /** Replaces the predefined entities and character references; refuses any other entity. */
  private decode(raw: string, attribute: boolean): string {
    if (raw.includes("]]>")) this.fail(FEED_ERRORS.XML, "]]> is not allowed in text");
    let out = "";
    let i = 0;
    while (i < raw.length) {
      const amp = raw.indexOf("&", i);
      const chunk = raw.slice(i, amp < 0 ? raw.length : amp);
      out += attribute ? chunk.replace(/[\t\r\n]/g, " ") : chunk;
      if (amp < 0) break;
      const semi = raw.indexOf(";", amp);
      const ref = semi < 0 || semi - amp > 12 ? "" : raw.slice(amp + 1, semi);
      let cp = -1;
      if (/^#[0-9]{1,7}$/.test(ref)) cp = Number(ref.slice(1));
      else if (/^#x[0-9a-fA-F]{1,6}$/.test(ref)) cp = Number.parseInt(ref.slice(2), 16);
      if (Object.hasOwn(PREDEFINED, ref)) out += PREDEFINED[ref];
      else if (isXmlChar(cp)) out += String.fromCodePoint(cp);
      else if (/^[A-Za-z_][\w.-]*$/.test(ref)) {
        this.fail(
          FEED_ERRORS.XML_ENTITY,
          `entity expansion refused: &${ref}; is not one of XML's five predefined entities`,
        );
      } else this.fail(FEED_ERRORS.XML, "a bare & (write &amp;) or a bad character reference");
      i = semi + 1;
    }
    return out;
  }

  private count(): void {
    if (++this.nodes > this.limits.maxNodes)
      this.fail(
        FEED_ERRORS.TOO_LARGE,
        `more than ${this.limits.maxNodes} elements, text runs and comments (bound maxNodes)`,
      );
  }

  private lineOf(pos: number): number {
    const c = this.lineCursor;
    if (pos < c.pos) Object.assign(c, { pos: 0, line: 1 });
    for (let i = c.pos; i < pos; i++) if (this.s.charCodeAt(i) === 10) c.line++;
    c.pos = pos;
    return c.line;
  }

  private fail(code: (typeof FEED_ERRORS)[keyof typeof FEED_ERRORS], message: string): never {
    throw new FeedFormatError(code, `XML: ${message}`, this.lineOf(Math.min(this.pos, this.s.length)));
  }
}

function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/** The child elements of `el` named `{ns}local`. */
export function childElements(el: XmlElement, ns: string, local: string): XmlElement[] {
  return el.children.filter((c): c is XmlElement => typeof c !== "string" && c.ns === ns && c.local === local);
}

/** The first child element named `{ns}local`. */
export function childElement(el: XmlElement, ns: string, local: string): XmlElement | undefined {
  return childElements(el, ns, local)[0];
}

/** The value of attribute `{ns}local`. */
export function attribute(el: XmlElement, ns: string, local: string): string | undefined {
  return el.attributes.find((a) => a.ns === ns && a.local === local)?.value;
}

/** The text content of `el` and its descendants, trimmed. */
export function textOf(el: XmlElement): string {
  let out = "";
  const stack: Array<XmlElement | string> = [el];
  while (stack.length > 0) {
    const node = stack.pop() as XmlElement | string;
    if (typeof node === "string") out += node;
    else for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i] as XmlElement | string);
  }
  return out.trim();
}

/** Every descendant element of `el` (not `el` itself), document order. */
export function descendants(el: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  const stack: XmlElement[] = [el];
  while (stack.length > 0) {
    const node = stack.pop() as XmlElement;
    if (node !== el) out.push(node);
    for (let i = node.children.length - 1; i >= 0; i--) {
      const c = node.children[i];
      if (c !== undefined && typeof c !== "string") stack.push(c);
    }
  }
  return out;
}
