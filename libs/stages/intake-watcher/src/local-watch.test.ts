// File events on a real local folder: an upload asks for a scan, a file leaving data/ (a
// worker moving it to processed/, a customer deleting it) does not.
import assert from 'node:assert/strict';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { JobProducer } from '@callintake/queues';
import { systemClock } from '@callintake/state';
import { silentLogger } from '@callintake/telemetry';
import { localTenant, tempDir } from '@callintake/testing';
import { watchLocalSources } from './local-watch';

let folder: { path: string; remove(): Promise<void> };

before(async () => {
  folder = await tempDir('local-watch');
});
after(async () => {
  await folder.remove();
});

/** Counts the scan requests a watcher makes. */
function countingProducer() {
  const requests: string[] = [];
  const producer: Pick<JobProducer, 'add'> = {
    add: async (name) => void requests.push(name),
  };
  return { producer, requests };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Long enough for the debounce (100 ms) and a loaded machine. */
const SETTLE_MS = 600;

async function waitForRequests(requests: string[], count: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (requests.length < count && Date.now() < deadline) await sleep(20);
}

void describe('watchLocalSources', () => {
  void it('asks for a scan when a file arrives, and not when files leave data/', async () => {
    const tenant = localTenant(join(folder.path, 'events'), { id: 'events' });
    const data = join(folder.path, 'events', 'upload', 'data');
    await mkdir(join(data, 'processed'), { recursive: true });
    await writeFile(join(data, 'taken.wav'), 'x');
    await writeFile(join(data, 'deleted.wav'), 'x');
    const { producer, requests } = countingProducer();
    const stop = watchLocalSources([tenant], producer, systemClock, silentLogger());
    try {
      // An upload as customers are told to make one: a temporary name, renamed when complete.
      await writeFile(join(data, 'new.wav.part'), 'x');
      await rename(join(data, 'new.wav.part'), join(data, 'new.wav'));
      await waitForRequests(requests, 1);
      await sleep(SETTLE_MS);
      // One, or one per event if the machine is slow enough to split them past the debounce.
      assert.ok(requests.length >= 1);
      assert.ok(requests.every((name) => name === 'scan-source'));

      // A worker moves captured files away, a customer deletes one: nothing new to take.
      requests.length = 0;
      await rename(join(data, 'taken.wav'), join(data, 'processed', 'taken.wav'));
      await rename(join(data, 'new.wav'), join(data, 'processed', 'new.wav'));
      await unlink(join(data, 'deleted.wav'));
      await sleep(SETTLE_MS);
      assert.deepEqual(requests, []);

      // The next upload is noticed again.
      await writeFile(join(data, 'later.wav'), 'x');
      await waitForRequests(requests, 1);
      assert.ok(requests.length >= 1);
      assert.ok(requests.every((name) => name === 'scan-source'));
    } finally {
      stop();
    }
  });
});
