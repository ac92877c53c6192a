// A service for the shutdown and stall tests: the production main (runServiceMain: Runtime,
// workers, signals, deadlines) with a test stage whose `probe-recording` jobs take as long as
// this process is told, so no production handler needs a test hook. A job named `slow-*` takes
// HOLD_MS (default: far longer than any test), `quick-*` takes QUICK_MS; every run appends
// `start|done <pid> <fileName>` lines to HOLD_LOG.
import { appendFileSync } from 'node:fs';
import { defineStage, runServiceMain } from '../src/index';

const logPath = process.env['HOLD_LOG'] ?? '';
const holdMs = Number(process.env['HOLD_MS'] ?? 600_000);
const quickMs = Number(process.env['QUICK_MS'] ?? 0);

function note(event: 'start' | 'done', fileName: string): void {
  if (logPath) appendFileSync(logPath, `${event} ${process.pid} ${fileName}\n`);
}

const holdStage = defineStage({
  name: 'media-prober',
  description: 'test stage: probe jobs that take as long as the test says',
  consumes: ['media-probe'],
  replicas: { min: 1, max: 1 },
  handlers: () => ({
    'media-probe': {
      'probe-recording': async (payload) => {
        note('start', payload.fileName);
        const ms = payload.fileName.startsWith('slow') ? holdMs : quickMs;
        await new Promise((resolve) => setTimeout(resolve, ms));
        note('done', payload.fileName);
      },
    },
  }),
});

await runServiceMain(holdStage);
