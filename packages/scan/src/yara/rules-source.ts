/**
 * What the scan reads from YARA source itself: how many rules a file declares (the engine
 * does not say), and where a compiler diagnostic points.
 */

/** The source with comments and string literals blanked, line breaks kept. */
function blankCommentsAndStrings(source: string): string {
  let out = "";
  let i = 0;
  while (i < source.length) {
    const c = source[i] as string;
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      while (i < source.length && source[i] !== "\n") i++;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end === -1 ? source.length : end + 2;
      out += source.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
    } else if (c === '"') {
      out += " ";
      i++;
      while (i < source.length && source[i] !== '"' && source[i] !== "\n") i += source[i] === "\\" ? 2 : 1;
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

const RULE = /(?:^|[^\w$.])rule\s+[A-Za-z_]\w*\s*[:{]/g;

/** How many rules a YARA source declares. */
export function countRules(source: string): number {
  return blankCommentsAndStrings(source).match(RULE)?.length ?? 0;
}

/** The line and first line of text of a YARA-X diagnostic (`error[E009]: ... --> line:3:5`). */
export function diagnosticLocation(message: string): { line: number | undefined; text: string } {
  const at = /-->\s*line:(\d+):\d+/.exec(message);
  const text = (message.split("\n")[0] ?? message).replace(/^error\[\w+\]:\s*/, "");
  return { line: at === null ? undefined : Number(at[1]), text };
}
