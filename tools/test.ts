// `npm test`: every project's tests through Nx. First it makes sure the machine has the programs
// the tests run (redis-server, OpenSSH, openssl, unshare, ip): as root it installs what is missing
// with apt-get and says so in one line; as anyone else it stops at once, naming what to install.
// Tests need Redis; like `demo` and `up`, this uses REDIS_URL, else 127.0.0.1:6379 when it
// answers, else a private redis-server from PATH that is stopped afterwards.
import { spawn } from 'node:child_process';
import { ensureRedis } from '@callintake/runtime';
import { provisionTestMachine } from '@callintake/testing';

const provisioned = await provisionTestMachine();
if (!provisioned.ok) {
  console.error(provisioned.message);
  process.exit(1);
}
if (provisioned.installed.length > 0) {
  console.log(`npm test: installed ${provisioned.installed.join(' ')} with apt-get (the tests run them)`);
}

const redis = await ensureRedis();
if (redis.stop)
  console.log(`npm test: no Redis at the default address; started a private one at ${redis.url}`);
const nx = spawn('npx', ['nx', 'run-many', '-t', 'test', '--outputStyle=static', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, REDIS_URL: redis.url, NX_DAEMON: process.env['NX_DAEMON'] ?? 'false' },
});
const code = await new Promise<number>((resolve) => nx.on('exit', (exitCode) => resolve(exitCode ?? 1)));
await redis.stop?.();
process.exit(code);
