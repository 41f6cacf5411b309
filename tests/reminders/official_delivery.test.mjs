// "Remind me later" deliveries from the real supportd binary, checked by the official
// Standard Webhooks library (`standardwebhooks`): each delivery verifies with each of two
// rotating secrets on its own, a one-character change to a delivered body does not verify, a
// one-click unsubscribe (RFC 8058) stops what is still pending for that address, and a failed
// first attempt comes again about 5 s later under the same webhook-id. A sign-up without
// consent is refused.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { checkAnswersFrom, checkDelivery, expectNoContractFailures } from "../contract/node_checks.mjs";
import { freePort, start, stopAll } from "../support/processes.mjs";

const dir = mkdtempSync(join(tmpdir(), "supportd-reminders-"));
const secrets = [1, 2].map(() => `whsec_${randomBytes(32).toString("base64")}`);
const origin = "https://news.example";
let base;
let receiver;

// Every request the receiver got, in arrival order: { at, headers, raw, payload, verified, status }.
// `verified` holds one entry per secret: true, or the verification error's message.
const attempts = [];
// Addresses whose first attempt of each webhook-id is answered 503 (test d).
const flaky = new Set();
const answeredOnce = new Set();

function verifyWithEach(raw, headers) {
  return secrets.map((secret) => {
    try {
      new Webhook(secret).verify(raw, headers);
      return true;
    } catch (error) {
      return error.message;
    }
  });
}

// The site's email service: checks each delivery against proto/events/, verifies, records,
// answers 204 (or 503 once per id for flaky addresses, 400 for anything that does not verify).
function receive(req, res) {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    const raw = Buffer.concat(chunks).toString("utf8");
    checkDelivery(req.headers, raw);
    const attempt = { at: Date.now(), method: req.method, url: req.url, headers: req.headers, raw };
    attempt.verified = verifyWithEach(raw, req.headers);
    try {
      attempt.payload = JSON.parse(raw);
    } catch {
      attempt.payload = null;
    }
    const id = req.headers["webhook-id"];
    if (!attempt.verified.every((v) => v === true)) {
      attempt.status = 400;
    } else if (flaky.has(attempt.payload?.data?.email) && !answeredOnce.has(id)) {
      answeredOnce.add(id);
      attempt.status = 503;
    } else {
      attempt.status = 204;
    }
    attempts.push(attempt);
    res.writeHead(attempt.status).end();
  });
}

