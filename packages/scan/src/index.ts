/**
 * @bulwark/scan: layered scanning of a release before it is published or installed.
 * See docs/scan.md.
 */
export {};
