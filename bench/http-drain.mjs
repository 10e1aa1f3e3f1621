// Loopback HTTP limit: downloads one URL with node:http, discards the bytes, and prints
// one JSON line { bytes, ms } timed from the request to the last byte.
import http from "node:http";

const url = process.argv[2];
const started = performance.now();
http.get(url, (res) => {
  let bytes = 0;
  res.on("data", (chunk) => {
    bytes += chunk.length;
  });
  res.on("end", () => {
    process.stdout.write(`${JSON.stringify({ bytes, ms: performance.now() - started })}\n`);
  });
});
