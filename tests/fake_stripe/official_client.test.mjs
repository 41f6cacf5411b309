// The fidelity proof: the official stripe-node client (the library supportd's Stripe calls are
// modelled on) talks to the real fake-stripe binary and gets what Stripe would answer, and
// stripe.webhooks.constructEvent accepts the events fake-stripe signs.
//
// Run: FAKE_STRIPE_BIN=build/tests/fake_stripe/fake-stripe node --test tests/fake_stripe/
// (after `npm ci` in tests/). Works on Node 18 and 20.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import Stripe from 'stripe';

const SECRET_KEY = 'sk_test_fidelity';
const WEBHOOK_SECRET = 'whsec_fidelity_secret';
const BIN = process.env.FAKE_STRIPE_BIN;
if (!BIN) {
  throw new Error('set FAKE_STRIPE_BIN to the fake-stripe binary');
}

// --- a webhook endpoint that keeps what it receives, raw -----------------------------------

const received = [];
const waiters = [];
const receiver = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const delivery = { headers: req.headers, path: req.url, raw: Buffer.concat(chunks) };
    received.push(delivery);
    for (const w of waiters.splice(0)) w();
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"received":true}');
  });
});
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const receiverPort = receiver.address().port;

// The first verified event of `type` matching `predicate`, waiting for it if need be.
async function eventOf(type, predicate = () => true, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const d of received) {
      const event = stripe.webhooks.constructEvent(d.raw, d.headers['stripe-signature'], WEBHOOK_SECRET);
      if (event.type === type && predicate(event)) return { event, delivery: d };
    }
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`no ${type} event arrived`);
    await new Promise((resolve) => {
      waiters.push(resolve);
      setTimeout(resolve, Math.min(left, 100));
    });
  }
}

// --- fake-stripe ---------------------------------------------------------------------------

// Starts fake-stripe with `args`; resolves to the child and the address it printed.
async function startFakeStripe(args) {
  const child = spawn(BIN, ['--listen', '127.0.0.1:0', '--secret-key', SECRET_KEY, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const firstLine = await new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`fake-stripe exited with ${code}`)));
  });
  const { msg, address } = JSON.parse(firstLine);
  assert.equal(msg, 'listening');
  return { child, address, port: Number(address.split(':').pop()) };
}

async function stop(child) {
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0, 'fake-stripe exits 0 on SIGTERM');
}

const { child, address, port } = await startFakeStripe([
  '--webhook-url', `http://127.0.0.1:${receiverPort}/webhooks/stripe`,
  '--webhook-secret', WEBHOOK_SECRET,
]);
const base = `http://${address}`;

const stripe = new Stripe(SECRET_KEY, { host: '127.0.0.1', port, protocol: 'http' });

after(async () => {
  await stop(child);
  receiver.close();
});

