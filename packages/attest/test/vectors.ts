/** The test vectors in `../shared/vectors/`: the one helper, shared from @bulwark/tuf's tests. */
export * from "@bulwark/tuf/test/vectors";
