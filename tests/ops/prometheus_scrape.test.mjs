// The dashboards' source, end to end: a real Prometheus (Debian's `prometheus`) on loopback
// scrapes the real supportd every second and evaluates deploy/prometheus/rules.yml, and its HTTP
// API answers with what the test did: the pledges it made by currency, interval and component,
// the reminder sign-ups, `up`, a latency median from the request histogram, and series recorded
// by the rules. supportd talks to fake-stripe (plain HTTP) and a redis-server of its own; nothing
// leaves 127.0.0.1.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkAnswersFrom, expectNoContractFailures } from "../contract/node_checks.mjs";
import { freePort, start, stopAll } from "../support/processes.mjs";

const rulesFile = fileURLToPath(new URL("../../deploy/prometheus/rules.yml", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "supportd-prometheus-"));
const origin = "https://news.example";
const stripeKey = "sk_test_ops_prometheus";
// rules.yml and the dashboard select on job="supportd".
const job = "supportd";
let base;
let target;
let prometheus;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  const redisPort = await freePort();
  await start("redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", dir], /Ready to accept connections/);

  // Stripe's stand-in over plain HTTP, as deploy/local/run starts it. No payment is made here,
  // so it needs no webhook URL.
  const stripePort = await freePort();
  await start(process.env.FAKE_STRIPE_BIN, ["--listen", `127.0.0.1:${stripePort}`,
                                            "--secret-key", stripeKey],
              /"msg":"listening"/);

  writeFileSync(join(dir, "stripe-secret-key"), `${stripeKey}\n`, { mode: 0o600 });
  writeFileSync(join(dir, "data-keys"), `k1:${randomBytes(32).toString("base64")}\n`, { mode: 0o600 });
  writeFileSync(join(dir, "link-secret"), `${randomBytes(32).toString("hex")}\n`, { mode: 0o600 });

  const httpPort = await freePort();
  target = `127.0.0.1:${httpPort}`;
  base = `http://${target}`;
  checkAnswersFrom(base);
  await start(process.env.SUPPORTD_BIN, [
    "--listen-https=", `--listen-http=${target}`,
    `--redis-url=redis://127.0.0.1:${redisPort}/0`, "--threads=1",
    `--stripe-secret-key-file=${join(dir, "stripe-secret-key")}`,
    `--stripe-api-base=http://127.0.0.1:${stripePort}`,
    `--data-key-file=${join(dir, "data-keys")}`, `--link-secret-file=${join(dir, "link-secret")}`,
    `--public-url=${base}`, `--allowed-origins=${origin}`, "--rate-limit-per-minute=0",
  ], /"msg":"listening","scheme":"http"/);
  let ready = null;
  for (let i = 0; i < 100 && ready?.status !== 200; i++) {
    ready = await fetch(`${base}/readyz`).catch(() => null);
    if (ready?.status !== 200) await sleep(50);
  }
  assert.equal(ready?.status, 200, "supportd never became ready");

  // Scrapes and rule evaluations every second, so the test waits seconds, not minutes. No
  // self-scrape, no Alertmanager: supportd is its only peer.
  const promPort = await freePort();
  prometheus = `http://127.0.0.1:${promPort}`;
  writeFileSync(join(dir, "prometheus.yml"), [
    "global:",
    "  scrape_interval: 1s",
    "  scrape_timeout: 1s",
    "  evaluation_interval: 1s",
    "rule_files:",
    `  - ${JSON.stringify(rulesFile)}`,
    "scrape_configs:",
    `  - job_name: ${job}`,
    "    metrics_path: /metrics",
    "    static_configs:",
    `      - targets: [${JSON.stringify(target)}]`,
    "",
  ].join("\n"));
  await start("prometheus", [
    `--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "tsdb")}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
  ], /Server is ready to receive web requests/);
});

// This process's live children, by pid: only start() spawns any here. The temp dir goes once they
// have exited, so that Prometheus cannot write into it after.
function children() {
  const pids = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(ppid) === process.pid && state !== "Z") pids.push(Number(entry));
    } catch {
      // It exited while being looked at.
    }
  }
  return pids;
}

// Every answer supportd gave the test is as proto/openapi.yaml documents it (Prometheus' own
// scrapes are not seen here; the test reads /metrics through Prometheus).
afterEach(expectNoContractFailures);

after(async () => {
  stopAll();
  const deadline = Date.now() + 10000;
  let left = children();
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(50);
    left = children();
  }
  for (const pid of left) process.kill(pid, "SIGKILL");
  rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  await expectNoContractFailures();
});

// An instant query through Prometheus' HTTP API: [{ metric, value }] with value a Number.
async function query(expr) {
  const response = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = await response.json();
  assert.equal(response.status, 200, `${expr}: ${JSON.stringify(body)}`);
  assert.equal(body.status, "success", `${expr}: ${JSON.stringify(body)}`);
  assert.equal(body.data.resultType, "vector", expr);
  return body.data.result.map(({ metric, value }) => ({ metric, value: Number(value[1]) }));
}

// Runs `check` until it passes or `timeoutMs` is over; then fails with its last assertion.
async function eventually(check, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await sleep(250);
    }
  }
}

// The result as { "label=value,…": value }, sorted, for exact comparisons.
function byLabels(result, labels) {
  const out = {};
  for (const { metric, value } of result) {
    out[labels.map((l) => `${l}=${metric[l] ?? ""}`).join(",")] = value;
  }
  return out;
}

async function pledge(fields) {
  const response = await fetch(`${base}/v1/pledges`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Origin: origin },
    body: JSON.stringify({
      email: `reader-${randomBytes(4).toString("hex")}@example.org`, campaign: "ops",
      success_url: `${origin}/thanks`, cancel_url: `${origin}/donate`, ...fields,
    }),
  });
  const text = await response.text();
  assert.equal(response.status, 201, `POST /v1/pledges: ${response.status} ${text}`);
  assert.equal(JSON.parse(text).status, "pending");
}

async function signUpForReminder() {
  const response = await fetch(`${base}/v1/reminders`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Origin: origin },
    body: JSON.stringify({
      email: `later-${randomBytes(4).toString("hex")}@example.org`, remind_in: "P7D",
      campaign: "ops", component: "banner", page_url: `${origin}/a`, locale: "en-GB",
      consent: true, consent_version: "2026-01",
    }),
  });
  const text = await response.text();
  assert.equal(response.status, 201, `POST /v1/reminders: ${response.status} ${text}`);
}

const pledgesBy = ["currency", "interval", "component"];
const pledgesCreated = `sum by (${pledgesBy.join(", ")}) (supportd_pledges_created_total{job="${job}"})`;

test("Prometheus scrapes supportd: up is 1 for its target", async () => {
  await eventually(async () => {
    const up = await query(`up{job="${job}"}`);
    assert.deepEqual(up.map(({ metric, value }) => ({ instance: metric.instance, value })),
                     [{ instance: target, value: 1 }]);
  });
});

test("pledges and reminder sign-ups made over HTTP are counted, exactly", async () => {
  // One pledge first, seen by a scrape, then the rest: the request counters and the latency
  // histogram of /v1/pledges then grow between two samples, which rate() needs.
  await pledge({ amount: "5", currency: "USD", interval: "month", component: "banner" });
  await eventually(async () => {
    assert.deepEqual(byLabels(await query(pledgesCreated), pledgesBy),
                     { "currency=USD,interval=month,component=banner": 1 });
  });

  await pledge({ amount: "7.50", currency: "USD", interval: "month", component: "banner" });
  await pledge({ amount: "3", currency: "EUR", interval: "once", component: "epic" });
  await signUpForReminder();
  await signUpForReminder();

  await eventually(async () => {
    assert.deepEqual(byLabels(await query(pledgesCreated), pledgesBy), {
      "currency=EUR,interval=once,component=epic": 1,
      "currency=USD,interval=month,component=banner": 2,
    });
    // The same counts by currency and interval alone, as the dashboard's panel sums them.
    const byCurrencyInterval =
        await query(`sum by (currency, interval) (supportd_pledges_created_total{job="${job}"})`);
    assert.deepEqual(byLabels(byCurrencyInterval, ["currency", "interval"]),
                     { "currency=EUR,interval=once": 1, "currency=USD,interval=month": 2 });
    const signups = await query(`sum by (outcome) (supportd_reminder_signups_total{job="${job}"})`);
    assert.deepEqual(byLabels(signups, ["outcome"]), { "outcome=created": 2 });
    const answered = await query(
        `sum by (route, method, status) (supportd_http_requests_total{job="${job}", route=~"/v1/.*"})`);
    assert.deepEqual(byLabels(answered, ["route", "method", "status"]), {
      "route=/v1/pledges,method=POST,status=201": 3,
      "route=/v1/reminders,method=POST,status=201": 2,
    });
  });
});

test("the latency histogram gives a median for POST /v1/pledges", async () => {
  const median = `histogram_quantile(0.5, sum by (le) (rate(
      supportd_http_request_duration_seconds_bucket{job="${job}", route="/v1/pledges"}[1m])))`;
  await eventually(async () => {
    const result = await query(median);
    assert.equal(result.length, 1, JSON.stringify(result));
    const seconds = result[0].value;
    assert.ok(Number.isFinite(seconds) && seconds > 0 && seconds < 5, `median ${seconds} s`);
  });
  // The same over every route, as in the issue: scrapes alone keep it defined.
  await eventually(async () => {
    const result = await query(`histogram_quantile(0.5, sum by (le) (rate(
        supportd_http_request_duration_seconds_bucket{job="${job}"}[1m])))`);
    assert.equal(result.length, 1, JSON.stringify(result));
    assert.ok(Number.isFinite(result[0].value) && result[0].value > 0, `${result[0].value} s`);
  });
});

test("rules.yml's recording rules run on the scraped series", async () => {
  // job_route_status:supportd_http_requests:rate5m, from supportd_http_requests_total: the
  // pledges' route, positive because it grew from 1 to 3 between scrapes.
  await eventually(async () => {
    const result = await query(
        `job_route_status:supportd_http_requests:rate5m{job="${job}", route="/v1/pledges"}`);
    assert.deepEqual(result.map(({ metric }) => metric.status), ["201"], JSON.stringify(result));
    assert.ok(result[0].value > 0, `rate ${result[0].value}/s`);
  });
  // And a rule built on that one: client requests per second leave out probes and scrapes.
  await eventually(async () => {
    const result = await query(`job:supportd_http_client_requests:rate5m{job="${job}"}`);
    assert.equal(result.length, 1, JSON.stringify(result));
    assert.ok(result[0].value > 0, `rate ${result[0].value}/s`);
  });
  // Prometheus loaded the whole file, and its rule groups evaluate without error.
  const response = await fetch(`${prometheus}/api/v1/rules`);
  const { data } = await response.json();
  const groups = Object.fromEntries(data.groups.map((g) => [g.name, g]));
  assert.deepEqual(Object.keys(groups).sort(), ["supportd.alerts", "supportd.recording"]);
  const unhealthy = data.groups.flatMap((g) => g.rules).filter((r) => r.health === "err");
  assert.deepEqual(unhealthy.map((r) => `${r.name}: ${r.lastError}`), []);
});
