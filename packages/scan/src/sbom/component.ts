/** A piece of software found in a release: an npm package or a native library. */
export interface Component {
  readonly type: "npm" | "library";
  readonly name: string;
  readonly version?: string | undefined;
  /** Where in the release it was found (its package.json, or the library file). */
  readonly file: string;
  /** SHA-256 of the library file (or the package.json), lowercase hex. */
  readonly sha256?: string | undefined;
}

// purl-spec: every character outside the unreserved set is percent-encoded in a segment.
function encodeSegment(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The package URL of a component: `pkg:npm/%40scope/name@1.2.3` or `pkg:generic/libfoo@1.2`. */
export function purlOf(c: Component): string {
  const version = c.version === undefined ? "" : `@${encodeSegment(c.version)}`;
  if (c.type === "library") return `pkg:generic/${encodeSegment(c.name)}${version}`;
  const slash = c.name.startsWith("@") ? c.name.indexOf("/") : -1;
  const path =
    slash === -1
      ? encodeSegment(c.name)
      : `${encodeSegment(c.name.slice(0, slash))}/${encodeSegment(c.name.slice(slash + 1))}`;
  return `pkg:npm/${path}${version}`;
}
