// `npm run demo -- --exit` as a new user runs it: once with the machine's Redis, and once in a
// network namespace where nothing answers at 127.0.0.1:6379, so the demo must start its own
// redis-server from PATH (CONTRACT "Set-up and commands").
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir, WORKSPACE_ROOT } from '@callintake/testing';

let dir: Awaited<ReturnType<typeof tempDir>>;
before(async () => (dir = await tempDir('demo')));
after(async () => dir.remove());

function runDemo(prefix: string[] = []) {
  const command = [
    ...prefix,
    process.execPath,
    '--import',
    'tsx',
    join(WORKSPACE_ROOT, 'apps/ingest/src/main.ts'),
    'demo',
    '--exit',
  ];
  const env: NodeJS.ProcessEnv = { ...process.env, DEMO_DIR: join(dir.path, 'demo'), STATUS_PORT: '0' };
  delete env['REDIS_URL'];
  delete env['REDIS_NAMESPACE'];
  return spawnSync(command[0] as string, command.slice(1), {
    cwd: WORKSPACE_ROOT,
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
}

describe('npm run demo -- --exit', () => {
  it('makes every sample call ready and exits 0', () => {
    const result = runDemo();
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /All 4 calls are ready\./);
    assert.match(result.stdout, /rejected: notes\.txt: unsupported-type/);
    assert.match(result.stdout, /Status API: http:\/\/127\.0\.0\.1:\d+/);
  });

  it('starts a private redis-server when nothing answers at the default address', () => {
    // A fresh network namespace has only a loopback, with nothing listening on it. A non-root
    // user gets one inside a user namespace of its own.
    const asUser = process.getuid?.() === 0 ? [] : ['--user', '--map-root-user'];
    const result = runDemo([
      'unshare',
      ...asUser,
      '--net',
      'sh',
      '-c',
      'ip link set lo up && exec "$0" "$@"',
    ]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /Redis: private redis-server at redis:\/\/127\.0\.0\.1:\d+/);
    assert.match(result.stdout, /All 4 calls are ready\./);
  });
});
