// The reader's manage page in a real browser with JavaScript off: Debian's chromium driven by
// playwright-core, against the real supportd, fake-stripe, Redis and a stand-in for the site's
// email service. A monthly pledge is paid; the manage link is the one its thank-you message
// carries, as the reader would follow it from the email. Every message the email service gets
// must verify with the official Standard Webhooks library (`standardwebhooks`) under the
// notify secret, or it is not taken.
//
//   1. The page shows the pledge's terms and a form for each change, styled by its built-in
//      style (which its Content-Security-Policy admits, and nothing else); its cancel form
//      cancels, and the page then has nothing left to change.
//   2. The amount form: a new amount is posted, the 303 leads back to the page, which says so
//      and shows the new amount; Stripe is asked for the new price without proration.
//
// Run: cd tests && SUPPORTD_BIN=../build/service/supportd \
//        FAKE_STRIPE_BIN=../build/tests/fake_stripe/fake-stripe node --test browser/manage_page.test.mjs
// Needs `npm ci` in tests/, redis-server, and chromium (CHROMIUM_BIN, default /usr/bin/chromium).
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import {
  checkAnswersFrom, checkBrowserAnswers, checkDelivery, checksSettled, expectNoContractFailures,
} from '../contract/node_checks.mjs';
import { freePort, start, stopAll } from '../support/processes.mjs';

const SUPPORTD_BIN = process.env.SUPPORTD_BIN;
const FAKE_STRIPE_BIN = process.env.FAKE_STRIPE_BIN;
const CHROMIUM_BIN = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const REDIS_BIN = process.env.REDIS_SERVER_BIN || 'redis-server';
if (!SUPPORTD_BIN || !FAKE_STRIPE_BIN) {
  throw new Error('set SUPPORTD_BIN and FAKE_STRIPE_BIN to the built binaries');
}
const SECRET_KEY = 'sk_test_x';
const WEBHOOK_SECRET = 'whsec_x';
const SITE = 'http://shop.test';  // the news site: only named in return URLs, never opened

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'supportd-manage-'));
let browser;
let emailService;
let supportdBase, fakeBase;
const messages = [];  // the stand-in email service's deliveries, parsed, each verified
const NOTIFY_SECRET = `whsec_${randomBytes(32).toString('base64')}`;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what, check, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

// A monthly pledge of `amount` USD, paid on fake-stripe's checkout page; its id, manage token
// and the manage link of its thank-you message.
async function paidMonthlyPledge(amount) {
  const email = `reader.${Array.from(randomBytes(10), (b) => String.fromCharCode(97 + (b % 26))).join('')}@example.org`;
  const created = await fetch(`${supportdBase}/v1/pledges`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      amount, currency: 'USD', interval: 'month', email, name: 'Ada Reader', campaign: 'winter',
      success_url: `${SITE}/thanks`, cancel_url: `${SITE}/donate`,
    }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const pledge = await created.json();
  const paid = await fetch(pledge.checkout_url, { method: 'POST', redirect: 'manual' });
  assert.equal(paid.status, 303, 'fake-stripe took the payment');
  const thanks = await waitFor('the thank-you message', () => messages.find(
    (m) => m.type === 'pledge.thank_you' && m.data.pledge_id === pledge.id));
  return { id: pledge.id, manageToken: pledge.manage_token, manageUrl: thanks.data.manage_url };
}

async function pledgeAsReader(pledge) {
  const response = await fetch(`${supportdBase}/v1/pledges/${pledge.id}`, {
    headers: { Authorization: `Bearer ${pledge.manageToken}` },
  });
  assert.equal(response.status, 200);
  return response.json();
}

