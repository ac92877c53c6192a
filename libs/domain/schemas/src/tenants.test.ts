import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDurationSeconds, parseTenantsFile } from './tenants';

const minimal = {
  id: 'acme',
  source: { kind: 'local', root: '/srv/upload/acme' },
  archive: { kind: 'local', root: '/srv/archive/acme' },
};

describe('tenants file', () => {
  it('accepts the CONTRACT example and fills defaults', () => {
    const result = parseTenantsFile({
      tenants: [
        {
          ...minimal,
          timezone: 'America/New_York',
          filenameTime: 'start',
          metadata: {
            fields: {
              datetime: { to: 'callTime', type: 'datetime' },
              email: { to: 'userId' },
              filename: { to: 'recordingFile' },
              direction: { to: 'direction' },
            },
          },
        },
      ],
    });
    assert.ok(result.ok, JSON.stringify(result));
    const tenant = result.value.tenants[0]!;
    assert.equal(tenant.settleSeconds, 5);
    assert.deepEqual(tenant.metadata.required, ['callTime', 'userId']);
    assert.equal(tenant.metadata.fields['email']?.type, 'string');
    assert.equal(tenant.retention.purgeAfterDays, 7);
    assert.equal(tenant.retention.awaitingMetadataDays, 30);
    assert.equal(tenant.metadata.updateWindowHours, 48);
    assert.equal(tenant.crm.idColumn, 'id');
    assert.equal(tenant.directions['out'], 'outbound');
  });

  it('names every bad key at once', () => {
    const result = parseTenantsFile({
      tenants: [
        { ...minimal, id: 'Acme Corp', timezone: 'Mars/Olympus', filenameTime: 'middle', colour: 'red' },
        { ...minimal, source: { kind: 'ftp', root: '/x' } },
        {
          id: 'b',
          source: { kind: 'sftp', host: 'h', username: 'u' },
          archive: minimal.archive,
          metadata: { fields: { x: { to: 'y', type: 'enum' } } },
        },
      ],
    });
    assert.equal(result.ok, false);
    if (result.ok) return;
    const text = result.errors.join('\n');
    for (const expected of [
      'tenants[0].id: must match [a-z0-9-]+',
      'tenants[0].timezone: must be an IANA time zone',
      'tenants[0].filenameTime',
      'tenants[0]: unknown key(s): colour',
      'tenants[1].source.kind',
      'tenants[2].source.privateKeyFile: give exactly one of privateKeyFile or passwordEnv',
      'tenants[2].metadata.fields.x.values: an enum field needs values',
    ]) {
      assert.ok(text.includes(expected), `missing "${expected}" in:\n${text}`);
    }
  });

  it('rejects duplicate tenant ids and an empty list', () => {
    const dup = parseTenantsFile({ tenants: [minimal, minimal] });
    assert.equal(dup.ok, false);
    assert.match(dup.ok ? '' : dup.errors.join(), /tenants\[1\]\.id: duplicate tenant id "acme"/);
    const empty = parseTenantsFile({ tenants: [] });
    assert.match(empty.ok ? '' : empty.errors.join(), /list at least one tenant/);
  });
  it('accepts a user directory and names a duplicate id, a shared alias and an empty alias list', () => {
    const users = [
      { id: 'jdoe', aliases: ['2041', 'jdoe@acme.test', 'E1001'] },
      { id: 'asmith', aliases: ['2042'] },
    ];
    const good = parseTenantsFile({ tenants: [{ ...minimal, users }] });
    assert.ok(good.ok, JSON.stringify(good));
    assert.deepEqual(good.value.tenants[0]?.users, users);
    const defaults = parseTenantsFile({ tenants: [minimal] });
    assert.deepEqual(defaults.ok && defaults.value.tenants[0]?.users, []);

    const bad = parseTenantsFile({
      tenants: [
        {
          ...minimal,
          users: [...users, { id: 'jdoe', aliases: ['JDOE@acme.test'] }, { id: 'x', aliases: [] }],
        },
      ],
    });
    assert.equal(bad.ok, false);
    const text = bad.ok ? '' : bad.errors.join('\n');
    for (const expected of ['tenants[0].users[3].aliases: list at least one alias']) {
      assert.ok(text.includes(expected), `missing "${expected}" in:\n${text}`);
    }
    const clash = parseTenantsFile({
      tenants: [
        {
          ...minimal,
          users: [...users, { id: 'jdoe', aliases: ['x'] }, { id: 'bob', aliases: ['JDOE@acme.test'] }],
        },
      ],
    });
    const clashText = clash.ok ? '' : clash.errors.join('\n');
    for (const expected of [
      'tenants[0].users[2].id: duplicate user id "jdoe"',
      'tenants[0].users[3].aliases[0]: alias "JDOE@acme.test" already names user "jdoe"',
    ]) {
      assert.ok(clashText.includes(expected), `missing "${expected}" in:\n${clashText}`);
    }
  });

  it('reads expectUploadsEvery as seconds (a duration or a number), absent when not given', () => {
    const parsed = parseTenantsFile({
      tenants: [
        { ...minimal, id: 'a', expectUploadsEvery: '6h' },
        { ...minimal, id: 'b', expectUploadsEvery: '1d12h' },
        { ...minimal, id: 'c', expectUploadsEvery: 5400 },
        { ...minimal, id: 'd' },
      ],
    });
    assert.ok(parsed.ok, JSON.stringify(parsed));
    assert.deepEqual(
      parsed.value.tenants.map((t) => t.expectUploadsEvery),
      [21_600, 129_600, 5_400, undefined],
    );
    assert.equal(parseDurationSeconds('90m'), 5_400);
    assert.equal(parseDurationSeconds('45s'), 45);
    assert.equal(parseDurationSeconds('6 hours'), undefined);
    assert.equal(parseDurationSeconds(''), undefined);
  });

  it('names expectUploadsEvery when it is no duration or shorter than a minute', () => {
    const bad = parseTenantsFile({
      tenants: [
        { ...minimal, id: 'a', expectUploadsEvery: 'six hours' },
        { ...minimal, id: 'b', expectUploadsEvery: '30s' },
        { ...minimal, id: 'c', expectUploadsEvery: '' },
        { ...minimal, id: 'd', expectUploadsEvery: true },
      ],
    });
    assert.equal(bad.ok, false);
    const text = bad.ok ? '' : bad.errors.join('\n');
    for (const index of [0, 1, 2, 3])
      assert.match(text, new RegExp(`tenants\\[${index}\\]\\.expectUploadsEvery: `), text);
    assert.match(text, /tenants\[0\]\.expectUploadsEvery: must be a duration like 6h/);
  });
});
