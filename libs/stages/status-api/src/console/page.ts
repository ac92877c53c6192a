// The console's HTML shell and style sheet. The page holds no data and no secret: the script
// (script.ts) signs in with a token and fills <main> from the JSON API.

export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>callintake console</title>
<link rel="stylesheet" href="/console/app.css">
<script src="/console/app.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="bar">
  <p class="brand"><a href="#/">callintake console</a></p>
  <nav id="nav" aria-label="Main" hidden>
    <ul>
      <li><a href="#/">Tenants</a></li>
      <li><a href="/admin/queues">Queues (bull-board)</a></li>
      <li><button type="button" id="sign-out">Sign out</button></li>
    </ul>
  </nav>
</header>
<main id="main" tabindex="-1">
  <noscript><p>The console needs JavaScript.</p></noscript>
</main>
<p id="status" class="status" role="status" aria-live="polite"></p>
</body>
</html>
`;

export const CONSOLE_CSS = `
:root { color-scheme: light; --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --accent: #0a58ca;
  --bad: #b42318; --warn: #8a5a00; --good: #1a7f37; --panel: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #fff; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible {
  outline: 3px solid #ffbf47; outline-offset: 2px; }
/* Headings take focus on each page change for screen readers; the reader needs no ring there. */
h1[tabindex="-1"]:focus, main:focus { outline: none; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; z-index: 1; }
.bar { display: flex; align-items: center; justify-content: space-between; gap: 16px; padding: 10px 24px;
  border-bottom: 1px solid var(--line); background: var(--panel); }
.brand { margin: 0; font-weight: 600; }
.brand a { color: var(--ink); text-decoration: none; }
nav ul { display: flex; gap: 16px; align-items: center; list-style: none; margin: 0; padding: 0; }
main { padding: 16px 24px 48px; max-width: 1200px; }
h1 { font-size: 1.5rem; margin: 8px 0 12px; }
h2 { font-size: 1.15rem; margin: 28px 0 8px; }
.crumbs { margin: 0; color: var(--muted); }
.subnav { display: flex; gap: 16px; margin: 4px 0 16px; padding: 0; list-style: none; }
.subnav a[aria-current="page"] { font-weight: 600; color: var(--ink); text-decoration: none; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 12px; }
caption { text-align: left; color: var(--muted); padding: 4px 0; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 8px 0; }
dt { color: var(--muted); }
dd { margin: 0; }
pre { background: var(--panel); border: 1px solid var(--line); padding: 12px; overflow: auto; max-height: 480px;
  font-size: 13px; }
form.filters { display: flex; flex-wrap: wrap; gap: 12px 20px; align-items: flex-end; margin: 8px 0 12px; }
form.filters label, form.signin label { display: block; font-weight: 600; margin-bottom: 4px; }
input, select, button { font: inherit; }
input, select { padding: 5px 8px; border: 1px solid #8c959f; border-radius: 4px; }
button { padding: 5px 12px; border: 1px solid #8c959f; border-radius: 4px; background: #fff; cursor: pointer; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button:disabled { opacity: 0.6; cursor: default; }
form.signin { max-width: 420px; }
form.signin input { width: 100%; margin-bottom: 12px; }
.state { font-weight: 600; }
.state-rejected, .state-failed, .state-expired { color: var(--bad); }
.state-pending, .state-processing, .state-awaiting_metadata, .state-awaiting_recording, .state-ambiguous { color: var(--warn); }
.state-processed, .state-ready { color: var(--good); }
.reason { margin: 8px 0; padding: 10px 12px; border-left: 4px solid var(--bad); background: #fff5f5; }
.alert { color: var(--bad); font-weight: 600; }
.muted { color: var(--muted); }
.status { position: fixed; bottom: 0; left: 0; right: 0; margin: 0; padding: 0 24px; background: var(--ink);
  color: #fff; }
.status:not(:empty) { padding: 8px 24px; }
`;
