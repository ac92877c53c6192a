// Start-up checks that fail loudly: a Redis that may evict keys (jobs and file states would
// vanish) stops a service at start unless REDIS_ALLOW_EVICTION=1, and an SFTP tenant without a
// pinned host key is warned about. Against private redis-servers started with the policy.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { parseTenantsFile, type TenantConfig } from '@callintake/schemas';
import { readEvictionPolicy } from '@callintake/state';
import { createLogger, type Logger } from '@callintake/telemetry';
import { localTenant, spawnService, tempDir, uniqueNamespace } from '@callintake/testing';
import { startPrivateRedis, type RedisEndpoint } from './redis-bootstrap';
import { Runtime } from './runtime';
import { checkEvictionPolicy, StartupCheckError } from './startup-checks';

function capturingLogger(): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const lines: string[] = [];
  const logger = createLogger(
    { service: 'test', level: 'info' },
    { write: (line: string) => lines.push(line) },
  );
  return { logger, lines: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

let lru: RedisEndpoint;
let lruNoConfig: RedisEndpoint;
let dir: Awaited<ReturnType<typeof tempDir>>;
let tenant: TenantConfig;
let tenantsFile: string;

before(async () => {
  [lru, lruNoConfig, dir] = await Promise.all([
    startPrivateRedis('redis-server', { extraArgs: ['--maxmemory-policy', 'allkeys-lru'] }),
    // Managed Redis services disable CONFIG: the policy is read from INFO memory instead.
    startPrivateRedis('redis-server', {
      extraArgs: ['--maxmemory-policy', 'volatile-ttl', '--rename-command', 'CONFIG', '""'],
    }),
    tempDir('startup-checks'),
  ]);
  tenant = localTenant(dir.path);
  tenantsFile = join(dir.path, 'tenants.yaml');
  await writeFile(
    tenantsFile,
    'tenants:\n  - id: acme\n    source: { kind: local, root: upload }\n    archive: { kind: local, root: archive }\n',
  );
});

after(async () => {
  await Promise.all([lru.stop?.(), lruNoConfig.stop?.(), dir.remove()]);
});

const envFor = (redis: RedisEndpoint, extra: Record<string, string> = {}) => ({
  REDIS_URL: redis.url,
  REDIS_NAMESPACE: uniqueNamespace('startup'),
  ...extra,
});

describe('Redis eviction policy', () => {
  it('refuses to start, saying why and how to fix it, when Redis may evict keys', async () => {
    await assert.rejects(
      Runtime.create({
        service: 'test',
        env: envFor(lru),
        tenants: [tenant],
        logger: capturingLogger().logger,
      }),
      (error: unknown) => {
        assert.ok(error instanceof StartupCheckError);
        assert.match(error.message, /maxmemory-policy is allkeys-lru/);
        assert.match(error.message, /CONFIG SET maxmemory-policy noeviction/);
        assert.match(error.message, /redis\.conf/);
        assert.match(error.message, /REDIS_ALLOW_EVICTION=1/);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      },
    );
  });

  it('starts with one warning when REDIS_ALLOW_EVICTION=1', async () => {
    const { logger, lines } = capturingLogger();
    const runtime = await Runtime.create({
      service: 'test',
      env: envFor(lru, { REDIS_ALLOW_EVICTION: '1' }),
      tenants: [tenant],
      logger,
    });
    await runtime.close();
    const warnings = lines().filter((line) => String(line['msg']).includes('maxmemory-policy'));
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.['level'], 40);
    assert.match(String(warnings[0]?.['msg']), /allkeys-lru, not noeviction/);
  });

  it('reads the policy from INFO memory where CONFIG is disabled', async () => {
    const { logger } = capturingLogger();
    await assert.rejects(
      Runtime.create({ service: 'test', env: envFor(lruNoConfig), tenants: [tenant], logger }),
      /maxmemory-policy is volatile-ttl/,
    );
  });

  it('warns once and starts when neither CONFIG GET nor INFO answers', async () => {
    const refused = async () => {
      throw new Error("ERR unknown command 'CONFIG'");
    };
    const redis = { config: refused, info: refused } as unknown as Redis;
    assert.equal(await readEvictionPolicy(redis), undefined);
    const { logger, lines } = capturingLogger();
    await checkEvictionPolicy(redis, { allowEviction: false, logger });
    assert.equal(lines().length, 1);
    assert.match(String(lines()[0]?.['msg']), /could not read Redis maxmemory-policy/);
  });

  it('is one line on stderr and exit 1 for a service process', async () => {
    const service = spawnService('matcher', {
      ...envFor(lru),
      INGEST_TENANTS: tenantsFile,
      LOG_LEVEL: 'warn',
    });
    const code = await new Promise<number | null>((resolve) => service.child.once('exit', resolve));
    assert.equal(code, 1);
    const lines = service.output().trim().split('\n');
    assert.equal(lines.length, 1, service.output());
    assert.match(lines[0] ?? '', /^matcher: Redis maxmemory-policy is allkeys-lru: .*noeviction/);
  });
});

describe('SFTP host keys', () => {
  it('warns once at start for each SFTP tenant without hostKeySha256, naming it and no secret', async () => {
    const parsed = parseTenantsFile({
      tenants: [
        {
          id: 'unpinned',
          source: { kind: 'sftp', host: 'sftp.example.com', username: 'u', passwordEnv: 'TEST_SFTP_PW' },
          archive: { kind: 'local', root: dir.path },
        },
        {
          id: 'pinned',
          source: {
            kind: 'sftp',
            host: 'sftp.example.com',
            username: 'u',
            passwordEnv: 'TEST_SFTP_PW',
            hostKeySha256: `SHA256:${'A'.repeat(43)}`,
          },
          archive: { kind: 'local', root: dir.path },
        },
      ],
    });
    assert.ok(parsed.ok);
    const { logger, lines } = capturingLogger();
    process.env['TEST_SFTP_PW'] = 'hunter2-secret';
    try {
      const runtime = await Runtime.create({
        service: 'test',
        env: { REDIS_URL: lruNoConfig.url, REDIS_ALLOW_EVICTION: '1' },
        tenants: parsed.value.tenants,
        logger,
      });
      await runtime.close();
    } finally {
      delete process.env['TEST_SFTP_PW'];
    }
    const warnings = lines().filter((line) => String(line['msg']).includes('hostKeySha256'));
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.['tenant'], 'unpinned');
    assert.match(String(warnings[0]?.['msg']), /tenant unpinned: its SFTP source has no hostKeySha256/);
    assert.doesNotMatch(JSON.stringify(lines()), /hunter2/);
  });
});
