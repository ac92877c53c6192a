// Secrets never reach a log line: SFTP passwords, passphrases and keys, S3 credentials, API
// tokens and Redis URLs with a password, at any depth, in child bindings, messages and errors.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { parseApiTokens } from '@callintake/config';
import { createLogger } from './logger';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger({ service: 'test', level: 'debug' }, stream), lines };
}

const SECRETS = {
  sftpPassword: 'hunter2-sftp',
  passphrase: 'p4ss-phrase',
  privateKey:
    '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----',
  s3KeyId: 'AKIAIOSFODNN7EXAMPLE',
  s3Secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  s3Session: 'FwoGZXIvYXdzEXAMPLESESSION',
  apiToken: 's3cr3t-api-token',
  redisPassword: 'redis-pw-42',
};

function assertClean(text: string): void {
  for (const [what, secret] of Object.entries(SECRETS)) {
    assert.ok(!text.includes(secret), `${what} leaked: ${text}`);
  }
  // Parts of the private key, in case it was split or escaped.
  assert.ok(!text.includes('b3BlbnNzaC1rZXktdjEAAAAA'), text);
}

describe('logger', () => {
  it('redacts SFTP and S3 credentials at any depth, keeping what is not secret', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        tenants: [
          {
            id: 'acme',
            source: {
              kind: 'sftp',
              host: 'sftp.example.com',
              username: 'acme',
              password: SECRETS.sftpPassword,
              passphrase: SECRETS.passphrase,
              privateKey: Buffer.from(SECRETS.privateKey),
              privateKeyFile: '/run/secrets/acme_key',
              passwordEnv: 'ACME_SFTP_PASSWORD',
            },
            archive: {
              kind: 's3',
              bucket: 'archive',
              credentials: { accessKeyId: SECRETS.s3KeyId, secretAccessKey: SECRETS.s3Secret },
              secretAccessKeyEnv: 'ACME_S3_SECRET',
            },
          },
        ],
        client: { config: { credentials: { sessionToken: SECRETS.s3Session } } },
        connect: { sftpPassword: SECRETS.sftpPassword, clientSecret: SECRETS.s3Secret },
      },
      'config loaded',
    );
    const text = lines.join('');
    assertClean(text);
    const logged = JSON.parse(text) as {
      tenants: Array<{ source: Record<string, unknown>; archive: Record<string, unknown> }>;
    };
    const source = logged.tenants[0]?.source;
    assert.equal(source?.['host'], 'sftp.example.com');
    assert.equal(source?.['username'], 'acme');
    assert.equal(source?.['password'], '[redacted]');
    assert.equal(source?.['privateKey'], '[redacted]');
    // Where a secret lives is not a secret.
    assert.equal(source?.['privateKeyFile'], '/run/secrets/acme_key');
    assert.equal(source?.['passwordEnv'], 'ACME_SFTP_PASSWORD');
    assert.equal(logged.tenants[0]?.archive['secretAccessKeyEnv'], 'ACME_S3_SECRET');
    assert.equal(logged.tenants[0]?.archive['credentials'], '[redacted]');
  });

  it('redacts tokens, authorization headers and token maps', () => {
    const { logger, lines } = capture();
    logger.info({
      token: SECRETS.apiToken,
      req: { headers: { authorization: `Bearer ${SECRETS.apiToken}`, host: 'api' } },
      env: { STATUS_API_TOKENS: `${SECRETS.apiToken}:*`, LOG_LEVEL: 'info' },
      tokens: parseApiTokens(`${SECRETS.apiToken}:*`),
    });
    const text = lines.join('');
    assertClean(text);
    assert.match(text, /"LOG_LEVEL":"info"/);
    assert.match(text, /"host":"api"/);
  });

  it('masks passwords in URLs, in fields, messages, child bindings and errors', () => {
    const { logger, lines } = capture();
    const url = `redis://default:${SECRETS.redisPassword}@redis.internal:6379/0`;
    logger.info({ env: { REDIS_URL: url } }, 'starting');
    logger.warn(`cannot reach ${url}`);
    logger
      .child({ redis: url, s3: { secretAccessKey: SECRETS.s3Secret } })
      .child({ job: { token: SECRETS.apiToken } })
      .info('grandchild');
    logger.error({ err: new Error(`connect ECONNREFUSED ${url}`) }, 'Redis connection error');
    const error = Object.assign(new Error('S3 refused'), {
      credentials: { secretAccessKey: SECRETS.s3Secret },
    });
    logger.error({ err: error }, 'archive failed');
    const text = lines.join('');
    assertClean(text);
    assert.equal(lines.length, 5);
    assert.match(text, /redis:\/\/default:\[redacted\]@redis\.internal:6379\/0/);
    assert.match(text, /ECONNREFUSED/, 'the error itself is still logged');
    assert.match(text, /"type":"Error"/);
  });
});
