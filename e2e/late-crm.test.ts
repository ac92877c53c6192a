// Late CRM resolution end to end (e2e/support/world.ts): a call assembled while a CRM object it
// names was not stored yet is updated when the object arrives in a later batch, within the
// tenant's crm.lateResolveDays; and one level of links between objects in the call document.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { handleRefreshCallCrm } from '@callintake/matcher';
import { jobId, type JobData } from '@callintake/queues';
import type { Call } from '@callintake/schemas';
import { HOUR, MAPPING, metadataJson, pipelineHarness, RECORDING, STEM, wav } from './support/world';

const harness = pipelineHarness('late-crm');
const DAY = 24 * HOUR;

/** A tenant whose metadata names a contact and an opportunity. */
function world(crm: Record<string, unknown> = {}) {
  return harness.world({
    metadata: { fields: { ...MAPPING, contact: { to: 'contactId' }, opportunity: { to: 'opportunityId' } } },
    crm,
  });
}
type World = Awaited<ReturnType<typeof world>>;

async function theCall(w: World): Promise<Call> {
  const calls = await w.calls();
  assert.deepEqual(
    calls.map((call) => call.id),
    [STEM],
  );
  return calls[0] as Call;
}

async function updateOf(w: World, version: number): Promise<Call | undefined> {
  const job = await harness.producer.queue('calls-updated').getJob(jobId(w.id, STEM, `v${version}`));
  return job ? (job.data as JobData<'call-updated'>) : undefined;
}

/** A ready call whose metadata names contact C-9, which is not stored yet. */
async function callWaitingForContact(w: World): Promise<Call> {
  await w.put(RECORDING, wav);
  await w.put(`${STEM}.json`, metadataJson({ contact: 'C-9' }));
  await w.settle();
  const call = await theCall(w);
  assert.equal(call.status, 'ready');
  assert.deepEqual(call.crm.contactId, { type: 'contacts', id: 'C-9', record: null });
  return call;
}

