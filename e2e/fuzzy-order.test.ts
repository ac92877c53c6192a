// Fuzzy pairing gives the same result whatever order the files arrive in (issue 14), through
// the real files: one recording and two look-alike metadata files. Recording first, the first
// metadata file is paired, and the second undoes that pair (the call goes back to
// awaiting_metadata and calls-updated says so); metadata first, neither takes the recording.
// Either way both records are ambiguous, each listing the recording and the other as a rival.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Call } from '@callintake/schemas';
import { metadataJson, pipelineHarness, wav } from './support/world';

const harness = pipelineHarness('fuzzy-order');
const world = harness.world;

const RECORDING = '20240312-093000_out_jdoe.wav';
const CALL = '20240312-093000_out_jdoe';
const crmExport = () => metadataJson({ filename: undefined, datetime: '2024-03-12T09:30:00Z' });

type World = Awaited<ReturnType<typeof world>>;

async function statuses(w: World) {
  return (await w.calls()).map((c) => [c.id, c.status, c.metadata?.fileName]).sort();
}

async function assertBothAmbiguous(w: World) {
  assert.deepEqual(await statuses(w), [
    [CALL, 'awaiting_metadata', undefined],
    ['crmexport-m1', 'ambiguous', 'crmexport-m1.json'],
    ['crmexport-m2', 'ambiguous', 'crmexport-m2.json'],
  ]);
  const calls = await w.calls();
  const detailsOf = (id: string) => calls.find((c) => c.id === id)?.match?.details;
  for (const [id, rival] of [
    ['crmexport-m1', 'crmexport-m2.json'],
    ['crmexport-m2', 'crmexport-m1.json'],
  ] as const) {
    const details = detailsOf(id);
    assert.deepEqual(details?.['candidates'], [
      { recording: RECORDING, score: 0.875, time: 1, user: 1, direction: 1, duration: 0.5 },
    ]);
    assert.deepEqual(details?.['rivals'], [{ recordId: rival, score: 0.875 }]);
  }
  const everything = Date.parse('2030-01-01');
  assert.deepEqual(await w.state.fuzzy.unpairedWithin(w.id, 0, everything), [RECORDING]);
  assert.deepEqual((await w.state.fuzzy.waitingWithin(w.id, 0, everything)).sort(), [
    'crmexport-m1.json',
    'crmexport-m2.json',
  ]);
  assert.equal(await w.state.fuzzy.pairOf(w.id, RECORDING), null);
  assert.deepEqual((await w.state.assets.get(w.id, RECORDING))?.callIds, [CALL]);
  assert.deepEqual((await w.state.assets.get(w.id, 'crmexport-m1.json'))?.callIds, ['crmexport-m1']);
}

describe('fuzzy pairing in either order', () => {
  it('recording first: the second look-alike undoes the pair the first one made', async () => {
    const w = await world();
    await w.put(RECORDING, wav);
    await w.settle();
    await w.put('crmexport-m1.json', crmExport());
    await w.settle();
    assert.deepEqual(await statuses(w), [[CALL, 'ready', 'crmexport-m1.json']]);
    const ready = (await w.calls())[0] as Call;
    assert.equal(ready.match?.method, 'fuzzy');

    await w.put('crmexport-m2.json', crmExport());
    await w.settle();
    await assertBothAmbiguous(w);
    // The call that had been ready says it waits for metadata again.
    const call = (await w.state.calls.get(w.id, CALL)) as Call;
    assert.equal(call.match, undefined);
    const updated = await harness.producer.queue('calls-updated').getJob(`${w.id}/${CALL}/v${call.version}`);
    assert.equal((updated?.data as Call | undefined)?.status, 'awaiting_metadata');
  });

  it('metadata first: neither look-alike takes the recording', async () => {
    const w = await world();
    await w.put('crmexport-m1.json', crmExport());
    await w.put('crmexport-m2.json', crmExport());
    await w.settle();
    await w.put(RECORDING, wav);
    await w.settle();
    await assertBothAmbiguous(w);
    assert.equal((await w.state.calls.get(w.id, CALL))?.readyAt, undefined, 'never ready');
  });

  it('after the undo, a recording named after one look-alike pairs it by name, and the other pairs fuzzily', async () => {
    const w = await world();
    await w.put(RECORDING, wav);
    await w.settle();
    await w.put('crmexport-m1.json', crmExport());
    await w.settle();
    await w.put('crmexport-m2.json', crmExport());
    await w.settle();
    await assertBothAmbiguous(w);
    // A recording named after m2 pairs with it by name: m1 is contested no more and pairs.
    await w.put('crmexport-m2.wav', wav);
    await w.settle();
    assert.deepEqual(await statuses(w), [
      [CALL, 'ready', 'crmexport-m1.json'],
      ['crmexport-m2', 'ready', 'crmexport-m2.json'],
    ]);
    const calls = await w.calls();
    assert.equal(calls.find((c) => c.id === CALL)?.match?.method, 'fuzzy');
    assert.equal(calls.find((c) => c.id === 'crmexport-m2')?.match?.method, 'name');
  });
});