async function control(path, body, at = base) {
  const res = await fetch(at + path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

function monthlyParams(pledgeId) {
  return {
    mode: 'subscription',
    line_items: [
      {
        price_data: {
          currency: 'usd',
          unit_amount: 500,
          product_data: { name: 'Monthly support' },
          recurring: { interval: 'month' },
        },
        quantity: 1,
      },
    ],
    success_url: 'https://news.example/thanks?session_id={CHECKOUT_SESSION_ID}',
    cancel_url: 'https://news.example/support',
    customer_email: 'reader@example.com',
    client_reference_id: pledgeId,
    metadata: { pledge_id: pledgeId },
    subscription_data: { metadata: { pledge_id: pledgeId } },
  };
}

function oneOffParams(pledgeId, amount = 1000) {
  return {
    mode: 'payment',
    submit_type: 'donate',
    line_items: [
      {
        price_data: { currency: 'eur', unit_amount: amount, product_data: { name: 'One-off support' } },
        quantity: 1,
      },
    ],
    success_url: 'https://news.example/thanks',
    client_reference_id: pledgeId,
    metadata: { pledge_id: pledgeId },
    payment_intent_data: { metadata: { pledge_id: pledgeId } },
  };
}

// Clicks "Pay" on the hosted page: a plain form POST, answered with a redirect.
async function pay(session) {
  const page = await fetch(session.url);
  assert.equal(page.status, 200);
  const res = await fetch(session.url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'email=reader%40example.com',
    redirect: 'manual',
  });
  assert.equal(res.status, 303);
  return res.headers.get('location');
}

// --- the API -------------------------------------------------------------------------------

test('creates and retrieves a subscription-mode Checkout Session', async () => {
  const session = await stripe.checkout.sessions.create(monthlyParams('pl_monthly'));
  assert.match(session.id, /^cs_test_/);
  assert.equal(session.object, 'checkout.session');
  assert.equal(session.mode, 'subscription');
  assert.equal(session.status, 'open');
  assert.equal(session.payment_status, 'unpaid');
  assert.equal(session.amount_total, 500);
  assert.equal(session.currency, 'usd');
  assert.equal(session.customer_email, 'reader@example.com');
  assert.equal(session.client_reference_id, 'pl_monthly');
  assert.deepEqual(session.metadata, { pledge_id: 'pl_monthly' });
  assert.equal(session.subscription, null);
  assert.equal(session.livemode, false);
  assert.equal(session.url, `${base}/pay/${session.id}`);
  assert.ok(session.expires_at > session.created);
  assert.match(session.lastResponse.requestId, /^req_/);

  const retrieved = await stripe.checkout.sessions.retrieve(session.id);
  assert.deepEqual(retrieved, session);

  const page = await (await fetch(session.url)).text();
  assert.match(page, /5\.00/);
  assert.match(page, /USD/);
  assert.match(page, /per month/);
});

test('creates and retrieves a payment-mode Checkout Session', async () => {
  const session = await stripe.checkout.sessions.create(oneOffParams('pl_once'));
  assert.equal(session.mode, 'payment');
  assert.equal(session.submit_type, 'donate');
  assert.equal(session.amount_total, 1000);
  assert.equal(session.currency, 'eur');
  const retrieved = await stripe.checkout.sessions.retrieve(session.id);
  assert.equal(retrieved.id, session.id);
  assert.deepEqual(retrieved.metadata, { pledge_id: 'pl_once' });
});

test('idempotency keys: same params replay, other params are an idempotency error', async () => {
  const key = `pledge-${Date.now()}`;
  const first = await stripe.checkout.sessions.create(monthlyParams('pl_idem'), { idempotencyKey: key });
  const again = await stripe.checkout.sessions.create(monthlyParams('pl_idem'), { idempotencyKey: key });
  assert.equal(again.id, first.id);
  assert.equal(again.lastResponse.headers['idempotent-replayed'], 'true');

  await assert.rejects(
    stripe.checkout.sessions.create(monthlyParams('pl_other'), { idempotencyKey: key }),
    (err) => {
      assert.ok(err instanceof Stripe.errors.StripeIdempotencyError, err.constructor.name);
      assert.equal(err.type, 'StripeIdempotencyError');
      assert.equal(err.rawType, 'idempotency_error');
      assert.equal(err.statusCode, 400);
      return true;
    },
  );
});

test('API errors map to the client error classes', async () => {
  const params = monthlyParams('pl_bad');
  delete params.line_items[0].quantity;
  await assert.rejects(stripe.checkout.sessions.create(params), (err) => {
    assert.ok(err instanceof Stripe.errors.StripeInvalidRequestError, err.constructor.name);
    assert.equal(err.code, 'parameter_missing');
    assert.equal(err.param, 'line_items[0][quantity]');
    assert.equal(err.message, 'Missing required param: line_items[0][quantity].');
    assert.equal(err.statusCode, 400);
    assert.match(err.requestId, /^req_/);
    return true;
  });

  await assert.rejects(
    stripe.checkout.sessions.create({ ...monthlyParams('pl_bad'), submit_type: 'donate' }),
    (err) => err instanceof Stripe.errors.StripeInvalidRequestError && err.param === 'submit_type',
  );

  await assert.rejects(stripe.checkout.sessions.retrieve('cs_test_missing'), (err) => {
    assert.ok(err instanceof Stripe.errors.StripeInvalidRequestError);
    assert.equal(err.code, 'resource_missing');
    assert.equal(err.statusCode, 404);
    return true;
  });

  const wrongKey = new Stripe('sk_test_wrong', { host: '127.0.0.1', port, protocol: 'http' });
  await assert.rejects(wrongKey.checkout.sessions.retrieve('cs_test_x'), Stripe.errors.StripeAuthenticationError);
});

test('the client retries injected 500s and dropped connections under one idempotency key', async () => {
  await control('/__control/reset', {});
  // maxNetworkRetries defaults to 1 in stripe-node 16: one retry, with a generated key.
  assert.equal((await control('/__control/fail', { count: 1, mode: 'status', status: 500 })).status, 200);
  const afterError = await stripe.checkout.sessions.create(oneOffParams('pl_retry'));
  assert.match(afterError.id, /^cs_test_/);

  await control('/__control/fail', { count: 1, mode: 'drop' });
  const afterDrop = await stripe.checkout.sessions.create(oneOffParams('pl_retry2'));
  assert.notEqual(afterDrop.id, afterError.id);

  const { body: log } = await control('/__control/requests');
  assert.equal(log.length, 4);
  assert.equal(log[0].status, 500);
  assert.equal(log[0].injected, 'status');
  assert.equal(log[1].status, 200);
  assert.match(log[0].idempotency_key, /^stripe-node-retry-/);
  assert.equal(log[1].idempotency_key, log[0].idempotency_key);
  assert.equal(log[2].status, null);
  assert.equal(log[3].idempotency_key, log[2].idempotency_key);
  // The parameters as stripe-node encoded them, by bracketed key (and nested, as Stripe logs them).
  assert.equal(log[1].params['line_items[0][price_data][unit_amount]'], '1000');
  assert.equal(log[1].params['payment_intent_data[metadata][pledge_id]'], 'pl_retry');
  assert.equal(log[1].params_nested.line_items[0].price_data.unit_amount, '1000');
  assert.equal(log[1].params_nested.metadata.pledge_id, 'pl_retry');

  // 429 with Stripe-Should-Retry: false is not retried, and maps to StripeRateLimitError.
  await control('/__control/fail', { count: 1, mode: 'status', status: 429, should_retry: false });
  await assert.rejects(stripe.checkout.sessions.create(oneOffParams('pl_429')), Stripe.errors.StripeRateLimitError);
});

// --- webhooks ------------------------------------------------------------------------------

test('paying a subscription sends checkout.session.completed and invoice.paid, signed', async () => {
  const session = await stripe.checkout.sessions.create(monthlyParams('pl_paid'));
  const location = await pay(session);
  assert.equal(location, `https://news.example/thanks?session_id=${session.id}`);

  const { event: completed, delivery } = await eventOf(
    'checkout.session.completed',
    (e) => e.data.object.id === session.id,
  );
  assert.equal(delivery.path, '/webhooks/stripe');
  assert.equal(delivery.headers['user-agent'], 'Stripe/1.0 (+https://stripe.com/docs/webhooks)');
  assert.match(delivery.headers['content-type'], /^application\/json/);
  assert.match(delivery.headers['stripe-signature'], /^t=\d+,v1=[0-9a-f]{64}$/);
  assert.match(completed.id, /^evt_test_/);
  assert.equal(completed.object, 'event');
  assert.equal(completed.api_version, '2024-06-20');
  assert.equal(completed.livemode, false);
  const paid = completed.data.object;
  assert.equal(paid.status, 'complete');
  assert.equal(paid.payment_status, 'paid');
  assert.equal(paid.client_reference_id, 'pl_paid');
  assert.equal(paid.metadata.pledge_id, 'pl_paid');
  assert.match(paid.subscription, /^sub_test_/);
  assert.match(paid.customer, /^cus_test_/);
  // The address the reader paid with, as Stripe reports it (supportd confirms its copy by it):
  // the session's customer_email, which Checkout shows and does not let the reader change.
  assert.equal(paid.customer_details.email, 'reader@example.com');

  const { event: invoicePaid } = await eventOf('invoice.paid', (e) => e.data.object.subscription === paid.subscription);
  const invoice = invoicePaid.data.object;
  assert.equal(invoice.billing_reason, 'subscription_create');
  assert.equal(invoice.amount_paid, 500);
  assert.equal(invoice.subscription_details.metadata.pledge_id, 'pl_paid');
  assert.equal(invoice.lines.data[0].price.recurring.interval, 'month');

  // A signature made with another secret does not verify.
  assert.throws(
    () => stripe.webhooks.constructEvent(delivery.raw, delivery.headers['stripe-signature'], 'whsec_other'),
    Stripe.errors.StripeSignatureVerificationError,
  );

  const retrieved = await stripe.checkout.sessions.retrieve(session.id);
  assert.equal(retrieved.status, 'complete');
  assert.equal(retrieved.url, null);
  assert.equal(retrieved.customer_details.email, 'reader@example.com');

  const subscription = await stripe.subscriptions.retrieve(paid.subscription);
  assert.equal(subscription.status, 'active');
  assert.deepEqual(subscription.metadata, { pledge_id: 'pl_paid' });

  // Renewals and failures on demand, delivered before the control answers.
  const renewal = await control('/__control/events', { type: 'invoice.paid', subscription: paid.subscription });
  assert.equal(renewal.status, 200);
  assert.equal(renewal.body.delivered_status, 200);
  const { event: cycle } = await eventOf('invoice.paid', (e) => e.id === renewal.body.id);
  assert.equal(cycle.data.object.billing_reason, 'subscription_cycle');

  const failed = await control('/__control/events', { type: 'invoice.payment_failed', session: session.id });
  assert.equal(failed.body.delivered_status, 200);
  const { event: failure } = await eventOf('invoice.payment_failed', (e) => e.id === failed.body.id);
  assert.equal(failure.data.object.paid, false);
  assert.equal((await stripe.subscriptions.retrieve(paid.subscription)).status, 'past_due');

  // Cancelling through the API, twice: canceled both times, one customer.subscription.deleted.
  const canceled = await stripe.subscriptions.cancel(paid.subscription);
  assert.equal(canceled.status, 'canceled');
  assert.equal((await stripe.subscriptions.cancel(paid.subscription)).status, 'canceled');
  const { event: deleted } = await eventOf('customer.subscription.deleted', (e) => e.data.object.id === paid.subscription);
  assert.equal(deleted.data.object.metadata.pledge_id, 'pl_paid');
  assert.equal(deleted.request.id, canceled.lastResponse.requestId);
});

test('refunds and disputes of a one-off payment carry the PaymentIntent metadata', async () => {
  const session = await stripe.checkout.sessions.create(oneOffParams('pl_refund', 300));
  assert.equal(await pay(session), 'https://news.example/thanks');
  const { event: completed } = await eventOf('checkout.session.completed', (e) => e.data.object.id === session.id);
  const paymentIntent = completed.data.object.payment_intent;
  assert.match(paymentIntent, /^pi_test_/);

  const refund = await control('/__control/events', { type: 'charge.refunded', session: session.id });
  assert.equal(refund.body.delivered_status, 200);
  const { event: refunded } = await eventOf('charge.refunded', (e) => e.id === refund.body.id);
  assert.equal(refunded.data.object.object, 'charge');
  assert.equal(refunded.data.object.payment_intent, paymentIntent);
  assert.equal(refunded.data.object.metadata.pledge_id, 'pl_refund');
  assert.equal(refunded.data.object.amount_refunded, 300);
  assert.equal(refunded.data.previous_attributes.amount_refunded, 0);

  const dispute = await control('/__control/events', { type: 'charge.dispute.created', session: session.id });
  const { event: disputed } = await eventOf('charge.dispute.created', (e) => e.id === dispute.body.id);
  assert.equal(disputed.data.object.payment_intent, paymentIntent);

  // The same event again, as Stripe's retries do: same id and body, a fresh signature.
  const again = await control('/__control/redeliver', { id: refund.body.id });
  assert.equal(again.body.delivered_status, 200);
  const copies = received.filter((d) => JSON.parse(d.raw).id === refund.body.id);
  assert.equal(copies.length, 2);
  assert.equal(copies[1].raw.toString(), copies[0].raw.toString());
});

// --- a reader's changes to a subscription ------------------------------------------------

// A paid monthly subscription of 5.00 USD: its id and customer.
async function paidSubscription(pledgeId) {
  const session = await stripe.checkout.sessions.create(monthlyParams(pledgeId));
  await pay(session);
  const { event } = await eventOf('checkout.session.completed', (e) => e.data.object.id === session.id);
  return { subscription: event.data.object.subscription, customer: event.data.object.customer };
}

test('subscriptions.update changes the item price from the next renewal on', async () => {
  const { subscription: id } = await paidSubscription('pl_amount');
  const before = await stripe.subscriptions.retrieve(id);
  assert.equal(before.items.object, 'list');
  assert.equal(before.items.data.length, 1);
  const item = before.items.data[0];
  assert.match(item.id, /^si_/);
  assert.equal(item.object, 'subscription_item');
  assert.match(item.price.product, /^prod_/);
  assert.equal(item.price.unit_amount, 500);
  assert.equal(item.price.currency, 'usd');
  assert.deepEqual(
    { interval: item.price.recurring.interval, interval_count: item.price.recurring.interval_count },
    { interval: 'month', interval_count: 1 },
  );
  assert.equal(before.pause_collection, null);

  const change = {
    items: [{
      id: item.id,
      price_data: { currency: 'usd', product: item.price.product, unit_amount: 750, recurring: { interval: 'month' } },
    }],
    proration_behavior: 'none',
  };
  const updated = await stripe.subscriptions.update(id, change, { idempotencyKey: 'amount-pl_amount-750' });
  assert.equal(updated.items.data[0].id, item.id);
  assert.equal(updated.items.data[0].price.unit_amount, 750);
  assert.equal(updated.items.data[0].price.product, item.price.product);
  assert.notEqual(updated.items.data[0].price.id, item.price.id);
  const again = await stripe.subscriptions.update(id, change, { idempotencyKey: 'amount-pl_amount-750' });
  assert.equal(again.lastResponse.headers['idempotent-replayed'], 'true');

  const { event: changed } = await eventOf(
    'customer.subscription.updated',
    (e) => e.request.id === updated.lastResponse.requestId,
  );
  assert.equal(changed.request.idempotency_key, 'amount-pl_amount-750');
  assert.equal(changed.data.object.items.data[0].price.unit_amount, 750);
  assert.equal(changed.data.previous_attributes.items.data[0].price.unit_amount, 500);

  const renewal = await control('/__control/events', { type: 'invoice.paid', subscription: id });
  assert.equal(renewal.body.delivered_status, 200);
  assert.equal(renewal.body.amount_paid, 750);
  const { event: invoice } = await eventOf('invoice.paid', (e) => e.id === renewal.body.id);
  assert.equal(invoice.data.object.amount_paid, 750);
  assert.equal(invoice.data.object.lines.data[0].price.unit_amount, 750);

  // What Stripe refuses, the client raises as Stripe's errors.
  const refused = async (params, check) => assert.rejects(stripe.subscriptions.update(id, params), (err) => {
    assert.ok(err instanceof Stripe.errors.StripeInvalidRequestError, err.constructor.name);
    check(err);
    return true;
  });
  await refused(
    { items: [{ id: item.id, price_data: { currency: 'usd', product_data: { name: 'x' }, unit_amount: 600, recurring: { interval: 'month' } } }], proration_behavior: 'none' },
    (err) => {
      assert.equal(err.code, 'parameter_unknown');
      assert.equal(err.param, 'items[0][price_data][product_data]');
    },
  );
  await refused({ items: [{ id: 'si_missing', quantity: 1 }], proration_behavior: 'none' }, (err) => {
    assert.equal(err.code, 'resource_missing');
    assert.equal(err.statusCode, 404);
    assert.equal(err.param, 'items[0][id]');
  });
  await refused({ proration_behavior: 'sometimes' }, (err) => assert.equal(err.param, 'proration_behavior'));
  await refused({ pause_collection: { behavior: 'skip' } }, (err) => assert.equal(err.param, 'pause_collection[behavior]'));
});

test('subscriptions.update sets pause_collection and unsets it with the empty string', async () => {
  const { subscription: id } = await paidSubscription('pl_pause');
  const { current_period_end: periodEnd } = await stripe.subscriptions.retrieve(id);
  const resumesAt = periodEnd + 86400;
  const paused = await stripe.subscriptions.update(id, { pause_collection: { behavior: 'void', resumes_at: resumesAt } });
  assert.deepEqual(paused.pause_collection, { behavior: 'void', resumes_at: resumesAt });
  assert.equal(paused.status, 'active');
  const { event: pausedEvent } = await eventOf(
    'customer.subscription.updated',
    (e) => e.request.id === paused.lastResponse.requestId,
  );
  assert.equal(pausedEvent.data.previous_attributes.pause_collection, null);

  // The renewal in the paused period is voided: nothing charged, no invoice.paid sent.
  const skipped = await control('/__control/events', { type: 'invoice.paid', subscription: id });
  assert.equal(skipped.status, 200);
  assert.equal(skipped.body.id, null);
  assert.equal(skipped.body.collection_paused, true);
  assert.equal(skipped.body.invoice_status, 'void');
  assert.equal(skipped.body.amount_paid, 0);
  assert.equal(skipped.body.period_start, periodEnd);
  const invoicesOfSkipped = received.filter((d) => {
    const e = JSON.parse(d.raw);
    return e.type === 'invoice.paid' && e.data.object.id === skipped.body.invoice;
  });
  assert.equal(invoicesOfSkipped.length, 0);

  const resumed = await stripe.subscriptions.update(id, { pause_collection: '' });
  assert.equal(resumed.pause_collection, null);
  const { body: log } = await control('/__control/requests');
  assert.equal(log.at(-1).params.pause_collection, '');
  const { event: resumedEvent } = await eventOf(
    'customer.subscription.updated',
    (e) => e.request.id === resumed.lastResponse.requestId,
  );
  assert.equal(resumedEvent.data.previous_attributes.pause_collection.behavior, 'void');

  const charged = await control('/__control/events', { type: 'invoice.paid', subscription: id });
  assert.equal(charged.body.collection_paused, false);
  assert.equal(charged.body.amount_paid, 500);
});

test('billingPortal.sessions.create opens a card-update page that leads back', async () => {
  const { customer } = await paidSubscription('pl_portal');
  const returnUrl = 'https://news.example/v1/pledges/pl_portal/manage?token=t';
  const session = await stripe.billingPortal.sessions.create({ customer, return_url: returnUrl });
  assert.match(session.id, /^bps_/);
  assert.equal(session.object, 'billing_portal.session');
  assert.match(session.configuration, /^bpc_/);
  assert.equal(session.customer, customer);
  assert.equal(session.return_url, returnUrl);
  assert.equal(session.url, `${base}/billing/${session.id}`);
  assert.equal(session.livemode, false);
  assert.equal(session.flow, null);
  assert.equal(session.locale, null);
  assert.equal(session.on_behalf_of, null);
  assert.equal(typeof session.created, 'number');

  const page = await fetch(session.url);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.ok(html.includes(customer));
  assert.match(html, /5\.00 USD per month/);
  assert.match(html, /Update card/);
  const saved = await fetch(session.url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: '',
    redirect: 'manual',
  });
  // Without a flow the portal shows the change, with its link back to return_url.
  assert.equal(saved.status, 303);
  assert.equal(saved.headers.get('location'), session.url);
  const shown = await (await fetch(session.url)).text();
  assert.match(shown, /Your card was updated/);
  assert.ok(shown.includes(`href="${returnUrl.replaceAll('&', '&amp;')}"`));
  const { body: sessions } = await control('/__control/portal_sessions');
  const mine = sessions.find((s) => s.id === session.id);
  assert.equal(typeof mine.card_updated_at, 'number');

  const flow = await stripe.billingPortal.sessions.create({
    customer,
    return_url: returnUrl,
    flow_data: {
      type: 'payment_method_update',
      after_completion: { type: 'redirect', redirect: { return_url: `${returnUrl}&done=card` } },
    },
  });
  assert.equal(flow.flow.type, 'payment_method_update');
  assert.equal(flow.flow.after_completion.redirect.return_url, `${returnUrl}&done=card`);
  // A flow that redirects after completion leads there once the card is saved.
  const done = await fetch(flow.url, { method: 'POST', body: '', redirect: 'manual' });
  assert.equal(done.status, 303);
  assert.equal(done.headers.get('location'), `${returnUrl}&done=card`);

  await assert.rejects(stripe.billingPortal.sessions.create({ customer: 'cus_missing' }), (err) => {
    assert.ok(err instanceof Stripe.errors.StripeInvalidRequestError, err.constructor.name);
    assert.equal(err.code, 'resource_missing');
    assert.equal(err.statusCode, 404);
    assert.equal(err.param, 'customer');
    assert.equal(err.message, "No such customer: 'cus_missing'");
    return true;
  });
});

