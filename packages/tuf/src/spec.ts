/** The version of the TUF specification this package implements. */
export const SPECIFICATION_VERSION = "1.0.31";

/** Major versions of the spec this client accepts in `spec_version`. */
export const SUPPORTED_SPEC_MAJOR = "1";

/** The four top-level roles, in the order the spec names them. */
export const TOP_LEVEL_ROLE_NAMES = ["root", "timestamp", "snapshot", "targets"] as const;

/** A top-level role name. */
export type TopLevelRoleName = (typeof TOP_LEVEL_ROLE_NAMES)[number];
