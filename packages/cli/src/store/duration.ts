// The duration helpers moved to @bulwark/publisher; this re-export keeps the audit and agent
// modules (rewritten by other work in progress) building until they import it from there.
export { describeRemaining, parseDuration } from "@bulwark/publisher";
