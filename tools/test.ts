// `npm test`: every project's tests through Nx. First it makes sure the machine has the programs
// the tests run (redis-server and redis-cli, OpenSSH, openssl, unshare, ip): as root it installs
// what is missing with apt-get and says so in one line; as anyone else it stops at once, naming
// what to install.
// Tests need Redis; like `demo` and `up`, this uses REDIS_URL, else 127.0.0.1:6379 when it
// answers, else a private redis-server from PATH that is stopped afterwards. When every test
// passed, the Redis Cluster pass (tools/cluster-pass.ts) runs some of them again on a cluster.
import { spawn } from 'node:child_process';
import { ensureRedis } from '@callintake/runtime';
import { runClusterPass } from './cluster-pass';
import { provisionTestMachine, REDIS_CLUSTER_TOOLS, TEST_TOOLS } from '@callintake/testing';

const provisioned = await provisionTestMachine({ tools: [...TEST_TOOLS, ...REDIS_CLUSTER_TOOLS] });
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
let code = await new Promise<number>((resolve) => nx.on('exit', (exitCode) => resolve(exitCode ?? 1)));
// The cluster pass runs with the whole suite, not with a chosen part (`npm test -- --projects …`).
if (code === 0 && process.argv.length <= 2)
  code = await runClusterPass({ ...process.env, REDIS_URL: redis.url });
await redis.stop?.();
process.exit(code);
