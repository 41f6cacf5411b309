// The example donation form (deploy/examples/) in a real browser: Debian's chromium driven by
// playwright-core, against the real supportd, fake-stripe and Redis, with the form served from
// a second origin as a news site's pages would be.
//
//   1. JavaScript off: the plain form posts cross-origin, the browser follows the 303 to the
//      hosted checkout, Pay lands on the thanks page, and the pledge becomes active.
//   2. JavaScript on: donate.js sends a CORS preflight and a JSON post with an Idempotency-Key;
//      a double click makes one checkout session.
//   3. An origin not on the allowlist: the preflight is refused (403), the page says so in
//      #status and stays on the form; no checkout session is made.
//
// Run: cd tests && SUPPORTD_BIN=../build/service/supportd \
//        FAKE_STRIPE_BIN=../build/tests/fake_stripe/fake-stripe node --test browser/
// Needs `npm ci` in tests/, redis-server, and chromium (CHROMIUM_BIN, default /usr/bin/chromium).
// Set BROWSER_TEST_KEEP=1 to keep the temp dir (logs of every process) after the run.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import {
  checkAnswersFrom, checkBrowserAnswers, checksSettled, expectNoContractFailures,
} from '../contract/node_checks.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const EXAMPLES = path.resolve(here, '../../deploy/examples');
const SUPPORTD_BIN = process.env.SUPPORTD_BIN;
const FAKE_STRIPE_BIN = process.env.FAKE_STRIPE_BIN;
const CHROMIUM_BIN = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const REDIS_BIN = process.env.REDIS_SERVER_BIN || 'redis-server';
if (!SUPPORTD_BIN || !FAKE_STRIPE_BIN) {
  throw new Error('set SUPPORTD_BIN and FAKE_STRIPE_BIN to the built binaries');
}
const SECRET_KEY = 'sk_test_x';
const WEBHOOK_SECRET = 'whsec_x';
const SCREENSHOT = process.env.BROWSER_TEST_SCREENSHOT || '/tmp/browser-checkout.png';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'supportd-browser-'));
const children = [];  // {name, child, log}
const servers = [];
let browser;
let supportdBase, fakeBase, formBase, strangerBase;

// --- helpers -------------------------------------------------------------------------------

// A unique email for each case, in letters only: digit runs such as pid-timestamp can pass Luhn
// and supportd rightly refuses what looks like a card number (13-19 digits, spaces or dashes).
function uniqueEmail(tag) {
  const letters = Array.from(randomBytes(12), (b) => String.fromCharCode(97 + (b % 26)));
  return `${tag}.${letters.join('')}@example.org`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A free loopback port: bound by the kernel, then released for the child to take.
async function freePort() {
  const server = net.createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// Starts a child with stdout and stderr copied to <tmp>/<name>.log; `onLine` sees each line.
function startChild(name, bin, args, onLine = () => {}) {
  const log = path.join(tmp, `${name}.log`);
  const out = fs.createWriteStream(log);
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream }).on('line', (line) => {
      out.write(line + '\n');
      onLine(line);
    });
  }
  child.exitCode_ = null;
  child.once('exit', (code, signal) => { child.exitCode_ = code ?? signal; });
  children.push({ name, child, log });
  return child;
}

// Resolves when `check` answers truthy; fails if `child` exits first or the time runs out.
async function waitFor(what, check, { child, timeoutMs = 15000, intervalMs = 50 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    if (child && child.exitCode_ !== null) {
      throw new Error(`${what}: the process exited (${child.exitCode_}); logs in ${tmp}`);
    }
    try {
      const value = await check();
      if (value) return value;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${lastError.message}` : ''}`);
    }
    await sleep(intervalMs);
  }
}

// Resolves to the parsed JSON of the first line of `child` where `predicate` holds.
function jsonLine(child, predicate, onLineHook) {
  return new Promise((resolve, reject) => {
    onLineHook((line) => {
      try {
        const json = JSON.parse(line);
        if (predicate(json)) resolve(json);
      } catch { /* not JSON */ }
    });
    child.once('exit', (code, signal) => reject(new Error(`exited (${code ?? signal}) before listening`)));
  });
}

function tcpAccepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

// Prometheus text → [{name, labels, value}].
async function metrics() {
  const response = await fetch(`${supportdBase}/metrics`);
  assert.equal(response.status, 200);
  const samples = [];
  for (const line of (await response.text()).split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const l of (m[2] || '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]] = l[2];
    }
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

// The sum of the samples of `name` whose labels include `want`.
async function metric(name, want = {}) {
  let sum = 0;
  for (const s of await metrics()) {
    if (s.name !== name) continue;
    if (Object.entries(want).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return sum;
}

// fake-stripe's POST /v1/checkout/sessions requests, optionally for one customer_email.
async function checkoutSessionRequests(email) {
  const response = await fetch(`${fakeBase}/__control/requests`);
  assert.equal(response.status, 200);
  let requests = await response.json();
  if (!Array.isArray(requests)) requests = requests.requests || requests.data || [];
  return requests.filter((r) => r.method === 'POST' && r.path === '/v1/checkout/sessions' &&
                                 (email === undefined || r.params?.customer_email === email));
}

// A static server for deploy/examples on its own origin. The example pages name the API and
// the form's origin by the fixed ports of deploy/local/run (8080, 8090): rewrite them to ours.
async function startStaticServer(name) {
  const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
                  '.css': 'text/css; charset=utf-8' };
  const seen = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    seen.push(`${req.method} ${url.pathname}`);
    const file = path.join(EXAMPLES, path.normalize(decodeURIComponent(url.pathname)));
    if (!file.startsWith(EXAMPLES + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    let body = fs.readFileSync(file);
    const type = types[path.extname(file)] || 'application/octet-stream';
    if (path.extname(file) === '.html') {
      const origin = `http://127.0.0.1:${server.address().port}`;
      body = body.toString('utf8')
        .replaceAll('http://127.0.0.1:8080', supportdBase)
        .replaceAll('http://127.0.0.1:8090', origin);
    }
    res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store' }).end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { base: `http://127.0.0.1:${server.address().port}`, seen, name };
}

// A fresh browser context per case, closed however the case ends.
async function withPage(options, body) {
  const context = await browser.newContext(options);
  try {
    const page = await context.newPage();
    checkBrowserAnswers(page, supportdBase);
    page.setDefaultTimeout(15000);
    try {
      return await body(page);
    } catch (e) {
      // What the reader would have seen, and what the services said, for the failure report.
      const text = await page.locator('body').innerText({ timeout: 1000 }).catch(() => '(no body)');
      console.error(`page at ${page.url()} shows:\n${text.slice(0, 1000)}`);
      for (const { name, log } of children) {
        const lines = fs.readFileSync(log, 'utf8').trimEnd().split('\n');
        console.error(`--- last lines of ${name}.log\n${lines.slice(-15).join('\n')}`);
      }
      throw e;
    }
  } finally {
    await checksSettled();  // the page's answers are read before it goes
    await context.close();
  }
}

// --- everything up, everything down --------------------------------------------------------

before(async () => {
  // The static servers first: supportd's allowlist names the form's origin.
  const redisPort = await freePort();
  const supportdPort = await freePort();
  const fakePort = await freePort();
  supportdBase = `http://127.0.0.1:${supportdPort}`;
  checkAnswersFrom(supportdBase);
  fakeBase = `http://127.0.0.1:${fakePort}`;
  const form = await startStaticServer('form');
  const stranger = await startStaticServer('stranger');
  formBase = form.base;
  strangerBase = stranger.base;

  // Its own log line, not just an open port: the port could be someone else's.
  let redisReady = false;
  const redis = startChild('redis', REDIS_BIN, [
    '--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', tmp, '--daemonize', 'no',
  ], (line) => { if (/Ready to accept connections/.test(line)) redisReady = true; });
  await waitFor('redis', async () => redisReady && tcpAccepts(redisPort), { child: redis });

  const fakeHooks = [];
  const fake = startChild('fake-stripe', FAKE_STRIPE_BIN, [
    '--listen', `127.0.0.1:${fakePort}`, '--secret-key', SECRET_KEY, '--public-url', fakeBase,
    '--webhook-url', `${supportdBase}/v1/webhooks/stripe`, '--webhook-secret', WEBHOOK_SECRET,
  ], (line) => fakeHooks.forEach((h) => h(line)));
  let timer;
  const fakeListening = await Promise.race([
    jsonLine(fake, (j) => j.msg === 'listening', (h) => fakeHooks.push(h)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('fake-stripe did not say it was listening')), 15000);
    }),
  ]).finally(() => clearTimeout(timer));
  assert.equal(fakeListening.address, `127.0.0.1:${fakePort}`);

  const keyFile = path.join(tmp, 'stripe-secret-key');
  const whsecFile = path.join(tmp, 'stripe-webhook-secret');
  fs.writeFileSync(keyFile, SECRET_KEY + '\n', { mode: 0o600 });
  fs.writeFileSync(whsecFile, WEBHOOK_SECRET + '\n', { mode: 0o600 });
  const supportdHooks = [];
  const supportd = startChild('supportd', SUPPORTD_BIN, [
    '--listen-https=', `--listen-http=127.0.0.1:${supportdPort}`,
    `--redis-url=redis://127.0.0.1:${redisPort}/0`,
    `--stripe-secret-key-file=${keyFile}`, `--stripe-api-base=${fakeBase}`,
    `--stripe-webhook-secret-file=${whsecFile}`,
    `--allowed-origins=${formBase}`, '--rate-limit-per-minute=0',
  ], (line) => supportdHooks.forEach((h) => h(line)));
  const listening = jsonLine(supportd, (j) => j.msg === 'listening' && j.scheme === 'http',
                             (h) => supportdHooks.push(h));
  listening.catch(() => {});
  await waitFor('supportd /readyz', async () => (await fetch(`${supportdBase}/readyz`)).status === 200,
                { child: supportd, timeoutMs: 20000 });
  assert.equal((await listening).address, `127.0.0.1:${supportdPort}`);

  browser = await chromium.launch({
    executablePath: CHROMIUM_BIN,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  for (const server of servers) {
    server.closeAllConnections?.();
    await new Promise((resolve) => server.close(resolve));
  }
  // supportd first (it drains), then the ones it depends on.
  for (const { name, child } of children.reverse()) {
    if (child.exitCode_ !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      console.error(`${name} did not stop on SIGTERM; killing it`);
      child.kill('SIGKILL');
    }, 10000);
    await exited;
    clearTimeout(timer);
  }
  if (process.env.BROWSER_TEST_KEEP) {
    console.error(`logs kept in ${tmp}`);
  } else {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  await expectNoContractFailures();
});

// Every answer supportd gave the browser and the test is as proto/openapi.yaml documents it.
afterEach(expectNoContractFailures);

// Whatever happens, no child outlives the test process.
process.on('exit', () => {
  for (const { child } of children) if (child.exitCode_ === null) child.kill('SIGKILL');
});

// --- the cases -----------------------------------------------------------------------------

test('JavaScript off: the plain form goes to checkout, Pay lands on thanks, the pledge is active', async () => {
  const activeBefore = await metric('supportd_pledge_transitions_total', { from: 'pending', to: 'active' });
  const email = uniqueEmail('nojs');

  await withPage({ javaScriptEnabled: false }, async (page) => {
    await page.goto(`${formBase}/donate.html`);
    assert.equal(await page.locator('#pledge').getAttribute('action'), `${supportdBase}/v1/pledges`);
    await page.getByLabel('Email').fill(email);
    await Promise.all([
      page.waitForURL((url) => url.href.startsWith(`${fakeBase}/pay/cs_`)),
      page.getByRole('button', { name: 'Continue to payment' }).click(),
    ]);
    // The hosted checkout for what the reader picked: $5 a month (the form's defaults).
    const checkoutText = await page.locator('body').innerText();
    assert.match(checkoutText, /5\.00|\$5/);
    assert.match(checkoutText, /month/i);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    const sessions = await checkoutSessionRequests(email);
    assert.equal(sessions.length, 1, 'one checkout session for the form post');
    assert.equal(sessions[0].params['line_items[0][price_data][unit_amount]'], '500');

    await Promise.all([
      page.waitForURL((url) => url.href.startsWith(`${formBase}/thanks.html`)),
      page.getByTestId('hosted-payment-submit-button').click(),
    ]);
    await assert.doesNotReject(
      page.getByRole('heading', { name: 'Thank you for your support' }).waitFor());
  });

  // Stripe's webhooks (checkout.session.completed, invoice.paid) make the pledge active.
  await waitFor('the pledge to become active', async () =>
    (await metric('supportd_pledge_transitions_total', { from: 'pending', to: 'active' })) === activeBefore + 1,
    { timeoutMs: 15000, intervalMs: 100 });
});

test('JavaScript on: a CORS preflight, a JSON post, and a double click makes one pledge', async () => {
  const preflightsBefore = await metric('supportd_http_requests_total',
    { route: '/v1/pledges', method: 'OPTIONS', status: '204' });
  const createdBefore = await metric('supportd_http_requests_total',
    { route: '/v1/pledges', method: 'POST', status: '201' });
  const email = uniqueEmail('js');

  await withPage({}, async (page) => {
    const posts = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url() === `${supportdBase}/v1/pledges`) posts.push(r);
    });
    await page.goto(`${formBase}/donate.html`);
    await page.getByLabel('Email').fill(email);
    await Promise.all([
      page.waitForURL((url) => url.href.startsWith(`${fakeBase}/pay/cs_`)),
      page.getByRole('button', { name: 'Continue to payment' }).dblclick(),
    ]);
    // The enhanced path, not the plain form: a JSON fetch with an Idempotency-Key.
    assert.ok(posts.length >= 1);
    for (const r of posts) {
      const headers = await r.allHeaders();  // as sent on the wire, Origin included
      assert.equal(r.resourceType(), 'fetch');
      assert.match(headers['content-type'], /^application\/json/);
      assert.ok(headers['idempotency-key'], 'the JSON post carries an Idempotency-Key');
      assert.equal(headers['origin'], formBase, 'a cross-origin request');
    }
  });

  await sleep(500);  // room for a second submission to arrive, if there were one
  const sessions = await checkoutSessionRequests(email);
  assert.equal(sessions.length, 1, 'one POST /v1/checkout/sessions for the double click');
  assert.ok((await metric('supportd_http_requests_total',
    { route: '/v1/pledges', method: 'OPTIONS', status: '204' })) > preflightsBefore,
    'the browser sent a CORS preflight and supportd allowed it');
  assert.equal(await metric('supportd_http_requests_total',
    { route: '/v1/pledges', method: 'POST', status: '201' }), createdBefore + 1,
    'supportd created one pledge');
});

test('an origin not on the allowlist: the preflight is refused, the form says so and stays', async () => {
  const refusedBefore = await metric('supportd_http_requests_total', { route: '/v1/pledges', status: '403' });
  const postsBefore = await metric('supportd_http_requests_total', { route: '/v1/pledges', method: 'POST' });
  const sessionsBefore = (await checkoutSessionRequests()).length;
  const email = uniqueEmail('stranger');

  await withPage({}, async (page) => {
    const navigations = [];
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations.push(frame.url());
    });
    await page.goto(`${strangerBase}/donate.html`);
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Continue to payment' }).click();
    const status = page.locator('#status');
    await waitFor('an error in #status', async () => (await status.textContent()).trim() !== '');
    assert.match(await status.textContent(), /could not reach our payment service/i);
    await sleep(300);
    assert.equal(page.url(), `${strangerBase}/donate.html`, 'the page stays on the form');
    assert.deepEqual(navigations, [`${strangerBase}/donate.html`], 'no navigation to checkout');
    assert.equal(await page.getByRole('button', { name: 'Continue to payment' }).isEnabled(), true,
                 'the reader can try again');
  });

  assert.ok((await metric('supportd_http_requests_total', { route: '/v1/pledges', status: '403' })) > refusedBefore,
            'supportd refused the preflight with 403');
  assert.equal(await metric('supportd_http_requests_total', { route: '/v1/pledges', method: 'POST' }), postsBefore,
               'the browser never sent the POST');
  assert.equal((await checkoutSessionRequests()).length, sessionsBefore, 'no checkout session was made');
});
