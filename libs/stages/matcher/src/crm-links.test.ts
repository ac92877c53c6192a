// CRM links of a call: which columns name a linked object, how late records are filled in
// (never replacing one), and settleCrmLinks against Redis, including an object stored between
// the matcher's read and its registration.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { Call, TenantConfig } from '@callintake/schemas';
import { manualClock, StateStore } from '@callintake/state';
import { localTenant, removeNamespace, TEST_REDIS_URL, uniqueNamespace } from '@callintake/testing';
import {
  fillCrm,
  holdsObject,
  keepResolvedCrm,
  linkedObjectsOf,
  settleCrmLinks,
  unresolvedObjects,
  type CallCrm,
} from './crm-links';

const tenant = (crm: Record<string, unknown> = {}): TenantConfig =>
  localTenant('/srv/callintake', { id: 'links', crm });
const found = (entries: Array<[string, string, Record<string, string>]>) =>
  new Map(entries.map(([type, id, record]) => [`${type}\n${id}`, record]));

describe('linkedObjectsOf', () => {
  it('reads the default link columns, exactly or ignoring case, and only links the type has', () => {
    assert.deepEqual(linkedObjectsOf('opportunities', { id: 'O-1', AccountId: ' A-1 ' }, tenant()), [
      ['accountId', { type: 'accounts', id: 'A-1' }],
    ]);
    assert.deepEqual(
      linkedObjectsOf('cases', { id: 'K-1', contact_id: 'C-1', accountId: ' ', account_id: 'A-2' }, tenant()),
      [
        ['contactId', { type: 'contacts', id: 'C-1' }],
        ['accountId', { type: 'accounts', id: 'A-2' }],
      ],
      'an empty column gives way to the next name',
    );
    assert.deepEqual(linkedObjectsOf('leads', { id: 'L-1', accountId: 'A-1' }, tenant()), []);
    assert.deepEqual(linkedObjectsOf('accounts', { id: 'A-1', accountId: 'A-0' }, tenant()), []);
  });

  it("takes the tenant's columns instead, and none for an empty list", () => {
    const custom = tenant({ links: { accountId: ['Company Ref'], contactId: [] } });
    assert.deepEqual(
      linkedObjectsOf(
        'cases',
        { id: 'K-1', 'company ref': 'A-9', accountId: 'A-1', contactId: 'C-1' },
        custom,
      ),
      [['accountId', { type: 'accounts', id: 'A-9' }]],
    );
  });
});

const waiting: CallCrm = {
  contactId: { type: 'contacts', id: 'C-1', record: null },
  opportunityId: {
    type: 'opportunities',
    id: 'O-1',
    record: { id: 'O-1', accountId: 'A-1' },
    links: { accountId: { type: 'accounts', id: 'A-1', record: null } },
  },
};

