// SPDX-License-Identifier: LGPL-2.1-or-later
// The kci dashboard in Chromium: click-through, console errors, keyboard
// use of tables, pages without JavaScript, hostile report data, artifacts.
// Started by run_browser_test.sh with KCI_URL (a running `kci serve` on a
// generated database) and SCREENSHOT_DIR.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { chromium } from 'playwright-core';

const base = process.env.KCI_URL;
const shots = process.env.SCREENSHOT_DIR;
let browser;

before(async () => {
  // playwright gives every launch a fresh, temporary --user-data-dir.
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  if (browser) await browser.close();
});

// A page that records console errors, page errors and dialogs.
async function open(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('dialog', async (d) => { problems.push(`dialog: ${d.message()}`); await d.dismiss(); });
  return { context, page, problems };
}

async function shot(page, name) {
  if (shots) await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

function rawGet(target) {
  return new Promise((resolve, reject) => {
    const u = new URL(base);
    const req = http.request({ host: u.hostname, port: u.port, path: target, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('click from trees to checkout to build to test to its history', async () => {
  const { context, page, problems } = await open();
  await page.goto(`${base}/`);
  assert.equal(await page.title(), 'Trees · kci');
  await shot(page, '1-trees');
  // The maestro mainline row's link.
  const row = page.locator('#trees tbody tr', { hasText: 'maestro' }).filter({ hasText: 'mainline' }).first();
  await row.locator('a').first().click();
  await page.waitForURL(/\/checkout\//);
  assert.match(await page.locator('h1').innerText(), /^Checkout /);
  assert.ok(await page.locator('#builds tbody tr').count() >= 5);
  assert.ok(await page.locator('#groups tbody tr').count() >= 10);
  await shot(page, '2-checkout');
  // Previous checkout and back.
  await page.locator('nav.neighbours a[rel=prev]').click();
  await page.locator('nav.neighbours a[rel=next]').click();
  await page.waitForURL(/\/checkout\//);

  await page.locator('#builds tbody tr a').first().click();
  await page.waitForURL(/\/build\//);
  assert.match(await page.locator('h1').innerText(), /^Build /);
  await shot(page, '3-build');

  await page.locator('#tests tbody tr a', { hasText: 'baseline.dmesg.alert' }).first().click();
  await page.waitForURL(/\/test\//);
  assert.match(await page.locator('h1').innerText(), /baseline\.dmesg\.alert/);
  const marks = page.locator('svg.plot circle.mark');
  assert.ok(await marks.count() >= 3);
  assert.ok(await page.locator('svg.plot circle.mark.fail').count() >= 1);
  assert.ok(await page.locator('svg.plot circle.mark.pass').count() >= 1);
  await shot(page, '4-test');
  // The oldest mark leads to that checkout's run of the same test.
  const first = page.url();
  await page.locator('svg.plot a').first().click();
  await page.waitForURL((u) => u.toString() !== first);
  assert.match(await page.locator('h1').innerText(), /baseline\.dmesg\.alert/);
  // The newest checkout: its regressions first, then compare it with the previous one.
  await page.goto(`${base}/`);
  await row.locator('a').first().click();
  await page.waitForURL(/\/checkout\//);
  assert.ok(await page.locator('#regressions tbody tr').count() >= 1);
  await page.locator('p.compare a', { hasText: 'previous' }).click();
  await page.waitForURL(/\/compare\?/);
  assert.match(await page.locator('h1').innerText(), /^Compare /);
  assert.equal(await page.locator('ul.categories li').count(), 8);
  await shot(page, '4b-compare');
  assert.deepEqual(problems, []);
  await context.close();
});

test('regressions, hardware, tree plots, bisections and HTML logs', async () => {
  const { context, page, problems } = await open();
  await page.goto(`${base}/`);
  await page.locator('header nav a', { hasText: 'Regressions' }).click();
  await page.waitForURL(/\/regressions$/);
  const row = page.locator('#regressions tbody tr', { hasText: 'baseline.dmesg.alert' }).first();
  assert.match(await row.innerText(), /failing since/);
  await shot(page, '7-regressions');
  // The bisection of the planted regression, from its row.
  await row.locator('a[href*="/bisection/"]').click();
  await page.waitForURL(/\/bisection\//);
  assert.ok(await page.locator('#steps tbody tr').count() >= 2);
  await shot(page, '8-bisection');
  await page.locator('header nav a', { hasText: 'Hardware' }).click();
  await page.waitForURL(/\/hardware$/);
  assert.ok(await page.locator('#platforms tbody tr').count() >= 2);
  assert.ok(await page.locator('#labs svg.plot rect.seg').count() >= 1);
  await shot(page, '9-hardware');
  await page.goto(`${base}/`);
  await page.locator('#trees tbody tr', { hasText: 'maestro' }).filter({ hasText: 'mainline' }).first()
    .locator('a', { hasText: 'plots' }).click();
  await page.waitForURL(/\/tree\?/);
  assert.equal(await page.locator('svg.plot.bars').count(), 2);
  await shot(page, '10-tree');
  await page.goto(`${base}/build/local:run1:build`);
  await page.locator('dd a', { hasText: 'HTML' }).click();
  await page.waitForURL(/\/log\/build\//);
  assert.ok(await page.locator('pre.log .finding').count() >= 1);
  await page.locator('ul.findings a').first().click();
  assert.match(page.url(), /#L4$/);
  await shot(page, '11-log');
  assert.deepEqual(problems, []);
  await context.close();
});

test('tables sort and filter from the keyboard', async () => {
  const { context, page, problems } = await open();
  await page.goto(`${base}/?origin=maestro&q=mainline`);
  await page.locator('#trees tbody tr a').first().click();
  await page.waitForURL(/\/checkout\//);
  const button = page.locator('#builds thead th').nth(1).locator('button');
  await button.focus();
  await page.keyboard.press('Enter');
  const th = page.locator('#builds thead th').nth(1);
  assert.equal(await th.getAttribute('aria-sort'), 'ascending');
  const cells = async () => page.locator('#builds tbody tr td:nth-child(2)').allInnerTexts();
  const asc = await cells();
  assert.deepEqual(asc, [...asc].sort((a, b) => a.localeCompare(b)));
  await page.keyboard.press('Space');
  assert.equal(await th.getAttribute('aria-sort'), 'descending');
  assert.deepEqual(await cells(), [...asc].reverse());
  // Tab moves to the next column's sort button.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.closest('th').cellIndex), 2);
  // The filter box appears with JavaScript and hides rows.
  const filter = page.locator('input[data-filter=builds]');
  await filter.focus();
  await page.keyboard.type('riscv');
  assert.equal(await page.locator('#builds tbody tr:not([hidden])').count(), 1);
  assert.deepEqual(problems, []);
  await context.close();
});

test('every page works with JavaScript off', async () => {
  const { context, page, problems } = await open({ javaScriptEnabled: false });
  await page.goto(`${base}/?origin=maestro`);
  assert.ok(await page.locator('#trees tbody tr').count() >= 3);
  // The filter form submits without JavaScript.
  await page.fill('input[name=q]', 'linux-6.6');
  await page.locator('form.filters button').click();
  await page.waitForURL(/q=linux-6\.6/);
  assert.equal(await page.locator('#trees tbody tr').count(), 1);
  await page.locator('#trees tbody tr a').first().click();
  await page.waitForURL(/\/checkout\//);
  await page.locator('#builds tbody tr a').first().click();
  await page.waitForURL(/\/build\//);
  await page.locator('#tests tbody tr a').first().click();
  await page.waitForURL(/\/test\//);
  assert.ok(await page.locator('svg.plot').count() === 1);
  assert.equal(await page.locator('.jsonly').first().isVisible(), false);
  await shot(page, '5-test-nojs');
  assert.deepEqual(problems, []);
  await context.close();
});

test('hostile report data: no script runs, no javascript:/data: link', async () => {
  const { context, page, problems } = await open();
  for (const p of ['/', '/checkout/xss:checkout', '/build/xss:build', '/test/xss:test', '/issues',
                   '/issue/xss:issue', '/regressions', '/compare?b=xss:checkout', '/bisection/2',
                   '/log/build/local:run1:build']) {
    await page.goto(base + p);
    // Real hovers on the hostile texts' containers, then mouse events on
    // every element (an inline handler, were there one, would run or be
    // reported by the Content-Security-Policy as a console error).
    await page.locator('h1').hover();
    await page.locator('main td, main dd, main pre').first().hover();
    await page.evaluate(() => {
      for (const e of document.querySelectorAll('*')) {
        for (const type of ['mouseover', 'mouseenter', 'focus', 'click']) {
          if (type === 'click' && (e.closest('a') || e.closest('button'))) continue;
          e.dispatchEvent(new MouseEvent(type, { bubbles: true }));
        }
      }
    });
    const state = await page.evaluate(() => ({
      xss: window.__xss,
      handlers: Array.from(document.querySelectorAll('*')).flatMap(
        (e) => Array.from(e.attributes).filter((a) => a.name.startsWith('on')).map((a) => a.name)),
      scripts: Array.from(document.scripts).map((s) => s.src),
      links: Array.from(document.querySelectorAll('a[href], area[href], [href]'))
        .map((a) => a.getAttribute('href')),
      protocols: Array.from(document.links).map((a) => a.protocol),
    }));
    assert.equal(state.xss, undefined, p);
    assert.deepEqual(state.handlers, [], p);
    assert.deepEqual(state.scripts, [`${base}/static/dashboard.js`], p);
    for (const proto of state.protocols) assert.ok(proto === 'http:' || proto === 'https:', `${p}: ${proto}`);
    for (const href of state.links) assert.doesNotMatch(href.trim(), /^(javascript|data|vbscript):/i, p);
    assert.ok(/&lt;script&gt;window\.__xss=(1|22|30)&lt;/.test(await page.content()), p);
    if (p === '/test/xss:test') await shot(page, '6-hostile-test');
  }
  assert.deepEqual(problems, []);
  await context.close();
});

test('the headers of a page', async () => {
  const res = await rawGet('/');
  assert.equal(res.status, 200);
  assert.match(res.headers['content-security-policy'], /script-src 'self'/);
  assert.doesNotMatch(res.headers['content-security-policy'], /unsafe-inline/);
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  const json = await rawGet('/trees.json');
  assert.equal(json.status, 200);
  assert.ok(Array.isArray(JSON.parse(json.body).trees));
});

test('artifacts: the local run log opens, nothing outside the root does', async () => {
  const { context, page, problems } = await open();
  await page.goto(`${base}/test/local:run1:baseline.login`);
  await page.locator('dd a', { hasText: 'log' }).click();
  await page.waitForURL(/\/artifacts\/run1\/console\.log$/);
  assert.match(await page.locator('body').innerText(), /login reached/);
  // The HTML log is sandboxed: its script does not run.
  await page.goto(`${base}/artifacts/run1/console.html`);
  assert.notEqual(await page.title(), 'ran');
  assert.deepEqual(problems.filter((m) => !m.includes('sandbox') && !m.includes('Content Security Policy')), []);
  await context.close();
  for (const target of ['/artifacts/run1/secret-link.txt', '/artifacts/up-link/outside-secret.txt',
                        '/artifacts/../outside-secret.txt', '/artifacts/run1/..%2F..%2Foutside-secret.txt',
                        '/artifacts/run1/%2e%2e/%2e%2e/outside-secret.txt', '/artifacts/run1%5C..%5Cconsole.log',
                        '/artifacts/%2E%2E/outside-secret.txt']) {
    const res = await rawGet(target);
    assert.notEqual(res.status, 200, target);
    assert.ok(!res.body.includes('secret outside'), target);
  }
  assert.equal((await rawGet('/artifacts/run1/console.log')).status, 200);
});
