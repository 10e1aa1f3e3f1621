/**
 * The specifications this package implements, pinned. Where a spec has no tagged version,
 * the C2SP commit the implementation and the test vectors were checked against is named.
 */
export const SPECIFICATIONS = {
  signedNote: "c2sp.org/signed-note@v1.0.0",
  tlogCheckpoint: "c2sp.org/tlog-checkpoint@v1.0.0",
  tlogCosignature: "c2sp.org/tlog-cosignature, cosignature/v1 Ed25519 (C2SP/C2SP@5ba5ee830903)",
  tlogTiles: "c2sp.org/tlog-tiles (C2SP/C2SP@5ba5ee830903)",
  tlogProof: "c2sp.org/tlog-proof@v1 (C2SP/C2SP@5ba5ee830903)",
  tlogWitness:
    "c2sp.org/tlog-witness add-checkpoint (C2SP/C2SP@055270b59288); GET <prefix>/<sha256(origin)>/checkpoint from the editor's draft",
  merkleTree: "RFC 6962 §2.1 (SHA-256)",
  subtreeProofs: "draft-ietf-plants-merkle-tree-certs subtrees (draft; transparency-dev/merkle@417fb0c31475 test data)",
} as const;
