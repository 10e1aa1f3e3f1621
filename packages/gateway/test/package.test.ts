import assert from "node:assert/strict";
import { test } from "node:test";
import * as gateway from "../src/index.js";

test("the gateway package loads", () => {
  assert.equal(typeof gateway, "object");
});
