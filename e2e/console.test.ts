// The console (/console) in a real browser: headless Chromium (Debian's `chromium`, which npm test
// installs when missing) driven by playwright-core, against the status API listening on loopback
// over a tenant whose files went through the real handlers (support/world.ts). It signs in with a
// token, sees the calls, opens a rejected file's reason and a call's sources, retries a rejected
// file, and takes the one-time ?token= out of the address bar. Screenshots go to dist/console/.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { parseApiTokens } from '@callintake/config';
import { buildStatusApi } from '@callintake/status-api';
import { findProgram } from '@callintake/testing';
import { metadataJson, pipelineHarness, wav, type World } from './support/world';

const SCREENSHOTS = fileURLToPath(new URL('../dist/console/', import.meta.url));
const TOKEN = 'console-e2e-token';
const harness = pipelineHarness('console');

/** Three calls with both sides, one waiting for its metadata, a junk file and broken metadata. */
const READY = ['20240312-093000_out_jdoe', '20240312-094500_out_jdoe', '20240312-101500_in_jdoe'];
const WAITING = '20240312-110000_out_asmith';
const JUNK = 'notes.txt';
const BROKEN = '20240312-120000_out_jdoe.json';

let w: World;
let api: FastifyInstance;
let base: string;
let browser: Browser;

async function newPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(10_000);
  return page;
}

/** The token the page keeps for its tab (the test's tsconfig has no DOM types). */
const storedToken = (page: Page) =>
  page.evaluate(() => {
    const storage = (globalThis as { sessionStorage?: { getItem(key: string): string | null } })
      .sessionStorage;
    return storage?.getItem('callintake.console.token') ?? null;
  });

const shot = (page: Page, name: string) =>
  page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });

