/**
 * Checks of the files an electron-updater feed lists that only a hand-edited or hostile
 * feed fails: legacy fields that disagree with `files`, and installer names built for the
 * 2020 signature-check bypass.
 */
import type { ElectronFeed, FeedFile } from "./electron.js";
import { type Finding, finding } from "./finding.js";

/**
 * The legacy top-level `path`/`sha512` name a file of `files` and its digest, as
 * electron-builder writes them; older electron-updater versions read only these, so a
 * disagreement serves old clients a different file than new ones.
 */
export function legacyMismatch(feed: ElectronFeed): Finding[] {
  const { legacy } = feed;
  if (legacy === undefined) return [];
  const same = feed.files.find((f) => f.url === legacy.path);
  const digestDiffers = same !== undefined && legacy.sha512 !== undefined && same.sha512 !== legacy.sha512;
  if (same !== undefined && !digestDiffers) return [];
  return [
    finding(
      "electron.legacy-mismatch",
      "medium",
      same === undefined
        ? `the legacy top-level path ${legacy.path} is not one of the files: clients that read path (older electron-updater versions) get a different file than the others`
        : `the legacy top-level sha512 of ${legacy.path} differs from the one in files: clients that read it (older electron-updater versions) check a different digest`,
      `path: ${legacy.path}${legacy.sha512 === undefined ? "" : `, sha512: ${legacy.sha512.slice(0, 16)}…`}`,
      "Was the feed edited by hand after electron-builder wrote it? Which file do old clients install?",
      legacy.path,
    ),
  ];
}

/** Characters a shell or PowerShell gives a meaning to, and control characters. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters have no place in a file name
const SHELL_META = /['"`$;&|<>\u0000-\u001f]/;

/** The file name a download is saved under: the URL's last path segment, decoded. */
function fileNameOf(url: string): string {
  const pathPart = url.replace(/[?#].*$/, "");
  const segment = pathPart.slice(pathPart.lastIndexOf("/") + 1);
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * Installer names with quotes or shell characters: older electron-updater passed the
 * downloaded file's name unescaped to the PowerShell command that checks its Authenticode
 * signature, and a quote made that check fail open (the 2020 signature-validation bypass).
 */
export function unsafeFileNames(files: readonly FeedFile[]): Finding[] {
  return files
    .filter((f) => SHELL_META.test(fileNameOf(f.url)))
    .slice(0, 3)
    .map((f) =>
      finding(
        "electron.unsafe-file-name",
        "high",
        `the installer's file name ${JSON.stringify(fileNameOf(f.url))} holds quote or shell characters: older electron-updater versions passed it unescaped to the PowerShell signature check, which then failed open (the 2020 signature-validation bypass)`,
        `${f.where}.url: ${f.url}`,
        "Why does the file name hold these characters, and does the app ship electron-updater from electron-builder 22.3.5 or later (February 2020), where the bypass was fixed?",
        f.url,
      ),
    );
}
