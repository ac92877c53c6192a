import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { commonEnv, ConfigError, loadEnv, statusApiEnv } from './env';
import { loadTenantsFile } from './tenants-file';
import { parseApiTokens, scopeAllows } from './tokens';

describe('environment', () => {
  it('applies defaults', () => {
    const env = loadEnv({ ...commonEnv, ...statusApiEnv }, {});
    assert.equal(env.REDIS_URL, 'redis://127.0.0.1:6379');
    assert.equal(env.STATUS_PORT, 3000);
    assert.equal(env.WORKER_CONCURRENCY, 4);
  });

  it('reports every bad variable at once and never shows a secret', () => {
    assert.throws(
      () =>
        loadEnv(
          { ...commonEnv, ...statusApiEnv },
          { REDIS_URL: 'http://secret@host', STATUS_PORT: '99999', LOG_LEVEL: 'loud' },
        ),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.problems.length, 3);
        assert.match(error.message, /REDIS_URL=\[redacted\]: expected redis:\/\//);
        assert.match(error.message, /STATUS_PORT="99999": expected a port number/);
        assert.match(error.message, /LOG_LEVEL="loud": expected one of/);
        assert.doesNotMatch(error.message, /secret@host/);
        return true;
      },
    );
  });
});

describe('job and Redis safety variables', () => {
  it('default to 8 attempts, a 1 s backoff, a 60 s lock and no eviction', () => {
    const env = loadEnv(commonEnv, {});
    assert.equal(env.JOB_ATTEMPTS, 8);
    assert.equal(env.JOB_BACKOFF_MS, 1_000);
    assert.equal(env.JOB_LOCK_MS, 60_000);
    assert.equal(env.REDIS_ALLOW_EVICTION, false);
    const set = loadEnv(commonEnv, {
      JOB_ATTEMPTS: '3',
      JOB_BACKOFF_MS: '250',
      JOB_LOCK_MS: '5000',
      REDIS_ALLOW_EVICTION: '1',
    });
    assert.deepEqual(
      [set.JOB_ATTEMPTS, set.JOB_BACKOFF_MS, set.JOB_LOCK_MS, set.REDIS_ALLOW_EVICTION],
      [3, 250, 5_000, true],
    );
  });

  it('reports every bad one at once, with its bounds', () => {
    assert.throws(
      () =>
        loadEnv(commonEnv, {
          JOB_ATTEMPTS: '0',
          JOB_BACKOFF_MS: '1.5',
          JOB_LOCK_MS: '100',
          REDIS_ALLOW_EVICTION: 'maybe',
          SHUTDOWN_DEADLINE_MS: '-1',
        }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.problems.length, 5);
        assert.match(error.message, /JOB_ATTEMPTS="0": expected a whole number from 1 to 25/);
        assert.match(error.message, /JOB_BACKOFF_MS="1.5": expected a whole number from 1 to 600000/);
        assert.match(error.message, /JOB_LOCK_MS="100": expected a whole number from 1000 to 3600000/);
        assert.match(error.message, /REDIS_ALLOW_EVICTION="maybe": expected 1 or 0/);
        assert.match(error.message, /SHUTDOWN_DEADLINE_MS="-1"/);
        return true;
      },
    );
    assert.throws(() => loadEnv(commonEnv, { JOB_ATTEMPTS: '26' }), /JOB_ATTEMPTS="26"/);
  });
});

describe('REDIS_CLUSTER_NODES', () => {
  it('is empty by default (one Redis) and takes host:port seeds, IPv6 in brackets', () => {
    assert.deepEqual(loadEnv(commonEnv, {}).REDIS_CLUSTER_NODES, []);
    const env = loadEnv(commonEnv, {
      REDIS_CLUSTER_NODES: 'redis-0.redis:6379, 10.0.0.7:7001,[::1]:7002',
    });
    assert.deepEqual(env.REDIS_CLUSTER_NODES, [
      { host: 'redis-0.redis', port: 6379 },
      { host: '10.0.0.7', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
  });

  it('names the seed that is not host:port, beside the other bad variables', () => {
    for (const raw of ['redis-0', 'redis-0:6379,redis-1', 'host:0', 'host:65536', 'redis://host:6379', ',']) {
      assert.throws(
        () => loadEnv(commonEnv, { REDIS_CLUSTER_NODES: raw, LOG_LEVEL: 'loud' }),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError, raw);
          assert.equal(error.problems.length, 2, raw);
          assert.match(error.message, /REDIS_CLUSTER_NODES=".*": expected host:port,host:port/, raw);
          return true;
        },
      );
    }
  });
});

describe('OTEL_* variables', () => {
  it('accepts what the bundled OTLP/HTTP export supports and refuses the rest at start', () => {
    const env = loadEnv(commonEnv, {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=hush',
    });
    assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://collector:4318');
    assert.throws(
      () =>
        loadEnv(commonEnv, {
          OTEL_TRACES_EXPORTER: 'zipkin',
          OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'collector:4318',
        }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.problems.length, 3);
        assert.match(error.message, /OTEL_TRACES_EXPORTER="zipkin": expected otlp or none/);
        assert.match(
          error.message,
          /OTEL_EXPORTER_OTLP_PROTOCOL="grpc": expected http\/json or http\/protobuf/,
        );
        assert.match(error.message, /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="collector:4318": expected an http/);
        return true;
      },
    );
  });
});

describe('STATUS_API_TOKENS', () => {
  it('parses all-tenant and per-tenant scopes', () => {
    const tokens = parseApiTokens('s3cr3t:*,acmetoken:acme,two:acme+globex');
    assert.ok(scopeAllows(tokens.get('s3cr3t')!, 'anything'));
    assert.ok(scopeAllows(tokens.get('acmetoken')!, 'acme'));
    assert.ok(!scopeAllows(tokens.get('acmetoken')!, 'globex'));
    assert.ok(scopeAllows(tokens.get('two')!, 'globex'));
    assert.equal(parseApiTokens('').size, 0);
  });

  it('rejects malformed entries', () => {
    assert.throws(() => parseApiTokens('justatoken'), /entry 1: expected token:scope/);
    assert.throws(() => parseApiTokens('t:Acme Corp'), /scope must be/);
  });
});

describe('tenants file loading', () => {
  it('reads YAML, resolves relative roots against the file, and names bad keys', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'callintake-config-'));
    const good = join(dir, 'tenants.yaml');
    await writeFile(
      good,
      'tenants:\n  - id: acme\n    source: { kind: local, root: upload/acme }\n    archive: { kind: local, root: /srv/archive }\n',
    );
    const file = await loadTenantsFile(good);
    const source = file.tenants[0]!.source;
    assert.equal(source.kind === 'local' ? source.root : '', join(dir, 'upload/acme'));

    const bad = join(dir, 'bad.yaml');
    await writeFile(
      bad,
      'tenants:\n  - id: acme\n    source: { kind: local }\n    archive: { kind: local, root: /a }\n    timezone: Nowhere/City\n',
    );
    await assert.rejects(loadTenantsFile(bad), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /tenants\[0\]\.source\.root/);
      assert.match(error.message, /tenants\[0\]\.timezone/);
      return true;
    });
    await assert.rejects(loadTenantsFile(join(dir, 'missing.yaml')), /cannot read \(ENOENT\)/);
  });
});