before(async () => {
  const redisPort = await freePort();
  await start("redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", dir], /Ready to accept connections/);

  receiver = http.createServer(receive);
  await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const notifyUrl = `http://127.0.0.1:${receiver.address().port}/reminders`;

  writeFileSync(join(dir, "data-keys"), `k1:${randomBytes(32).toString("base64")}\n`, { mode: 0o600 });
  // Two secrets, as while rotating: each adds its own v1 signature.
  writeFileSync(join(dir, "notify-secrets"), `${secrets.join("\n")}\n`, { mode: 0o600 });
  writeFileSync(join(dir, "link-secret"), `${randomBytes(32).toString("hex")}\n`, { mode: 0o600 });

  // The public URL is only known once supportd listens; pick the port first.
  const httpPort = await freePort();
  base = `http://127.0.0.1:${httpPort}`;
  checkAnswersFrom(base);
  await start(process.env.SUPPORTD_BIN, [
    "--listen-https=", `--listen-http=127.0.0.1:${httpPort}`,
    `--redis-url=redis://127.0.0.1:${redisPort}/0`, "--threads=1",
    `--data-key-file=${join(dir, "data-keys")}`, `--notify-url=${notifyUrl}`,
    `--notify-secret-file=${join(dir, "notify-secrets")}`,
    `--link-secret-file=${join(dir, "link-secret")}`, `--public-url=${base}`,
    `--allowed-origins=${origin}`, "--rate-limit-per-minute=0",
  ], /"msg":"listening","scheme":"http","address":"127\.0\.0\.1:(\d+)"/);
  for (let i = 0; i < 100; i++) {
    const ready = await fetch(`${base}/readyz`).catch(() => null);
    if (ready?.status === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("supportd never became ready");
});

// Every answer supportd gave and every delivery it made is as proto/ documents it.
afterEach(expectNoContractFailures);

after(async () => {
  stopAll();
  receiver?.close();
  receiver?.closeAllConnections();
  rmSync(dir, { recursive: true, force: true });
  await expectNoContractFailures();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const uniqueEmail = (label) => `${label}-${randomBytes(4).toString("hex")}@example.org`;
const attemptsFor = (email) => attempts.filter((a) => a.payload?.data?.email === email);

async function waitForAttempts(email, count, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = attemptsFor(email);
    if (found.length >= count) return found;
    await sleep(20);
  }
  const got = attemptsFor(email).length;
  assert.fail(`${count} attempt(s) for ${email} within ${timeoutMs} ms; got ${got}`);
}

async function signUp(fields) {
  const body = {
    email: "reader@example.org", remind_in: "PT1S", campaign: "spring26", component: "banner",
    page_url: `${origin}/a`, locale: "en-GB", consent: true, consent_version: "2026-01", ...fields,
  };
  const response = await fetch(`${base}/v1/reminders`, {
    method: "POST", headers: { "Content-Type": "application/json", Origin: origin },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  assert.equal(response.status, 201, `POST /v1/reminders: ${response.status} ${text}`);
  return JSON.parse(text);
}

const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

test("a reminder due in 1 s arrives within 3 s, verified by each secret", { timeout: 10000 }, async () => {
  const email = uniqueEmail("due");
  const posted = Date.now();
  const created = await signUp({ email, locale: "de-DE", campaign: "spring26" });
  assert.equal(typeof created.id, "string");
  assert.ok(created.id.length > 0);
  assert.equal(created.status, "pending");
  assert.match(created.due_at, rfc3339);
  assert.ok(Math.abs(Date.parse(created.due_at) - (posted + 1000)) < 2000, created.due_at);
  assert.equal(typeof created.manage_token, "string");
  assert.ok(created.manage_token.length > 0);

  const [delivery] = await waitForAttempts(email, 1, 3000);
  assert.deepEqual(delivery.verified, [true, true]);
  assert.equal(delivery.status, 204);
  assert.equal(delivery.method, "POST");
  assert.equal(delivery.url, "/reminders");
  assert.match(delivery.headers["content-type"], /^application\/json\b/);
  assert.ok(delivery.headers["webhook-id"].length > 0);
  assert.ok(Math.abs(Number(delivery.headers["webhook-timestamp"]) * 1000 - Date.now()) < 60000);
  const signatures = delivery.headers["webhook-signature"].split(" ");
  assert.equal(signatures.length, 2, "one signature per secret");
  for (const s of signatures) assert.match(s, /^v1,[A-Za-z0-9+/]+=*$/);
  // Each delivery starts a W3C trace of its own (lower-case hex, no all-zero ids).
  assert.match(delivery.headers["traceparent"], /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-0[01]$/);

  const { type, timestamp, data } = delivery.payload;
  assert.equal(type, "reminder.due");
  assert.match(timestamp, rfc3339);
  assert.equal(data.reminder_id, created.id);
  assert.equal(data.email, email);
  assert.equal(data.campaign, "spring26");
  assert.equal(data.locale, "de-DE");
  assert.equal(data.component, "banner");
  assert.equal(data.page_url, `${origin}/a`);
  assert.equal(Date.parse(data.due_at), Date.parse(created.due_at));
  const give = new URL(data.give_url);
  assert.match(give.protocol, /^https?:$/);
  const unsubscribe = new URL(data.unsubscribe_url);
  assert.equal(`${unsubscribe.origin}${unsubscribe.pathname}`, `${base}/v1/reminders/unsubscribe`);
  assert.equal(unsubscribe.searchParams.get("id"), created.id);
  assert.ok(unsubscribe.searchParams.get("token")?.length > 0);
});

test("a sign-up without consent is refused with 422 problem+json", async () => {
  const response = await fetch(`${base}/v1/reminders`, {
    method: "POST", headers: { "Content-Type": "application/json", Origin: origin },
    body: JSON.stringify({ email: uniqueEmail("no-consent"), remind_in: "PT1S", campaign: "spring26",
                           component: "banner", page_url: `${origin}/a`, locale: "en-GB" }),
  });
  assert.equal(response.status, 422);
  assert.match(response.headers.get("content-type"), /^application\/problem\+json\b/);
  assert.equal((await response.json()).status, 422);
});

test("a delivered body changed by one character does not verify", { timeout: 10000 }, async () => {
  const email = uniqueEmail("tamper");
  await signUp({ email });
  const [delivery] = await waitForAttempts(email, 1, 3000);
  assert.ok(delivery.raw.includes('"reminder.due"'));
  const tampered = delivery.raw.replace('"reminder.due"', '"reminder.duE"');
  assert.equal(tampered.length, delivery.raw.length);
  for (const secret of secrets) {
    const webhook = new Webhook(secret);
    assert.doesNotThrow(() => webhook.verify(delivery.raw, delivery.headers));
    assert.throws(() => webhook.verify(tampered, delivery.headers), WebhookVerificationError);
  }
  const stranger = new Webhook(`whsec_${randomBytes(32).toString("base64")}`);
  assert.throws(() => stranger.verify(delivery.raw, delivery.headers), WebhookVerificationError);
});

test("a one-click unsubscribe stops the next pending reminder", { timeout: 15000 }, async () => {
  const email = uniqueEmail("unsubscribe");
  await signUp({ email, campaign: "spring26" });
  const [first] = await waitForAttempts(email, 1, 3000);
  const url = first.payload.data.unsubscribe_url;

  await signUp({ email, campaign: "spring26", remind_in: "PT2S" });

  // What a mail client shows (or prefetches): a page with a button, which changes nothing.
  const page = await fetch(url);
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type"), /^text\/html\b/);
  assert.match(await page.text(), /<button|<input[^>]+type="?submit/i);

  // RFC 8058 one-click: the mail client's POST.
  const oneClick = await fetch(url, {
    method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: "List-Unsubscribe=One-Click",
  });
  assert.equal(oneClick.status, 200, await oneClick.text());

  await sleep(4000);
  assert.equal(attemptsFor(email).length, 1, "nothing more arrives after unsubscribing");
});

test("a first attempt answered 503 comes again ~5 s later, same webhook-id", { timeout: 15000 }, async () => {
  const email = uniqueEmail("retry");
  flaky.add(email);
  const created = await signUp({ email });
  const [first] = await waitForAttempts(email, 1, 3000);
  assert.equal(first.status, 503);
  assert.deepEqual(first.verified, [true, true]);

  const [, second] = await waitForAttempts(email, 2, 8000);
  const gap = second.at - first.at;
  assert.ok(gap >= 4500 && gap <= 7000, `retried after ${gap} ms`);
  assert.equal(second.headers["webhook-id"], first.headers["webhook-id"]);
  assert.deepEqual(second.verified, [true, true]);
  assert.equal(second.status, 204);
  assert.equal(second.payload.data.reminder_id, created.id);

  await sleep(300);
  assert.equal(attemptsFor(email).length, 2, "a 2xx ends the retries");
});

test("every request the receiver got verified with both secrets", () => {
  const failed = attempts.filter((a) => !a.verified.every((v) => v === true));
  const shown = failed.map((a) => ({ headers: a.headers, raw: a.raw, verified: a.verified }));
  assert.deepEqual(shown, []);
});