// --- the event log ---------------------------------------------------------------------------

test('events.list auto-pages newest first through more than 100 events, filtered as asked', async () => {
  await control('/__control/reset', {});
  const session = await stripe.checkout.sessions.create(monthlyParams('pl_events'));
  await pay(session);
  const { event: completed } = await eventOf('checkout.session.completed', (e) => e.data.object.id === session.id);
  const subscription = completed.data.object.subscription;
  for (let i = 0; i < 120; i++) {
    const renewal = await control('/__control/events', { type: 'invoice.paid', subscription });
    assert.equal(renewal.status, 200);
  }

  // The client's auto-pagination: pages of 100, each after the last one's final event.
  const all = [];
  for await (const event of stripe.events.list({ limit: 100 })) all.push(event);
  assert.equal(all.length, 122);
  assert.equal(new Set(all.map((e) => e.id)).size, 122);
  for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].created >= all[i].created, 'newest first');
  assert.equal(all.at(-1).type, 'checkout.session.completed');
  assert.equal(all.at(-1).id, completed.id);
  const { body: log } = await control('/__control/requests');
  const pages = log.filter((r) => r.path === '/v1/events');
  assert.equal(pages.length, 2);
  assert.equal(pages[0].method, 'GET');
  assert.equal(pages[0].params.limit, '100');
  assert.equal(pages[1].params.starting_after, all[99].id);

  // The event as listed is the event as delivered.
  const delivered = (await eventOf('invoice.paid', (e) => e.id === all[0].id)).event;
  assert.deepEqual(all[0], delivered);

  // types (sent by stripe-node as types[0], types[1], …), type with a wildcard, created.
  const completions = await stripe.events.list({ types: ['checkout.session.completed', 'charge.refunded'] });
  assert.deepEqual(completions.data.map((e) => e.id), [completed.id]);
  assert.equal(completions.has_more, false);
  const invoices = await stripe.events.list({ type: 'invoice.*', limit: 3 });
  assert.equal(invoices.data.length, 3);
  assert.ok(invoices.data.every((e) => e.type === 'invoice.paid'));
  assert.equal(invoices.has_more, true);
  const newest = all[0].created;
  const recent = await stripe.events.list({ created: { gte: newest }, limit: 100 }).autoPagingToArray({ limit: 200 });
  assert.deepEqual(recent.map((e) => e.id), all.filter((e) => e.created >= newest).map((e) => e.id));
  const older = await stripe.events.list({ created: { lt: newest }, limit: 100 }).autoPagingToArray({ limit: 200 });
  assert.equal(older.length + recent.length, 122);

  // What Stripe refuses, the client raises as Stripe's errors.
  await assert.rejects(stripe.events.list({ limit: 101 }), (err) => {
    assert.ok(err instanceof Stripe.errors.StripeInvalidRequestError, err.constructor.name);
    assert.equal(err.param, 'limit');
    return true;
  });
  await assert.rejects(
    stripe.events.list({ starting_after: 'evt_test_missing' }),
    (err) => err instanceof Stripe.errors.StripeInvalidRequestError && err.code === 'resource_missing',
  );
  const one = await stripe.events.retrieve(completed.id);
  assert.equal(one.id, completed.id);
  assert.equal(one.data.object.id, session.id);
});

