// Scan requests: requests due together share one job, and none is merged into a scan that may
// already be running (which could have listed data/ before the file that asked arrived).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SCAN_REQUEST_WINDOW_MS, type AddOptions, type JobProducer } from '@callintake/queues';
import { localTenant } from '@callintake/testing';
import { requestScan } from './scan-handler';

/** The options of every request made, as the queue would get them. */
function recordingProducer() {
  const added: AddOptions[] = [];
  const producer: Pick<JobProducer, 'add'> = {
    add: async (_name, _payload, options) => void added.push(options),
  };
  return { producer, added };
}

const tenant = localTenant('/nonexistent/requests', { id: 'requests' });
/** An instant 10 ms into a request window. */
const START = 1_800_000_000_000 + 10;

void describe('requestScan', () => {
  void it('merges requests made at once into one job', async () => {
    const { producer, added } = recordingProducer();
    await requestScan(producer, tenant, 0, new Date(START));
    await requestScan(producer, tenant, 0, new Date(START + 30));
    assert.equal(added.length, 2);
    assert.equal(added[0]?.jobId, added[1]?.jobId);
  });

  void it('gives a request made once an earlier one is due (it may be running) a job of its own', async () => {
    for (const offset of [0, 1, 120, SCAN_REQUEST_WINDOW_MS - 1]) {
      const { producer, added } = recordingProducer();
      const first = START + offset;
      await requestScan(producer, tenant, 0, new Date(first));
      const due = first + (added[0]?.delayMs ?? 0);
      // The first scan has started: a file that arrived since asks again.
      for (const later of [due, due + 5, due + SCAN_REQUEST_WINDOW_MS - 1]) {
        await requestScan(producer, tenant, 0, new Date(later));
        assert.notEqual(
          added.at(-1)?.jobId,
          added[0]?.jobId,
          `first at +${offset}, next at ${later - due} ms after due`,
        );
      }
    }
  });

  void it('waits at most one window longer than asked', async () => {
    for (const [offset, delayMs] of [
      [0, 0],
      [240, 0],
      [10, 100],
      [10, 5_250],
    ] as const) {
      const { producer, added } = recordingProducer();
      await requestScan(producer, tenant, delayMs, new Date(START + offset));
      const waited = added[0]?.delayMs ?? 0;
      assert.ok(waited >= delayMs, `waited ${waited} ms, asked ${delayMs}`);
      assert.ok(waited <= delayMs + SCAN_REQUEST_WINDOW_MS + 1, `waited ${waited} ms, asked ${delayMs}`);
    }
  });
});
