// The console through the real demo, as a person meets it: `ingest demo` started the way
// `npm run demo` starts it (its own process, sample tenant and files from
// apps/ingest/src/sample-tenant.ts, every service), in its own Redis namespace and folder, on a
// free port. Once it says its four calls are ready, headless Chromium signs in with the token the
// demo printed, sees the tenant, lists the four calls, opens the rejected notes.txt and its reason
// code, and opens a call and its document. Screenshots go to dist/console/demo-*.png.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { freePort } from '@callintake/runtime';
import { findProgram, removeNamespace, tempDir, testRedisEnv, uniqueNamespace } from '@callintake/testing';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCREENSHOTS = fileURLToPath(new URL('../dist/console/', import.meta.url));
/** The sample tenant's calls and its one junk file (apps/ingest/src/sample-tenant.ts). */
const DEMO_CALLS = [
  '20240312-091500_outbound_1001',
  '20240312-093012_inbound_1002',
  '20240312-101500_joe_baducci',
  '20240312-110000_out_2004',
];
const JUNK = 'notes.txt';
const READY_LINE = /All 4 calls are ready\./;
const ADDRESS_LINE = /Status API: (http:\/\/\S+)\s+token: (\S+)/;
const DEMO_TIMEOUT_MS = 150_000;

const namespace = uniqueNamespace('console-demo');
let folder: Awaited<ReturnType<typeof tempDir>>;
let demo: ChildProcess | undefined;
let output = '';
let base: string;
let token: string;
let browser: Browser;

/** Resolves once the demo printed its address, token and that every call is ready. */
function demoReady(child: ChildProcess): Promise<{ address: string; token: string }> {
  return new Promise((resolveReady, rejectReady) => {
    const timer = setTimeout(
      () => rejectReady(new Error(`the demo was not ready in ${DEMO_TIMEOUT_MS} ms:\n${output}`)),
      DEMO_TIMEOUT_MS,
    );
    const look = () => {
      const printed = ADDRESS_LINE.exec(output);
      if (printed && READY_LINE.test(output)) {
        clearTimeout(timer);
        resolveReady({ address: printed[1] as string, token: printed[2] as string });
      }
    };
    child.stdout?.on('data', (chunk: Buffer) => ((output += chunk.toString()), look()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      rejectReady(new Error(`the demo exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
}

async function stopDemo(): Promise<void> {
  const child = demo;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

async function newPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(10_000);
  return page;
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: `${SCREENSHOTS}demo-${name}.png`, fullPage: true });

describe('console over the demo tenant', () => {
  before(async () => {
    folder = await tempDir('console-demo');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...testRedisEnv(),
      REDIS_NAMESPACE: namespace,
      DEMO_DIR: folder.path,
      STATUS_PORT: String(await freePort()),
      LOG_LEVEL: 'warn',
    };
    // The demo issues and prints its own token, as it does for a person.
    delete env['STATUS_API_TOKENS'];
    demo = spawn(process.execPath, ['--import', 'tsx', 'apps/ingest/src/main.ts', 'demo'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    ({ address: base, token } = await demoReady(demo));

    const executablePath = await findProgram('chromium');
    assert.ok(executablePath, 'chromium is missing: npm test installs it (Debian package chromium)');
    // As root in a container Chromium's sandbox cannot start; the page is our own, on loopback.
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox'], timeout: 30_000 });
    await mkdir(SCREENSHOTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await stopDemo();
    await removeNamespace(namespace);
    await folder?.remove();
  });

  it('prints a token that opens the console on the demo tenant: four calls, notes.txt’s reason, a call', async () => {
    const page = await newPage();
    try {
      await page.goto(`${base}/console`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await page.getByLabel('API token').fill(token);
      await shot(page, 'sign-in');
      await page.getByRole('button', { name: 'Sign in' }).click();

      // The overview: one rejected file (the junk), none failed, four calls ready, none awaiting
      // metadata or ambiguous.
      await page.getByRole('heading', { name: 'Tenants' }).waitFor();
      const row = page
        .getByRole('row')
        .filter({ has: page.getByRole('link', { name: 'demo', exact: true }) });
      const cells = await row.getByRole('cell').allInnerTexts();
      assert.deepEqual(cells.slice(3, 8), ['1', '0', '4', '0', '0'], cells.join(' | '));
      await page.getByRole('link', { name: 'unsupported-type' }).waitFor();
      await shot(page, 'overview');

      await row.getByRole('link', { name: 'demo', exact: true }).click();
      await page
        .getByRole('navigation', { name: 'Tenant demo' })
        .getByRole('link', { name: 'Calls' })
        .click();
      await page.getByRole('heading', { name: 'Calls of demo' }).waitFor();
      const callLinks = page.getByRole('table').getByRole('link');
      await callLinks.first().waitFor();
      assert.deepEqual((await callLinks.allInnerTexts()).sort(), [...DEMO_CALLS].sort());
      await shot(page, 'calls');

      // The rejected file, found through the filters, and its reason code.
      await page.getByRole('link', { name: 'Files', exact: true }).click();
      await page.getByRole('heading', { name: 'Files of demo' }).waitFor();
      await page.getByLabel('State').selectOption('rejected');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.getByRole('link', { name: JUNK }).click();
      await page.getByRole('heading', { name: JUNK }).waitFor();
      assert.match(await page.locator('.reason').innerText(), /^unsupported-type: /);
      await shot(page, 'file-rejected');

      // A call: its recording and metadata, and the whole document, ready.
      const callId = DEMO_CALLS[0] as string;
      await page.getByRole('link', { name: 'Calls', exact: true }).click();
      await page.getByRole('link', { name: callId }).click();
      await page.getByRole('heading', { name: `Call ${callId}` }).waitFor();
      const sources = page.getByRole('table', { name: /Every file that gave this call/ });
      const sourceRows = await sources.getByRole('row').allInnerTexts();
      assert.match(sourceRows.join('\n'), new RegExp(`recording\\s+${callId}\\.wav`));
      assert.match(sourceRows.join('\n'), new RegExp(`metadata\\s+${callId}\\.json`));
      const document = await page.getByLabel('Call document (JSON)').innerText();
      assert.match(document, /"status": "ready"/);
      assert.match(document, new RegExp(`"id": "${callId}"`));
      await shot(page, 'call');
    } finally {
      await page.close();
    }
  });
});
