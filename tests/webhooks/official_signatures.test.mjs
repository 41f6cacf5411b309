// Stripe-Signature headers made by the official stripe-node library are accepted by the real
// supportd binary, and its tampered, stale, wrong-secret and v0-only variants are refused.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Stripe from "stripe";
import { checkAnswersFrom, expectNoContractFailures } from "../contract/node_checks.mjs";
import { freePort, start, stopAll } from "../support/processes.mjs";

const stripe = new Stripe("sk_test_unused");
const dir = mkdtempSync(join(tmpdir(), "supportd-sig-"));
let base;

before(async () => {
  const redisPort = await freePort();
  await start("redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", dir], /Ready to accept connections/);
  // Two active secrets, as while rotating.
  writeFileSync(join(dir, "secrets"), "whsec_current_secret\nwhsec_previous_secret\n", { mode: 0o600 });
  const match = await start(process.env.SUPPORTD_BIN, [
    "--listen-https=", "--listen-http=127.0.0.1:0", `--redis-url=redis://127.0.0.1:${redisPort}/0`,
    `--stripe-webhook-secret-file=${join(dir, "secrets")}`, "--threads=1",
  ], /"msg":"listening","scheme":"http","address":"127\.0\.0\.1:(\d+)"/);
  base = `http://127.0.0.1:${match[1]}`;
  checkAnswersFrom(base);
  for (let i = 0; i < 100; i++) {
    const ready = await fetch(`${base}/readyz`).catch(() => null);
    if (ready?.status === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("supportd never became ready");
});

// Every answer supportd gave is as proto/openapi.yaml documents it.
afterEach(expectNoContractFailures);

after(async () => {
  stopAll();
  rmSync(dir, { recursive: true, force: true });
  await expectNoContractFailures();
});

const payload = JSON.stringify({
  id: "evt_official_1", object: "event", type: "payout.paid", livemode: false,
  data: { object: { id: "po_1", object: "payout" } },
});

async function deliver(header, body = payload) {
  const response = await fetch(`${base}/v1/webhooks/stripe`, {
    method: "POST", headers: { "Content-Type": "application/json", "Stripe-Signature": header }, body,
  });
  return response.status;
}

const now = () => Math.floor(Date.now() / 1000);

test("a header from stripe.webhooks.generateTestHeaderString is accepted", async () => {
  const header = stripe.webhooks.generateTestHeaderString({ payload, secret: "whsec_current_secret" });
  assert.equal(await deliver(header), 200);
});

test("the previous secret still verifies while rotating", async () => {
  const header = stripe.webhooks.generateTestHeaderString({ payload, secret: "whsec_previous_secret" });
  assert.equal(await deliver(header), 200);
});

test("a tampered body is refused", async () => {
  const header = stripe.webhooks.generateTestHeaderString({ payload, secret: "whsec_current_secret" });
  assert.equal(await deliver(header, payload.replace("po_1", "po_2")), 400);
});

test("a stale timestamp is refused", async () => {
  const header = stripe.webhooks.generateTestHeaderString({
    payload, secret: "whsec_current_secret", timestamp: now() - 400,
  });
  assert.equal(await deliver(header), 400);
});

test("a wrong secret is refused", async () => {
  const header = stripe.webhooks.generateTestHeaderString({ payload, secret: "whsec_someone_else" });
  assert.equal(await deliver(header), 400);
});

test("only a v0 signature is refused", async () => {
  const header = stripe.webhooks.generateTestHeaderString({ payload, secret: "whsec_current_secret" });
  assert.equal(await deliver(header.replace("v1=", "v0=")), 400);
});

test("several v1 signatures pass when one matches, as Stripe sends while rotating", async () => {
  const good = stripe.webhooks.generateTestHeaderString({ payload, secret: "whsec_current_secret" });
  const other = stripe.webhooks.generateTestHeaderString({ payload, secret: "whsec_unknown" });
  const combined = `${good},v1=${other.split("v1=")[1]}`;
  assert.equal(await deliver(combined), 200);
});
