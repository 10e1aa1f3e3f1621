/**
 * @bulwark/testkit: the helpers every package's tests share. Private to this repository;
 * never published. Release listings for client tests are in `@bulwark/testkit/releases`
 * (apart, so the lower packages' tests never load @bulwark/client).
 */
export { b64, hex, toB64, toHex } from "./bytes.js";
export {
  type DistFeed,
  type DistFile,
  desktopFeeds,
  feedText,
  installerBytes,
  sha512Base64,
  writeElectronDist,
} from "./electron-dist.js";
export { listen, type Reply, rawRequest } from "./http.js";
export { documentedNginxSite, NGINX, type NginxSetup, startNginx, writeNginxConfig } from "./nginx.js";
export {
  METADATA_URL,
  type Override,
  RepositorySimulator,
  setup,
  TARGETS_URL,
  topLevelSigners,
} from "./simulator.js";
export { type StaticServer, serveFiles } from "./static-server.js";
export { type TestLike, tempDir } from "./temp.js";
export {
  describeVectors,
  listVectorFiles,
  REPO_ROOT,
  readVectorBytes,
  readVectorJson,
  readVectorJsonExact,
  SKIP_VECTORS,
  VECTORS_DIR,
  vectorPath,
} from "./vectors.js";
