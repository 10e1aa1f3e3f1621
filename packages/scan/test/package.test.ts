import assert from "node:assert/strict";
import { test } from "node:test";
import * as scan from "../src/index.js";

test("the scan package loads", () => {
  assert.equal(typeof scan, "object");
});