// --- over TLS ------------------------------------------------------------------------------

test('serves HTTPS and retries a webhook endpoint that failed, over HTTPS', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-stripe-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' });

  // The endpoint answers 500 to the first delivery, 200 afterwards.
  const deliveries = [];
  const endpoint = https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }, (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      deliveries.push({ raw: Buffer.concat(chunks), signature: req.headers['stripe-signature'] });
      res.writeHead(deliveries.length === 1 ? 500 : 200).end();
    });
  });
  await new Promise((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
  t.after(() => endpoint.close());

  const secure = await startFakeStripe([
    '--tls-cert', cert, '--tls-key', key,
    '--webhook-url', `https://127.0.0.1:${endpoint.address().port}/hook`,
    '--webhook-secret', WEBHOOK_SECRET,
    '--webhook-ca-file', cert,
  ]);
  t.after(() => stop(secure.child));
  const secureBase = `https://${secure.address}`;
  const agent = new https.Agent({ ca: fs.readFileSync(cert) });
  const client = new Stripe(SECRET_KEY, { host: '127.0.0.1', port: secure.port, protocol: 'https', httpAgent: agent });

  const session = await client.checkout.sessions.create(oneOffParams('pl_tls'));
  assert.equal(session.url, `${secureBase}/pay/${session.id}`);

  const sent = await new Promise((resolve, reject) => {
    const req = https.request(`${secureBase}/__control/events`, { method: 'POST', agent }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve(JSON.parse(text)));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ type: 'checkout.session.expired', session: session.id }));
  });
  assert.equal(sent.delivered_status, 500);

  // The retry comes about half a second later, the same event with a fresh signature.
  const deadline = Date.now() + 5000;
  while (deliveries.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal(deliveries.length, 2);
  for (const d of deliveries) {
    const event = client.webhooks.constructEvent(d.raw, d.signature, WEBHOOK_SECRET);
    assert.equal(event.id, sent.id);
    assert.equal(event.type, 'checkout.session.expired');
    assert.equal(event.data.object.status, 'expired');
  }
  assert.equal((await client.checkout.sessions.retrieve(session.id)).status, 'expired');
});
