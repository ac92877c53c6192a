// Runs s3rver for tests in its own process, started by s3-server.ts with
// --openssl-legacy-provider: s3rver signs continuation tokens with DES, which OpenSSL 3 only
// offers through its legacy provider (without it, any listing past one page fails).
// Prints {"port":N} once listening; stops when stdin closes (the parent went away) or on SIGTERM.
import S3rver from 's3rver';

const directory = process.argv[2];
if (!directory) {
  process.stderr.write('usage: node --openssl-legacy-provider s3rver-child.mjs DATA_DIR\n');
  process.exit(2);
}

const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  // Clients keep connections alive; close them, or close() waits for them to idle out.
  server.httpServer.closeAllConnections();
  server.close().finally(() => process.exit(0));
}
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
