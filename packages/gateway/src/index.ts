/**
 * @bulwark/gateway: the organisation gateway. See docs/gateway.md.
 */
export {};
