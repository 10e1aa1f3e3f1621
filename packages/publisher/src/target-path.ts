import { LOG_PROOF_SUFFIX } from "@bulwark/tlog";
import { PUBLISHER_ERRORS, PublisherError } from "./errors.js";

/**
 * Checks a target path a vendor chose: relative, `/`-separated, no empty, `.` or `..`
 * segment, no backslash or control character. Such paths are safe as URLs and file names
 * for every client.
 * @throws {PublisherError} `BAD_TARGET_PATH`
 */
export function checkTargetPath(p: string): string {
  const bad = (why: string): never => {
    throw new PublisherError(PUBLISHER_ERRORS.BAD_TARGET_PATH, `the target path ${JSON.stringify(p)} ${why}`);
  };
  if (p === "") bad("is empty");
  if (p.startsWith("/")) bad("is absolute; target paths are relative to the repository");
  if (p.includes("\\")) bad("contains a backslash");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(p)) bad("contains a control character");
  if (!p.isWellFormed()) bad("is not well-formed Unicode");
  for (const seg of p.split("/")) {
    if (seg === "") bad("has an empty segment");
    if (seg === "." || seg === "..") bad(`has a "${seg}" segment`);
  }
  if (p.length > 1024) bad("is longer than 1024 characters");
  // A release's log proof is published as <path>.tlog-proof: no target may take that name.
  if (p.endsWith(LOG_PROOF_SUFFIX)) bad(`ends in ${LOG_PROOF_SUFFIX}, the name of a release's log proof`);
  return p;
}

/**
 * A release name: letters, digits, `.`, `_`, `-`, not starting with `.` or `-`.
 * @throws {PublisherError} `BAD_NAME`
 */
export function checkReleaseName(name: string): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(name)) {
    throw new PublisherError(
      PUBLISHER_ERRORS.BAD_NAME,
      `--name ${JSON.stringify(name)} must be letters, digits, ".", "_" or "-", starting with a letter, digit or "_"`,
    );
  }
  return name;
}
