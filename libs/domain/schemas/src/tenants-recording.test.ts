// The tenants file's `recording` section (issue 14) and enum mappings to `agentChannel`: named
// errors like every other key.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalFields, parseTenantsFile } from './tenants';

const minimal = {
  id: 'acme',
  source: { kind: 'local', root: '/srv/upload/acme' },
  archive: { kind: 'local', root: '/srv/archive/acme' },
};

function errorsOf(tenant: Record<string, unknown>): string {
  const result = parseTenantsFile({ tenants: [{ ...minimal, ...tenant }] });
  assert.equal(result.ok, false, 'expected the tenant to be refused');
  return result.ok ? '' : result.errors.join('\n');
}

describe('tenants file: recording.agentChannel', () => {
  it('defaults to none, and takes left or right', () => {
    const defaults = parseTenantsFile({ tenants: [minimal] });
    assert.ok(defaults.ok, JSON.stringify(defaults));
    assert.deepEqual(defaults.value.tenants[0]?.recording, { agentChannel: 'none' });
    for (const agentChannel of ['left', 'right', 'none']) {
      const parsed = parseTenantsFile({ tenants: [{ ...minimal, recording: { agentChannel } }] });
      assert.ok(parsed.ok, JSON.stringify(parsed));
      assert.equal(parsed.value.tenants[0]?.recording.agentChannel, agentChannel);
    }
  });

  it('names a bad value and an unknown key', () => {
    const text = errorsOf({ recording: { agentChannel: 'Left', channels: 2 } });
    for (const expected of [
      'tenants[0].recording.agentChannel: must be left, right or none',
      'tenants[0].recording: unknown key(s): channels',
    ])
      assert.ok(text.includes(expected), `missing "${expected}" in:\n${text}`);
  });

  it('is a canonical field a mapping may target, whose enum values must be left, right or none', () => {
    assert.ok(canonicalFields.includes('agentChannel'));
    const good = parseTenantsFile({
      tenants: [
        {
          ...minimal,
          metadata: { fields: { side: { to: 'agentChannel', type: 'enum', values: { A: 'Left' } } } },
        },
      ],
    });
    assert.ok(good.ok, JSON.stringify(good));
    const text = errorsOf({
      metadata: {
        fields: { side: { to: 'agentChannel', type: 'enum', values: { A: 'left', C: 'centre' } } },
      },
    });
    assert.ok(
      text.includes('tenants[0].metadata.fields.side.values.C: must be left, right or none (agentChannel)'),
      text,
    );
    assert.ok(!text.includes('values.A'), text);
  });
});