describe('a CRM object that arrives after its call', () => {
  it('fills the call in: version + 1, the record, calls-updated; then its link the same way', async () => {
    const w = await world();
    const before = await callWaitingForContact(w);

    w.clock.advance(DAY);
    await w.put('contacts_20240313.csv', 'id,name,AccountId\nC-9,Jane Roe,A-1\nC-10,Other,\n');
    await w.settle();
    const filled = await theCall(w);
    assert.equal(filled.version, before.version + 1);
    assert.equal(filled.readyVersion, before.readyVersion, 'still the same ready call');
    assert.deepEqual(filled.crm.contactId, {
      type: 'contacts',
      id: 'C-9',
      record: { id: 'C-9', name: 'Jane Roe', AccountId: 'A-1' },
      // The contact's account is not stored either: it waits too.
      links: { accountId: { type: 'accounts', id: 'A-1', record: null } },
    });
    assert.deepEqual(
      (await updateOf(w, filled.version))?.crm,
      filled.crm,
      'calls-updated has the new version',
    );

    w.clock.advance(DAY);
    await w.put('accounts_20240314.csv', 'id,name\nA-1,Acme Corp\n');
    await w.settle();
    const linked = await theCall(w);
    assert.equal(linked.version, filled.version + 1);
    assert.deepEqual(linked.crm.contactId?.links?.accountId?.record, { id: 'A-1', name: 'Acme Corp' });
    assert.ok(await updateOf(w, linked.version));

    // Re-sent (here: changed) after it was resolved: no new version, nothing emitted.
    w.clock.advance(DAY);
    await w.put('contacts_20240313.csv', 'id,name,AccountId\nC-9,Jane Roe-Smith,A-1\n');
    await w.settle();
    const after = await theCall(w);
    assert.equal(after.version, linked.version);
    assert.equal(after.crm.contactId?.record?.['name'], 'Jane Roe');
    assert.equal(await updateOf(w, linked.version + 1), undefined);
    assert.equal(
      (await w.state.crm.get(w.id, 'contacts', 'C-9'))?.['name'],
      'Jane Roe-Smith',
      'the object itself was updated',
    );
  });

  it('is not taken once crm.lateResolveDays have passed', async () => {
    const w = await world({ lateResolveDays: 3 });
    const before = await callWaitingForContact(w);

    w.clock.advance(3 * DAY + HOUR);
    await w.put('contacts_20240316.csv', 'id,name\nC-9,Jane Roe\n');
    await w.settle();
    const after = await theCall(w);
    assert.equal(after.version, before.version);
    assert.equal(after.crm.contactId?.record, null);
    assert.equal(await updateOf(w, before.version + 1), undefined);
    assert.equal((await w.state.assets.get(w.id, 'contacts_20240316.csv'))?.state, 'processed');
    assert.ok(await w.state.crm.get(w.id, 'contacts', 'C-9'), 'the object itself was stored');
  });

  it('is taken on the last day of the window', async () => {
    const w = await world({ lateResolveDays: 3 });
    const before = await callWaitingForContact(w);

    w.clock.advance(3 * DAY - HOUR);
    await w.put('contacts_20240315.csv', 'id,name\nC-9,Jane Roe\n');
    await w.settle();
    const after = await theCall(w);
    assert.equal(after.version, before.version + 1);
    assert.deepEqual(after.crm.contactId?.record, { id: 'C-9', name: 'Jane Roe' });
  });

  it('runs once however often its job is delivered', async () => {
    const w = await world();
    await callWaitingForContact(w);
    w.clock.advance(HOUR);
    await w.put('contacts_20240312.csv', 'id,name\nC-9,Jane Roe\n');
    await w.scan();
    await w.run('crm-ingest');
    const [job, ...others] = (await w.waiting('call-match')).filter(
      (queued) => queued.name === 'refresh-call-crm',
    );
    assert.ok(job, 'the ingester queued a refresh');
    assert.deepEqual(others, []);
    const batch = (await w.state.assets.get(w.id, 'contacts_20240312.csv'))?.versions[0]?.versionId;
    assert.equal(job.id, jobId(w.id, STEM, 'crm', 'contacts', 'C-9', batch ?? 'no version'));
    const payload = job.data as JobData<'refresh-call-crm'>;
    await handleRefreshCallCrm(w.deps, payload, w.context(job));
    const once = await theCall(w);
    await handleRefreshCallCrm(w.deps, payload, w.context(job));
    const twice = await theCall(w);
    assert.equal(twice.version, once.version);
    assert.deepEqual(twice.crm, once.crm);
  });
});

describe('CRM objects resolved when the call is assembled', () => {
  it("show one level of links: the opportunity's account", async () => {
    const w = await world();
    await w.put('accounts_20240312.csv', 'id,name,parent_id\nA-7,Acme Corp,A-1\n');
    await w.put('opportunities_20240312.csv', 'id,name,account_id\nO-1,Big deal,A-7\n');
    await w.put(RECORDING, wav);
    await w.put(`${STEM}.json`, metadataJson({ opportunity: 'O-1' }));
    await w.settle();
    const call = await theCall(w);
    assert.deepEqual(call.crm.opportunityId, {
      type: 'opportunities',
      id: 'O-1',
      record: { id: 'O-1', name: 'Big deal', account_id: 'A-7' },
      links: {
        // One level: the account's own parent is not followed.
        accountId: {
          type: 'accounts',
          id: 'A-7',
          record: { id: 'A-7', name: 'Acme Corp', parent_id: 'A-1' },
        },
      },
    });
    assert.equal((await harness.producer.queue('calls-ready').getJob(jobId(w.id, STEM)))?.data.id, STEM);
  });

  it('are not emitted again when their batch is sent again', async () => {
    const w = await world();
    await w.put('contacts_20240312.csv', 'id,name\nC-9,Jane Roe\n');
    await w.put(RECORDING, wav);
    await w.put(`${STEM}.json`, metadataJson({ contact: 'C-9' }));
    await w.settle();
    const before = await theCall(w);
    assert.deepEqual(before.crm.contactId?.record, { id: 'C-9', name: 'Jane Roe' });

    w.clock.advance(HOUR);
    await w.put('contacts_20240312.csv', 'id,name\nC-9,Jane Roe (new)\n');
    await w.settle();
    const after = await theCall(w);
    assert.equal(after.version, before.version);
    assert.equal(await updateOf(w, before.version + 1), undefined);
  });
});