describe('filling a call in', () => {
  it('lists each object without a record once, references and links alike', () => {
    assert.deepEqual(unresolvedObjects(waiting), [
      { type: 'contacts', id: 'C-1' },
      { type: 'accounts', id: 'A-1' },
    ]);
  });

  it('fills nulls, gives a late reference its links, and says when nothing changed', () => {
    const objects = found([
      ['contacts', 'C-1', { id: 'C-1', account_id: 'A-1' }],
      ['accounts', 'A-1', { id: 'A-1', name: 'Acme' }],
    ]);
    const filled = fillCrm(waiting, objects, tenant());
    assert.deepEqual(filled?.contactId, {
      type: 'contacts',
      id: 'C-1',
      record: { id: 'C-1', account_id: 'A-1' },
      links: { accountId: { type: 'accounts', id: 'A-1', record: { id: 'A-1', name: 'Acme' } } },
    });
    assert.deepEqual(filled?.opportunityId?.links?.accountId?.record, { id: 'A-1', name: 'Acme' });
    assert.equal(fillCrm(filled ?? {}, objects, tenant()), undefined);
    assert.equal(fillCrm(waiting, found([['contacts', 'C-2', { id: 'C-2' }]]), tenant()), undefined);
    assert.ok(holdsObject(filled ?? {}, { type: 'accounts', id: 'A-1' }));
    assert.ok(!holdsObject(waiting, { type: 'accounts', id: 'A-1' }));
  });

  it('never replaces a record it holds', () => {
    const changed = found([['opportunities', 'O-1', { id: 'O-1', accountId: 'A-2' }]]);
    assert.equal(fillCrm(waiting, changed, tenant()), undefined);
  });

  it('keeps stored records over an older read that found none, and fresh records over stored ones', () => {
    const stored: CallCrm = {
      contactId: { type: 'contacts', id: 'C-1', record: { id: 'C-1', name: 'old' } },
      accountId: { type: 'accounts', id: 'A-1', record: { id: 'A-1' } },
    };
    const fresh: CallCrm = {
      contactId: { type: 'contacts', id: 'C-1', record: { id: 'C-1', name: 'new' } },
      accountId: { type: 'accounts', id: 'A-1', record: null },
      caseId: { type: 'cases', id: 'K-1', record: null },
    };
    assert.deepEqual(keepResolvedCrm(fresh, stored), { ...fresh, accountId: stored.accountId });
    const moved: CallCrm = { accountId: { type: 'accounts', id: 'A-2', record: null } };
    assert.deepEqual(keepResolvedCrm(moved, stored), moved, 'another id keeps its own null');
  });
});

describe('settleCrmLinks', () => {
  const namespace = uniqueNamespace('crm-links');
  const clock = manualClock(new Date('2024-03-12T10:00:00Z'));
  let redis: Redis;
  let state: StateStore;
  before(() => {
    redis = new Redis(TEST_REDIS_URL);
    state = new StateStore(redis, namespace, clock);
  });
  after(async () => {
    await removeNamespace(namespace);
    await redis.quit();
  });

  const stored = async (id: string, crm: CallCrm): Promise<Call> => {
    const call: Call = {
      id,
      tenantId: 'links',
      status: 'ready',
      crm,
      warnings: [],
      version: 1,
      readyAt: '2024-03-12T09:00:00.000Z',
      readyVersion: 1,
      createdAt: '2024-03-12T09:00:00.000Z',
      updatedAt: '2024-03-12T09:00:00.000Z',
    };
    await state.calls.mutate('links', id, () => call);
    return call;
  };

  it('registers what is missing and fills in an object stored since the call was read', async () => {
    const call = await stored('race', { contactId: { type: 'contacts', id: 'C-1', record: null } });
    // Stored after the matcher resolved the call's links, before it registered the call.
    await state.crm.upsertMany('links', 'contacts', [{ id: 'C-1', record: { id: 'C-1', accountId: 'A-1' } }]);
    const settled = await settleCrmLinks(state, tenant(), call);
    assert.equal(settled.changed, true);
    assert.equal(settled.call.version, 2);
    assert.equal(settled.call.readyVersion, 1);
    assert.deepEqual(settled.call, await state.calls.get('links', 'race'));
    assert.deepEqual(settled.call.crm.contactId?.links, {
      accountId: { type: 'accounts', id: 'A-1', record: null },
    });
    // The account its contact names was registered too (in the second round), and waits.
    const now = clock.now().getTime();
    const byAccount = await state.crmWaiting.waitingFor('links', 'accounts', ['A-1'], now);
    assert.deepEqual(byAccount.get('A-1'), ['race']);
    assert.deepEqual(settled.resolved, [{ type: 'contacts', id: 'C-1' }]);
  });

  it('writes nothing when nothing is stored, and leaves the call waiting', async () => {
    const call = await stored('none', { leadId: { type: 'leads', id: 'L-404', record: null } });
    const settled = await settleCrmLinks(state, tenant(), call);
    assert.deepEqual(settled, { call, changed: false, resolved: [] });
    assert.equal(await state.crmWaiting.isWaiting('links', 'none', { type: 'leads', id: 'L-404' }), true);
  });
});
