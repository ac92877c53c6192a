// The same drop through every source kind: recordings, metadata, a CRM batch, a bad batch row,
// junk, an empty file, a mislabelled file, a temporary name and a file in a customer folder,
// uploaded to a local folder, a real OpenSSH SFTP account and a real S3 API server. The
// services run as they would in production; what they decide must not depend on the source.
import assert from 'node:assert/strict';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { encodeWav } from '@callintake/media';
import { parseTenantsFile, type TenantConfig } from '@callintake/schemas';
import { silentLogger } from '@callintake/telemetry';
import {
  removeNamespace,
  startS3Server,
  startSftpServer,
  tempDir,
  testRedisEnv,
  uniqueNamespace,
  waitFor,
  type S3TestServer,
  type SftpTestServer,
} from '@callintake/testing';
import { Runtime, type RunningService, type ServiceName } from '@callintake/runtime';
import { startService } from '@callintake/services';

const STEM = '20240312-091500_outbound_1001';
const DROP: Array<[string, string | Buffer]> = [
  ['contacts_20240312T0800.csv', 'id,name\nC-100,Dana Diaz\n'],
  [
    `${STEM}.json`,
    JSON.stringify({
      datetime: '2024-03-12T13:15:00Z',
      email: 'ana@example.com',
      direction: 'outbound',
      contact_id: 'C-100',
    }),
  ],
  [`${STEM}.wav`, encodeWav({ sampleRateHz: 8000, channels: 2, durationSec: 1 })],
  ['20240312-100000_inbound_2002.wav', encodeWav({ sampleRateHz: 16000, channels: 1, durationSec: 0.5 })],
  [
    'batch_20240312.csv',
    'datetime,email,filename,direction\n2024-03-12T15:00:00Z,ben@example.com,sftp/x/20240312-100000_inbound_2002.wav,inbound\n2024-03-12T15:05:00Z,,lost.wav,inbound\n',
  ],
  ['notes.txt', 'not a call'],
  ['empty.wav', ''],
  ['text.wav', 'this is text, not audio'],
  ['uploading.wav.part', 'half'],
];
const NESTED: [string, string] = ['sub/nested.wav', 'in a folder the customer made'];
const SERVICES: ServiceName[] = [
  'intake-watcher',
  'media-prober',
  'metadata-parser',
  'crm-ingester',
  'matcher',
];

let folder: Awaited<ReturnType<typeof tempDir>>;
let sftp: SftpTestServer;
let s3: S3TestServer;
const namespaces: string[] = [];

before(async () => {
  folder = await tempDir('sources');
  [sftp, s3] = await Promise.all([startSftpServer(), startS3Server()]);
  await s3.createBucket('uploads');
});
after(async () => {
  await Promise.all([sftp?.stop(), s3?.stop()]);
  for (const namespace of namespaces) await removeNamespace(namespace);
  await folder.remove();
});