// A fresh browser context with JavaScript off; `body(page, consoleErrors)`.
async function withPage(body) {
  const context = await browser.newContext({ javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    checkBrowserAnswers(page, supportdBase);
    page.setDefaultTimeout(15000);
    const consoleErrors = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    try {
      return await body(page, consoleErrors);
    } catch (e) {
      const text = await page.locator('body').innerText({ timeout: 1000 }).catch(() => '(no body)');
      console.error(`page at ${page.url()} shows:\n${text.slice(0, 1000)}\nlogs in ${tmp}`);
      throw e;
    }
  } finally {
    await checksSettled();
    await context.close();
  }
}

// The value each <dt> of the page's terms names.
async function terms(page) {
  const names = await page.locator('dl.terms dt').allInnerTexts();
  const values = await page.locator('dl.terms dd').allInnerTexts();
  return Object.fromEntries(names.map((n, i) => [n, values[i]]));
}

before(async () => {
  const redisPort = await freePort();
  const fakePort = await freePort();
  const supportdPort = await freePort();
  supportdBase = `http://127.0.0.1:${supportdPort}`;
  fakeBase = `http://127.0.0.1:${fakePort}`;
  checkAnswersFrom(supportdBase);

  await start(REDIS_BIN, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '',
                          '--appendonly', 'no', '--dir', tmp], /Ready to accept connections/);
  await start(FAKE_STRIPE_BIN, [
    '--listen', `127.0.0.1:${fakePort}`, '--secret-key', SECRET_KEY, '--public-url', fakeBase,
    '--webhook-url', `${supportdBase}/v1/webhooks/stripe`, '--webhook-secret', WEBHOOK_SECRET,
  ], /"msg":"listening"/);

  // The site's email service: every delivery held to proto/events/ and verified as a Standard
  // Webhook (a bad one is answered 400 and never kept, so the test waiting for it fails), kept,
  // answered 204.
  emailService = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      checkDelivery(req.headers, raw);
      let verified;
      try {
        verified = new Webhook(NOTIFY_SECRET).verify(raw, req.headers);
      } catch (e) {
        res.writeHead(400).end(String(e));
        return;
      }
      messages.push(verified);
      res.writeHead(204).end();
    });
  });
  await new Promise((resolve) => emailService.listen(0, '127.0.0.1', resolve));

  const file = (name, text) => {
    fs.writeFileSync(path.join(tmp, name), text, { mode: 0o600 });
    return path.join(tmp, name);
  };
  await start(SUPPORTD_BIN, [
    '--listen-https=', `--listen-http=127.0.0.1:${supportdPort}`,
    `--redis-url=redis://127.0.0.1:${redisPort}/0`,
    `--stripe-secret-key-file=${file('stripe-secret-key', `${SECRET_KEY}\n`)}`,
    `--stripe-api-base=${fakeBase}`,
    `--stripe-webhook-secret-file=${file('stripe-webhook-secret', `${WEBHOOK_SECRET}\n`)}`,
    `--allowed-origins=${SITE}`, '--rate-limit-per-minute=0',
    `--link-secret-file=${file('link-secret', `${randomBytes(32).toString('hex')}\n`)}`,
    `--data-key-file=${file('data-keys', `k1:${randomBytes(32).toString('base64')}\n`)}`,
    `--notify-url=http://127.0.0.1:${emailService.address().port}/messages`,
    `--notify-secret-file=${file('notify-secret', `${NOTIFY_SECRET}\n`)}`,
    '--reminder-poll=100ms', `--public-url=${supportdBase}`,
  ], /"msg":"listening".*"scheme":"http"/);
  await waitFor('supportd /readyz', async () =>
    (await fetch(`${supportdBase}/readyz`).catch(() => ({ status: 0 }))).status === 200);

  browser = await chromium.launch({
    executablePath: CHROMIUM_BIN,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (emailService) {
    emailService.closeAllConnections?.();
    await new Promise((resolve) => emailService.close(resolve));
  }
  stopAll();
  if (process.env.BROWSER_TEST_KEEP) {
    console.error(`kept ${tmp}`);
  } else {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  await expectNoContractFailures();
});

afterEach(expectNoContractFailures);

test('JavaScript off: the manage link shows the pledge and its forms, and its cancel form cancels', async () => {
  const pledge = await paidMonthlyPledge('5');
  assert.ok(pledge.manageUrl.startsWith(`${supportdBase}/v1/pledges/${pledge.id}/manage?token=`),
            pledge.manageUrl);

  await withPage(async (page, consoleErrors) => {
    const opened = await page.goto(pledge.manageUrl);
    assert.equal(opened.status(), 200);
    const headers = await opened.allHeaders();
    assert.equal(headers['referrer-policy'], 'no-referrer');
    assert.equal(headers['cache-control'], 'no-store');
    assert.match(headers['content-security-policy'], /^default-src 'none'; style-src 'sha256-/);
    assert.doesNotMatch(headers['content-security-policy'], /script-src|unsafe/);

    await assert.doesNotReject(page.getByRole('heading', { level: 1, name: 'Your support' }).waitFor());
    const shown = await terms(page);
    assert.equal(shown['Status'], 'Active');
    assert.equal(shown['Amount'], '5.00 USD');
    assert.equal(shown['How often'], 'Every month');
    const next = (await pledgeAsReader(pledge)).next_charge_at;
    assert.equal(await page.locator('dl.terms time').getAttribute('datetime'), next.slice(0, 10));

    // A form for each change, every one a plain post with the link's token.
    for (const name of ['Update your card', 'Change the amount', 'Pause payments', 'Cancel your support']) {
      assert.equal(await page.getByRole('button', { name }).count(), 1, name);
    }
    assert.equal(await page.getByLabel('New amount (USD)').inputValue(), '5.00');
    assert.deepEqual(await page.getByLabel('Pause for').locator('option').allInnerTexts(),
                     ['1 month', '2 months', '3 months']);
    const token = new URL(pledge.manageUrl).searchParams.get('token');
    const forms = page.locator('form');
    assert.equal(await forms.count(), 4);
    for (let i = 0; i < 4; i++) {
      assert.equal(await forms.nth(i).getAttribute('method'), 'post');
      assert.equal(await forms.nth(i).locator('input[name=token]').getAttribute('value'), token);
    }
    assert.equal(await page.locator('script').count(), 0);

    // The built-in style applies (the policy admits it by its hash): on a 1280 px window the
    // page is a 34rem column with 1rem padding each side, and the browser refused nothing.
    const box = await page.locator('body').boundingBox();
    assert.equal(box.width, (34 + 2) * 16, `body is ${box.width}px wide`);
    assert.deepEqual(consoleErrors.filter((m) => /Content Security Policy/i.test(m)), []);

    // Cancelling takes the button; the reader is told it is done.
    await Promise.all([
      page.waitForNavigation(),
      page.getByRole('button', { name: 'Cancel your support' }).click(),
    ]);
    await assert.doesNotReject(page.getByText(/Your support is cancelled/).first().waitFor());

    // The link still opens the page, which now has nothing to change.
    await page.goto(pledge.manageUrl);
    assert.equal((await terms(page))['Status'], 'Cancelled');
    assert.equal(await page.locator('form').count(), 0);
    await assert.doesNotReject(page.getByText('This pledge has ended').waitFor());
  });

  const ended = await pledgeAsReader(pledge);
  assert.equal(ended.status, 'canceled');
  const canceled = ended.events.filter((e) => e.event === 'cancel_requested');
  assert.deepEqual(canceled.map((e) => e.source), ['reader']);
});

// Needs POST /v1/pledges/{id}/amount (the manage routes) and Stripe's side of a new amount
// (stripe_client and fake-stripe's subscription updates): it passes once those are merged.
test('JavaScript off: a new amount from the page, back to the page with the notice and the amount', async () => {
  const pledge = await paidMonthlyPledge('5');
  const token = new URL(pledge.manageUrl).searchParams.get('token');

  await withPage(async (page) => {
    await page.goto(pledge.manageUrl);
    await page.getByLabel('New amount (USD)').fill('7.50');
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${supportdBase}/v1/pledges/${pledge.id}/amount`),
      page.waitForURL((url) => url.searchParams.get('done') === 'amount_changed'),
      page.getByRole('button', { name: 'Change the amount' }).click(),
    ]);
    assert.equal(answer.status(), 303);
    const landed = new URL(page.url());
    assert.equal(landed.origin + landed.pathname, `${supportdBase}/v1/pledges/${pledge.id}/manage`);
    assert.equal(landed.searchParams.get('token'), token);
    assert.equal((await page.getByRole('status').innerText()).trim(),
                 'Your new amount applies from your next payment on.');
    assert.equal((await terms(page))['Amount'], '7.50 USD');
    assert.equal(await page.getByLabel('New amount (USD)').inputValue(), '7.50');
  });

  const changed = await pledgeAsReader(pledge);
  assert.equal(changed.amount_minor, 750);
  assert.deepEqual(changed.events.filter((e) => e.event === 'amount_changed').map((e) => e.source),
                   ['reader']);
  // Stripe was asked for the new price from the next renewal on, without proration.
  const requests = await (await fetch(`${fakeBase}/__control/requests`)).json();
  const updates = (Array.isArray(requests) ? requests : requests.requests || requests.data || [])
    .filter((r) => r.method === 'POST' && /^\/v1\/subscriptions\/sub_/.test(r.path) &&
                   r.params?.['items[0][price_data][unit_amount]'] === '750');
  assert.equal(updates.length, 1, 'one subscription update with the new amount');
  assert.equal(updates[0].params.proration_behavior, 'none');
});

test('JavaScript off: a change the pledge no longer allows comes back to the page with an alert', async () => {
  const pledge = await paidMonthlyPledge('5');

  await withPage(async (page) => {
    await page.goto(pledge.manageUrl);
    // Cancelled meanwhile, as from another tab: the page still offers the change.
    const cancel = await fetch(`${supportdBase}/v1/pledges/${pledge.id}/cancel`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${pledge.manageToken}` },
    });
    assert.equal(cancel.status, 200);
    await page.getByLabel('New amount (USD)').fill('7.50');
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${supportdBase}/v1/pledges/${pledge.id}/amount`),
      page.waitForURL((url) => url.searchParams.get('done') === 'not_changed'),
      page.getByRole('button', { name: 'Change the amount' }).click(),
    ]);
    assert.equal(answer.status(), 303);
    assert.equal((await page.getByRole('alert').innerText()).trim(),
                 'Nothing was changed: this pledge does not allow that change now.');
    assert.equal((await terms(page))['Status'], 'Cancelled');
    assert.equal((await terms(page))['Amount'], '5.00 USD');
  });

  const kept = await pledgeAsReader(pledge);
  assert.equal(kept.amount_minor, 500);
  assert.deepEqual(kept.events.filter((e) => e.event === 'amount_changed'), []);
});
