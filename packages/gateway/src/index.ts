/**
 * @bulwark/gateway: the organisation gateway. See docs/gateway.md.
 */

// Sources (issue 16 item 2): polling vendors' feeds, verifying and recording each release.
export * from "./sources/index.js";
