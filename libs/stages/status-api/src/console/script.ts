// The console's script, served as /console/app.js: framework-free JavaScript that runs as is in
// any current browser, so there is no bundle to build and nothing fetched from a CDN. It reads
// the JSON API with the token the user entered (kept in this tab's sessionStorage), routes on the
// URL's fragment (#/t/<tenant>/files/<name>), and builds every element with textContent, never
// HTML from data. consoleScript() prefixes the enums it needs from our schemas.
//
// Kept free of template literals: it is itself one.
import { ASSET_STATES, CALL_STATUSES, REASON_CODES } from '@callintake/schemas';

const CLIENT = String.raw`
const TOKEN_KEY = 'callintake.console.token';
const main = document.getElementById('main');
const nav = document.getElementById('nav');
const statusLine = document.getElementById('status');

class ApiFailure extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const enc = encodeURIComponent;
const tenantHref = (tenant, rest) => '#/t/' + enc(tenant) + (rest || '');
const fileHref = (tenant, name) => tenantHref(tenant, '/files/' + enc(name));
const callHref = (tenant, id) => tenantHref(tenant, '/calls/' + enc(id));

function when(iso) {
  if (!iso) return '';
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace(/Z$/, ' UTC');
}

function ago(iso) {
  const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 90) return Math.round(seconds) + ' s ago';
  if (seconds < 5400) return Math.round(seconds / 60) + ' min ago';
  if (seconds < 172800) return Math.round(seconds / 3600) + ' h ago';
  return Math.round(seconds / 86400) + ' days ago';
}

function stateBadge(state) {
  return el('span', { class: 'state state-' + state }, state.replace(/_/g, ' '));
}

function announce(message) {
  statusLine.textContent = message;
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

async function api(path, options) {
  const response = await fetch(path, {
    method: (options && options.method) || 'GET',
    headers: { authorization: 'Bearer ' + token(), accept: 'application/json' },
    cache: 'no-store',
  });
  const body = await response.json().catch(() => null);
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    showSignIn('The token was refused (401). Sign in again.');
    throw new ApiFailure(401, 'unauthorized', 'signed out');
  }
  if (!response.ok) {
    const error = (body && body.error) || {};
    throw new ApiFailure(response.status, error.code || 'error', error.message || response.statusText);
  }
  return body;
}

/** Replaces the page: its title as the h1 (focused, so screen readers and keyboards start there). */
function render(title, ...content) {
  document.title = title + ' · callintake console';
  const heading = el('h1', { tabindex: '-1' }, title);
  main.replaceChildren(heading);
  append(main, content);
  heading.focus();
}

function failure(error) {
  if (error instanceof ApiFailure && error.status === 401) return;
  render('Something went wrong', el('p', { class: 'alert', role: 'alert' }, error.message || String(error)));
}

function table(caption, headings, rows, numeric) {
  const numericColumns = new Set(numeric || []);
  return el(
    'table',
    {},
    el('caption', {}, caption),
    el('thead', {}, el('tr', {}, headings.map((h, i) => el('th', { scope: 'col', class: numericColumns.has(i) ? 'num' : null }, h)))),
    el(
      'tbody',
      {},
      rows.length
        ? rows.map((cells) => el('tr', {}, cells.map((cell, i) => el('td', { class: numericColumns.has(i) ? 'num' : null }, cell))))
        : el('tr', {}, el('td', { colspan: headings.length, class: 'muted' }, 'None.')),
    ),
  );
}

function details(pairs) {
  return el('dl', {}, pairs.filter((pair) => pair[1] !== undefined && pair[1] !== null && pair[1] !== '').map((pair) => [el('dt', {}, pair[0]), el('dd', {}, pair[1])]));
}

function reasonBox(reason) {
  if (!reason) return null;
  const where = [reason.field ? 'field ' + reason.field : '', reason.line ? 'line ' + reason.line : '', reason.file ? 'file ' + reason.file : '']
    .filter(Boolean)
    .join(', ');
  return el('div', { class: 'reason' }, el('strong', {}, reason.code), ': ', reason.message, where ? ' (' + where + ')' : '');
}

function tenantNav(tenant, current) {
  const link = (label, rest, key) => el('li', {}, el('a', { href: tenantHref(tenant, rest), 'aria-current': current === key ? 'page' : null }, label));
  return [
    el('p', { class: 'crumbs' }, el('a', { href: '#/' }, 'Tenants'), ' / ', tenant),
    el('nav', { 'aria-label': 'Tenant ' + tenant }, el('ul', { class: 'subnav' }, link('Files', '/files', 'files'), link('Calls', '/calls', 'calls'), link('Failed and rejected', '/attention', 'attention'))),
  ];
}

// ---- sign in -------------------------------------------------------------------------------

function showSignIn(message) {
  nav.hidden = true;
  const input = el('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true, 'aria-describedby': 'token-help' });
  const form = el(
    'form',
    { class: 'signin', onsubmit: (event) => {
      event.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, input.value.trim());
      void route();
    } },
    el('label', { for: 'token' }, 'API token'),
    input,
    el('p', { id: 'token-help', class: 'muted' }, 'A status API token (STATUS_API_TOKENS). It stays in this tab until you sign out or close the tab.'),
    el('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  render('Sign in', message ? el('p', { class: 'alert', role: 'alert' }, message) : null, form);
  input.focus();
}

// ---- pages ---------------------------------------------------------------------------------

async function overviewPage() {
  const [tenants, queues] = await Promise.all([api('/v1/tenants'), api('/v1/queues')]);
  const overviews = await Promise.all(tenants.items.map((tenant) => api('/v1/tenants/' + enc(tenant.id) + '/overview')));
  const rows = overviews.map((o) => [
    el('a', { href: tenantHref(o.tenant, '/files') }, o.tenant),
    o.filesByState.pending + o.filesByState.processing,
    o.filesByState.processed,
    o.filesByState.rejected ? el('a', { href: tenantHref(o.tenant, '/files?state=rejected') }, String(o.filesByState.rejected)) : 0,
    o.filesByState.failed ? el('a', { href: tenantHref(o.tenant, '/files?state=failed') }, String(o.filesByState.failed)) : 0,
    o.callsByStatus.ready,
    o.callsByStatus.awaiting_metadata ? el('a', { href: tenantHref(o.tenant, '/calls?status=awaiting_metadata') }, String(o.callsByStatus.awaiting_metadata)) : 0,
    o.callsByStatus.ambiguous ? el('a', { href: tenantHref(o.tenant, '/calls?status=ambiguous') }, String(o.callsByStatus.ambiguous)) : 0,
    o.lastUploadAt ? [when(o.lastUploadAt), el('br'), el('span', { class: 'muted' }, ago(o.lastUploadAt))] : el('span', { class: 'muted' }, 'never'),
  ]);
  const reasons = overviews
    .filter((o) => o.rejectionsByReason.length)
    .map((o) => el('li', {}, el('a', { href: tenantHref(o.tenant, '/attention') }, o.tenant), ': ', o.rejectionsByReason.map((r, i) => [i ? ', ' : '', el('a', { href: tenantHref(o.tenant, '/files?state=rejected&reason=' + enc(r.code)) }, r.code), ' ' + r.count])));
  render(
    'Tenants',
    table('Files and calls per tenant', ['Tenant', 'Files in progress', 'Processed', 'Rejected', 'Failed', 'Calls ready', 'Awaiting metadata', 'Ambiguous', 'Last upload'], rows, [1, 2, 3, 4, 5, 6, 7]),
    el('h2', {}, 'Rejections by reason'),
    reasons.length ? el('ul', {}, reasons) : el('p', { class: 'muted' }, 'No rejected files.'),
    el('h2', {}, 'Backlog per queue'),
    table(
      'Jobs per queue (all tenants)',
      ['Queue', 'Backlog (waiting + prioritized)', 'Active', 'Delayed', 'Failed'],
      queues.items.map((q) => [q.name, (q.waiting || 0) + (q.prioritized || 0), q.active || 0, q.delayed || 0, q.failed || 0]),
      [1, 2, 3, 4],
    ),
  );
}

async function filesPage(tenant, query) {
  const state = query.get('state') || '';
  const reason = query.get('reason') || '';
  // Seen since (local time, as the input shows it); an unparseable value filters nothing.
  const since = query.get('since') || '';
  const sinceMs = since ? Date.parse(since) : NaN;
  const sinceInput = el('input', { id: 'filter-since', name: 'since', type: 'datetime-local', value: since });
  const stateSelect = el('select', { id: 'filter-state', name: 'state' }, el('option', { value: '' }, 'any'), ASSET_STATES.map((s) => el('option', { value: s, selected: s === state }, s)));
  const reasonSelect = el('select', { id: 'filter-reason', name: 'reason' }, el('option', { value: '' }, 'any'), REASON_CODES.map((r) => el('option', { value: r, selected: r === reason }, r)));
  const filters = el(
    'form',
    { class: 'filters', onsubmit: (event) => {
      event.preventDefault();
      const next = new URLSearchParams();
      if (stateSelect.value) next.set('state', stateSelect.value);
      if (reasonSelect.value) next.set('reason', reasonSelect.value);
      if (sinceInput.value) next.set('since', sinceInput.value);
      const q = next.toString();
      location.hash = tenantHref(tenant, '/files' + (q ? '?' + q : ''));
    } },
    el('div', {}, el('label', { for: 'filter-state' }, 'State'), stateSelect),
    el('div', {}, el('label', { for: 'filter-reason' }, 'Reason'), reasonSelect),
    el('div', {}, el('label', { for: 'filter-since' }, 'First seen since'), sinceInput),
    el('div', {}, el('button', { type: 'submit' }, 'Apply filters')),
  );
  const body = el('tbody');
  const summary = el('p', { class: 'muted' });
  const more = el('button', { type: 'button', hidden: true }, 'Load more');
  let cursor = null;
  let loaded = 0;
  let shown = 0;
  const load = async () => {
    const params = new URLSearchParams({ limit: '100' });
    if (state) params.set('state', state);
    if (cursor) params.set('cursor', cursor);
    const page = await api('/v1/tenants/' + enc(tenant) + '/files?' + params);
    loaded += page.items.length;
    // The API filters by state; the reason and the time are filtered here, on the files loaded.
    const wanted = (f) =>
      (!reason || (f.reason && f.reason.code === reason)) && (Number.isNaN(sinceMs) || Date.parse(f.firstSeenAt) >= sinceMs);
    for (const file of page.items.filter(wanted)) {
      shown += 1;
      body.append(el('tr', {}, el('td', {}, el('a', { href: fileHref(tenant, file.name) }, file.name)), el('td', {}, file.kind), el('td', {}, stateBadge(file.state)), el('td', {}, file.reason ? file.reason.code : ''), el('td', {}, when(file.firstSeenAt))));
    }
    cursor = page.nextCursor;
    more.hidden = !cursor;
    const filtered = reason || !Number.isNaN(sinceMs);
    summary.textContent = shown + ' file' + (shown === 1 ? '' : 's') + (reason ? ' with reason ' + reason : '') + (Number.isNaN(sinceMs) ? '' : ' first seen since ' + since) + (filtered ? ' among ' + loaded + ' loaded' : '') + (cursor ? '; more to load' : '');
  };
  more.addEventListener('click', () => load().catch(failure));
  await load();
  render(
    'Files of ' + tenant,
    tenantNav(tenant, 'files'),
    filters,
    summary,
    el('table', {}, el('caption', {}, 'Files, newest first'), el('thead', {}, el('tr', {}, ['File', 'Kind', 'State', 'Reason', 'First seen'].map((h) => el('th', { scope: 'col' }, h)))), body),
    more,
  );
}

function retryButton(tenant, file, onQueued) {
  const button = el('button', { type: 'button', class: 'primary', 'aria-label': 'Retry ' + file.name }, 'Retry');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const queued = await api('/v1/tenants/' + enc(tenant) + '/files/' + enc(file.name) + '/retry', { method: 'POST' });
      announce('Retry of ' + queued.file + ' (version ' + queued.version + ') queued.');
      if (onQueued) onQueued(queued);
    } catch (error) {
      button.disabled = false;
      if (!(error instanceof ApiFailure && error.status === 401)) announce('Retry of ' + file.name + ' refused: ' + error.message);
    }
  });
  return button;
}

async function filePage(tenant, name) {
  const file = await api('/v1/tenants/' + enc(tenant) + '/files/' + enc(name));
  const retryable = file.state === 'failed' || file.state === 'rejected';
  const stateCell = el('span', {}, stateBadge(file.state));
  render(
    file.name,
    tenantNav(tenant, 'files'),
    details([
      ['Kind', file.kind],
      ['State', stateCell],
      ['First seen', when(file.firstSeenAt)],
      ['Calls', file.callIds.length ? file.callIds.map((id, i) => [i ? ', ' : '', el('a', { href: callHref(tenant, id) }, id)]) : null],
    ]),
    file.reason ? [el('h2', {}, 'Reason'), reasonBox(file.reason)] : null,
    file.warnings && file.warnings.length ? [el('h2', {}, 'Warnings'), file.warnings.map(reasonBox)] : null,
    retryable ? el('p', {}, retryButton(tenant, file, () => stateCell.replaceChildren(stateBadge('pending'), ' (retry queued)'))) : null,
    el('h2', {}, 'Versions'),
    table(
      'Every upload of this name, oldest first',
      ['Version', 'State', 'Seen', 'Size (bytes)', 'Where', 'Attempts', 'Reason'],
      file.versions.map((v) => [v.number, stateBadge(v.state), when(v.seenAt), v.sizeBytes, v.location, v.attempts ? v.attempts.count + ' of ' + v.attempts.of + ': ' + v.attempts.lastError : '', v.reason ? v.reason.code + ': ' + v.reason.message : '']),
      [0, 3],
    ),
    el('h2', {}, 'Document'),
    el('pre', { tabindex: '0', 'aria-label': 'File document (JSON)' }, JSON.stringify(file, null, 2)),
  );
}

async function callsPage(tenant, query) {
  const status = query.get('status') || '';
  const select = el('select', { id: 'filter-status', name: 'status' }, el('option', { value: '' }, 'any'), CALL_STATUSES.map((s) => el('option', { value: s, selected: s === status }, s)));
  const filters = el(
    'form',
    { class: 'filters', onsubmit: (event) => {
      event.preventDefault();
      location.hash = tenantHref(tenant, '/calls' + (select.value ? '?status=' + enc(select.value) : ''));
    } },
    el('div', {}, el('label', { for: 'filter-status' }, 'Status'), select),
    el('div', {}, el('button', { type: 'submit' }, 'Apply filter')),
  );
  const params = new URLSearchParams({ limit: '100' });
  if (status) params.set('status', status);
  const page = await api('/v1/tenants/' + enc(tenant) + '/calls?' + params);
  render(
    'Calls of ' + tenant,
    tenantNav(tenant, 'calls'),
    filters,
    table(
      'Calls, newest first' + (page.nextCursor ? ' (first 100)' : ''),
      ['Call', 'Status', 'Call time', 'User', 'Direction', 'Recording', 'Metadata'],
      page.items.map((c) => [el('a', { href: callHref(tenant, c.id) }, c.id), stateBadge(c.status), when(c.callTime), c.userId || '', c.direction || '', c.recording ? c.recording.fileName : '', c.metadata ? c.metadata.fileName : '']),
    ),
  );
}

async function callPage(tenant, id) {
  const call = await api('/v1/tenants/' + enc(tenant) + '/calls/' + enc(id));
  const recording = call.recording;
  const sources = call.lineage || [];
  render(
    'Call ' + call.id,
    tenantNav(tenant, 'calls'),
    details([
      ['Status', stateBadge(call.status)],
      ['Call time', when(call.callTime)],
      ['User', call.userId],
      ['Direction', call.direction],
      ['Match', call.match ? call.match.method + ' (score ' + call.match.score + ')' : null],
      ['Recording', recording ? [el('a', { href: fileHref(tenant, recording.fileName) }, recording.fileName), ' · ' + [recording.container, recording.codec, recording.durationSec !== undefined ? recording.durationSec + ' s' : '', recording.channels ? recording.channels + ' ch' : ''].filter(Boolean).join(', ')] : null],
      ['Metadata', call.metadata ? [el('a', { href: fileHref(tenant, call.metadata.fileName) }, call.metadata.fileName), call.metadata.line ? ' line ' + call.metadata.line : ''] : null],
      ['Version', call.version],
      ['Updated', when(call.updatedAt)],
    ]),
    call.statusReason ? [el('h2', {}, 'Why it is ' + call.status.replace(/_/g, ' ')), reasonBox(call.statusReason)] : null,
    call.warnings && call.warnings.length ? [el('h2', {}, 'Warnings'), call.warnings.map(reasonBox)] : null,
    el('h2', {}, 'Sources'),
    table(
      'Every file that gave this call its recording or metadata, oldest first',
      ['Kind', 'File', 'Line', 'Version', 'Received', 'Current'],
      sources.map((s) => [s.kind, el('a', { href: fileHref(tenant, s.fileName) }, s.fileName), s.line || '', s.version, when(s.receivedAt), s.current ? 'yes' : 'no, replaced']),
      [2, 3],
    ),
    el('h2', {}, 'Call document'),
    el('pre', { tabindex: '0', 'aria-label': 'Call document (JSON)' }, JSON.stringify(call, null, 2)),
  );
}

async function attentionPage(tenant) {
  const [failed, rejected] = await Promise.all(['failed', 'rejected'].map((state) => api('/v1/tenants/' + enc(tenant) + '/files?limit=100&state=' + state)));
  const section = (title, page) => [
    el('h2', {}, title + ' (' + page.items.length + (page.nextCursor ? '+' : '') + ')'),
    table(
      title + ' files, newest first',
      ['File', 'Kind', 'Reason', 'First seen', 'Action'],
      page.items.map((file) => {
        const action = el('span', {});
        action.append(retryButton(tenant, file, () => action.replaceChildren(el('span', { class: 'muted' }, 'retry queued'))));
        return [el('a', { href: fileHref(tenant, file.name) }, file.name), file.kind, file.reason ? [el('strong', {}, file.reason.code), ': ' + file.reason.message] : '', when(file.firstSeenAt), action];
      }),
    ),
  ];
  render('Failed and rejected files of ' + tenant, tenantNav(tenant, 'attention'), el('p', { class: 'muted' }, 'Retry gives a file another go once its cause is fixed (a failed file after an outage; a rejected one after a tenant configuration change).'), section('Failed', failed), section('Rejected', rejected));
}

// ---- routing -------------------------------------------------------------------------------

async function route() {
  if (!token()) return showSignIn();
  nav.hidden = false;
  const hash = location.hash || '#/';
  if (!hash.startsWith('#/')) return;
  const [path, search] = hash.slice(1).split('?');
  const query = new URLSearchParams(search || '');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  statusLine.textContent = '';
  try {
    if (parts.length === 0) return await overviewPage();
    if (parts[0] === 't' && parts[1]) {
      const tenant = parts[1];
      if (parts.length === 2 || parts[2] === 'files') {
        if (parts[3]) return await filePage(tenant, parts[3]);
        return await filesPage(tenant, query);
      }
      if (parts[2] === 'calls') {
        if (parts[3]) return await callPage(tenant, parts[3]);
        return await callsPage(tenant, query);
      }
      if (parts[2] === 'attention') return await attentionPage(tenant);
    }
    render('Not found', el('p', {}, 'No console page here. ', el('a', { href: '#/' }, 'Back to the tenants.')));
  } catch (error) {
    failure(error);
  }
}

// A one-time ?token= (a link from a runbook) goes to sessionStorage and leaves the address bar
// and history at once.
const params = new URLSearchParams(location.search);
if (params.has('token')) {
  sessionStorage.setItem(TOKEN_KEY, params.get('token') || '');
  params.delete('token');
  const rest = params.toString();
  history.replaceState(null, '', location.pathname + (rest ? '?' + rest : '') + location.hash);
}
document.getElementById('sign-out').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  location.hash = '#/';
  showSignIn('Signed out.');
});
window.addEventListener('hashchange', () => void route());
void route();
`;

/** The whole script, with the enums it offers as filters. */
export function consoleScript(): string {
  const constants = {
    ASSET_STATES,
    CALL_STATUSES,
    REASON_CODES,
  };
  const declarations = Object.entries(constants)
    .map(([name, values]) => `const ${name} = ${JSON.stringify(values)};`)
    .join('\n');
  return `'use strict';\n{\n${declarations}\n${CLIENT}\n}\n`;
}
