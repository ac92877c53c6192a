// The tenants file's `crm` block: late resolution's window and the columns that link objects.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTenantsFile } from './tenants';

const minimal = {
  id: 'acme',
  source: { kind: 'local', root: '/srv/upload/acme' },
  archive: { kind: 'local', root: '/srv/archive/acme' },
};

describe('tenants file: crm', () => {
  it('defaults to 30 days of late resolution and the usual link columns', () => {
    const result = parseTenantsFile({ tenants: [minimal] });
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(result.value.tenants[0]?.crm, {
      idColumn: 'id',
      lateResolveDays: 30,
      links: { accountId: ['accountId', 'account_id'], contactId: ['contactId', 'contact_id'] },
    });
  });

  it('takes overrides, an empty list turning a link off', () => {
    const crm = { lateResolveDays: 7, links: { accountId: ['Company'], contactId: [] } };
    const result = parseTenantsFile({ tenants: [{ ...minimal, crm }] });
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(result.value.tenants[0]?.crm, { idColumn: 'id', ...crm });
  });

  it('names a bad window, an unknown link and an empty column name', () => {
    const crm = { lateResolveDays: 0, links: { leadId: ['x'], accountId: [''] } };
    const result = parseTenantsFile({ tenants: [{ ...minimal, crm }] });
    assert.equal(result.ok, false);
    if (result.ok) return;
    const text = result.errors.join('\n');
    assert.match(text, /tenants\[0\]\.crm\.lateResolveDays: /);
    assert.match(text, /tenants\[0\]\.crm\.links: unknown key\(s\): leadId/);
    assert.match(text, /tenants\[0\]\.crm\.links\.accountId\[0\]: /);
  });
});