describe('console in a browser', () => {
  // In the describe: the harness's own before() (namespace, folders) has run by then.
  before(async () => {
    w = await harness.world();
    for (const stem of READY) {
      await w.put(`${stem}.wav`, wav);
      await w.put(`${stem}.json`, metadataJson({ filename: `${stem}.wav` }));
    }
    await w.put(`${WAITING}.wav`, wav);
    await w.put(JUNK, 'call Bob back on Tuesday');
    await w.put(BROKEN, '{ "datetime": "2024-03-12T12:00:00Z", ');
    await w.settle();

    api = buildStatusApi({
      state: w.state,
      producer: harness.producer,
      tokens: parseApiTokens(`${TOKEN}:${w.id}`),
      tenants: new Map([[w.id, w.tenant]]),
    });
    base = await api.listen({ port: 0, host: '127.0.0.1' });
    const executablePath = await findProgram('chromium');
    assert.ok(executablePath, 'chromium is missing: npm test installs it (Debian package chromium)');
    // As root in a container Chromium's sandbox cannot start; the page is our own, on loopback.
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox'], timeout: 30_000 });
    await mkdir(SCREENSHOTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await api?.close();
  });

  it('signs in with a token, shows the tenant, its calls, a rejected file’s reason and a call’s sources', async () => {
    const page = await newPage();
    try {
      await page.goto(`${base}/console`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await shot(page, 'sign-in');
      // By keyboard: the token field has focus and a label; Enter submits.
      await page.getByLabel('API token').fill(TOKEN);
      await page.keyboard.press('Enter');

      await page.getByRole('heading', { name: 'Tenants' }).waitFor();
      const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: w.id }) });
      // Ready, then awaiting metadata, then ambiguous; rejected files link to their list.
      const cells = await row.getByRole('cell').allInnerTexts();
      assert.deepEqual(cells.slice(3, 8), ['2', '0', '3', '1', '0'], cells.join(' | '));
      await page.getByRole('link', { name: 'unsupported-type' }).waitFor();
      await page.getByRole('cell', { name: 'media-probe', exact: true }).waitFor();
      await shot(page, 'overview');

      await row.getByRole('link', { name: w.id }).click();
      await page
        .getByRole('navigation', { name: `Tenant ${w.id}` })
        .getByRole('link', { name: 'Calls' })
        .click();
      await page.getByRole('heading', { name: `Calls of ${w.id}` }).waitFor();
      const callLinks = page.getByRole('table').getByRole('link');
      await callLinks.first().waitFor();
      assert.deepEqual((await callLinks.allInnerTexts()).sort(), [...READY, WAITING].sort());
      await shot(page, 'calls');

      // A rejected file's reason, found through the filters.
      await page.getByRole('link', { name: 'Files', exact: true }).click();
      await page.getByRole('heading', { name: `Files of ${w.id}` }).waitFor();
      await page.getByLabel('State').selectOption('rejected');
      await page.getByLabel('Reason').selectOption('parse-error');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.getByText('1 file with reason parse-error').waitFor();
      // By time: nothing was first seen after 2030; everything since 2020.
      await page.getByLabel('First seen since').fill('2030-01-01T00:00');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.getByText('0 files with reason parse-error first seen since 2030-01-01T00:00').waitFor();
      await page.getByLabel('First seen since').fill('2020-01-01T00:00');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.getByText('1 file with reason parse-error first seen since 2020-01-01T00:00').waitFor();
      await page.getByRole('link', { name: BROKEN }).click();
      await page.getByRole('heading', { name: BROKEN }).waitFor();
      const reason = page.locator('.reason');
      assert.match(await reason.innerText(), /^parse-error: /);
      await shot(page, 'file-rejected');

      // A call and its sources (its lineage), with the whole document.
      await page.goto(`${base}/console#/t/${w.id}/calls/${READY[0]}`);
      await page.getByRole('heading', { name: `Call ${READY[0]}` }).waitFor();
      const sources = page.getByRole('table', { name: /Every file that gave this call/ });
      const sourceRows = await sources.getByRole('row').allInnerTexts();
      assert.equal(sourceRows.length, 3, sourceRows.join('\n'));
      assert.match(sourceRows[1] ?? '', new RegExp(`recording\\s+${READY[0]}\\.wav`));
      assert.match(sourceRows[2] ?? '', new RegExp(`metadata\\s+${READY[0]}\\.json`));
      assert.match(await page.getByLabel('Call document (JSON)').innerText(), /"status": "ready"/);
      await shot(page, 'call');

      // Failed and rejected files, and a retry.
      await page.getByRole('link', { name: 'Failed and rejected' }).click();
      await page.getByRole('heading', { name: `Failed and rejected files of ${w.id}` }).waitFor();
      await page.getByRole('button', { name: `Retry ${BROKEN}` }).click();
      await page.getByRole('status').getByText(`Retry of ${BROKEN} (version 1) queued.`).waitFor();
      await page.getByRole('button', { name: `Retry ${JUNK}` }).click();
      await page.getByRole('status').getByText(`Retry of ${JUNK} refused`).waitFor();
      await shot(page, 'failed-and-rejected');
      assert.equal((await w.state.assets.get(w.id, BROKEN))?.state, 'pending');
    } finally {
      await page.close();
    }
  });

  it('takes a one-time ?token= out of the address bar and keeps it for the tab only', async () => {
    const page = await newPage();
    try {
      await page.goto(`${base}/console?token=${TOKEN}#/t/${w.id}/files`);
      await page.getByRole('heading', { name: `Files of ${w.id}` }).waitFor();
      assert.equal(page.url(), `${base}/console#/t/${w.id}/files`);
      assert.equal(await storedToken(page), TOKEN);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      assert.equal(await storedToken(page), null);
    } finally {
      await page.close();
    }
  });

  it('refuses a wrong token and says so', async () => {
    const page = await newPage();
    try {
      await page.goto(`${base}/console`);
      await page.getByLabel('API token').fill('not-a-token');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').getByText('The token was refused (401)').waitFor();
    } finally {
      await page.close();
    }
  });
});