function tenant(id: string, source: unknown): TenantConfig {
  const parsed = parseTenantsFile({
    tenants: [
      {
        id,
        source,
        archive: { kind: 'local', root: join(folder.path, id, 'archive') },
        settleSeconds: 0.3,
        pollSeconds: 1,
        metadata: {
          fields: {
            datetime: { to: 'callTime', type: 'datetime' },
            email: { to: 'userId' },
            filename: { to: 'recordingFile' },
            direction: { to: 'direction' },
            contact_id: { to: 'contactId' },
          },
        },
      },
    ],
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.value.tenants[0] as TenantConfig;
}

/** Runs the drop through the services for one tenant and returns what they decided. */
async function runDrop(
  config: TenantConfig,
  upload: (name: string, content: string | Buffer) => Promise<void>,
) {
  const namespace = uniqueNamespace(`sources-${config.id}`);
  namespaces.push(namespace);
  const runtime = await Runtime.create({
    service: 'test',
    env: { ...testRedisEnv(), REDIS_NAMESPACE: namespace },
    tenants: [config],
    logger: silentLogger(),
  });
  const services: RunningService[] = [];
  try {
    for (const name of SERVICES) services.push(await startService(name, runtime));
    for (const [name, content] of [...DROP, NESTED]) await upload(name, content);
    const expected = DROP.length - 1 + 1; // every file but the temporary one, plus the nested one
    await waitFor(
      async () => {
        const { items } = await runtime.state.assets.list(config.id, { limit: 100 });
        const settled =
          items.length === expected && items.every((a) => a.state !== 'pending' && a.state !== 'processing');
        const calls = (await runtime.state.calls.list(config.id, { limit: 100 })).items;
        return settled && calls.length === 2 && calls.every((c) => c.status === 'ready') ? true : undefined;
      },
      { what: `the drop through ${config.source.kind} to settle`, timeoutMs: 60_000, intervalMs: 100 },
    );
    const assets = (await runtime.state.assets.list(config.id, { limit: 100 })).items
      .map((a) => ({
        name: a.name,
        kind: a.kind,
        state: a.state,
        reason: a.reason?.code,
        callIds: [...a.callIds].sort(),
        versions: a.versions.length,
        warnings: a.warnings.map((w) => `${w.code}@${w.line ?? ''}`),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const calls = (await runtime.state.calls.list(config.id, { limit: 100 })).items
      .map((c) => ({
        id: c.id,
        status: c.status,
        match: c.match?.method,
        userId: c.userId,
        crm: Object.values(c.crm).map((l) => `${l.id}:${l.record ? 'ok' : 'missing'}`),
        channels: c.recording?.channels,
      }))
      .sort((a, b) => a.id.localeCompare(b.id));
    return { assets, calls };
  } finally {
    for (const service of services.reverse()) await service.stop();
    await runtime.close();
  }
}

describe('the same drop through local, SFTP and S3', () => {
  it('gives identical asset states and calls', async () => {
    const localRoot = join(folder.path, 'local-upload');
    await mkdir(join(localRoot, 'data'), { recursive: true });
    const local = await runDrop(
      tenant('local', { kind: 'local', root: localRoot }),
      async (name, content) => {
        await mkdir(join(localRoot, 'data', name, '..'), { recursive: true });
        await writeFile(join(localRoot, 'data', name), content);
      },
    );

    const sftpData = join(sftp.hostPath, 'data');
    await mkdir(sftpData, { recursive: true });
    await sftp.chownToUser(sftpData);
    const viaSftp = await runDrop(
      tenant('sftp', {
        kind: 'sftp',
        host: sftp.host,
        port: sftp.port,
        username: sftp.username,
        privateKeyFile: sftp.privateKeyFile,
        root: sftp.root,
      }),
      async (name, content) => {
        const path = join(sftpData, name);
        await mkdir(join(path, '..'), { recursive: true });
        await writeFile(path, content);
        await chmod(path, 0o644);
        await sftp.chownToUser(join(sftpData, name.split('/')[0] as string));
      },
    );

    const location = s3.location('uploads', 'tenants/s3/');
    const viaS3 = await runDrop(tenant('s3', location), async (name, content) => {
      await s3.client.send(
        new PutObjectCommand({ Bucket: 'uploads', Key: `tenants/s3/data/${name}`, Body: content }),
      );
    });

    // What was decided, spelled out once for the local source...
    const byName = Object.fromEntries(local.assets.map((a) => [a.name, a]));
    assert.equal(byName[`${STEM}.wav`]?.state, 'processed');
    assert.deepEqual(byName[`${STEM}.wav`]?.callIds, [STEM]);
    assert.equal(byName['batch_20240312.csv']?.state, 'processed');
    assert.deepEqual(byName['batch_20240312.csv']?.warnings, ['missing-field@3']);
    assert.equal(byName['notes.txt']?.reason, 'unsupported-type');
    assert.equal(byName['empty.wav']?.reason, 'empty-file');
    assert.equal(byName['text.wav']?.reason, 'format-mismatch');
    assert.equal(byName['sub/nested.wav']?.reason, 'nested-directory');
    assert.equal(byName['uploading.wav.part'], undefined);
    assert.deepEqual(
      local.calls,
      [
        {
          id: STEM,
          status: 'ready',
          match: 'name',
          userId: 'ana@example.com',
          crm: ['C-100:ok'],
          channels: 2,
        },
        {
          id: '20240312-100000_inbound_2002',
          status: 'ready',
          match: 'reference',
          userId: 'ben@example.com',
          crm: [],
          channels: 1,
        },
      ].sort((a, b) => a.id.localeCompare(b.id)),
    );
    // ...and the same everywhere.
    assert.deepEqual(viaSftp, local);
    assert.deepEqual(viaS3, local);
  });
});
