/**
 * Serves one registered entry point with functions-framework's own server, bound to loopback.
 * The framework's CLI always listens on every interface; a development stack on a laptop should
 * not be reachable from the network. Usage: node serve-function.js SOURCE TARGET PORT
 */
import { pathToFileURL } from "node:url";
import { getTestServer } from "@google-cloud/functions-framework/testing";

const [source, target, port] = process.argv.slice(2);
if (!source || !target || !port) {
  process.stderr.write("usage: serve-function SOURCE TARGET PORT\n");
  process.exit(2);
}
// Importing the composition root registers both entry points and parses the configuration.
await import(pathToFileURL(source).href);
const server = getTestServer(target);
server.listen(Number(port), "127.0.0.1", () => {
  process.stdout.write(`Serving ${target} on http://127.0.0.1:${port}/\n`);
});
const close = () => server.close(() => process.exit(0));
// Nothing can catch a SIGKILL of the stack: when it is gone (we are re-parented), go too.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 1000).unref();
process.once("SIGTERM", close);
process.once("SIGINT", close);
