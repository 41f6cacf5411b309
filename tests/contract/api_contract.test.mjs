// api_contract.mjs against a small description of its own (fixture/, in proto/'s layout): each
// rule lets a good answer through and fails the one that breaks it, so the suites that use it
// cannot pass on responses or deliveries the description does not allow. The line protocol of
// check_server.mjs, which the C++ tests speak, is checked here too.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { loadApiContract } from "./api_contract.mjs";

const fixture = fileURLToPath(new URL("./fixture/openapi.yaml", import.meta.url));
const contract = loadApiContract(fixture);

const requestId = "0123456789abcdef0123456789abcdef";
const json = { "Content-Type": "application/json", "X-Request-Id": requestId };
const problemJson = { "Content-Type": "application/problem+json", "X-Request-Id": requestId };
const healthy = { method: "GET", target: "/healthz", status: 200, headers: json, body: '{"status":"ok"}' };
const problem = (status, code) =>
  JSON.stringify({ type: `https://supportd.dev/problems/${code}`, title: "T", status, code });

// One error that mentions `what`.
function failsWith(errors, what) {
  assert.equal(errors.length, 1, JSON.stringify(errors));
  assert.match(errors[0], what);
}

test("a documented answer passes; the query does not pick the operation", () => {
  assert.deepEqual(contract.checkResponse(healthy), []);
  assert.deepEqual(contract.checkResponse({ ...healthy, target: "/healthz?verbose=1" }), []);
});

test("an undocumented status fails", () => {
  failsWith(contract.checkResponse({ ...healthy, status: 500, headers: problemJson, body: problem(500, "x") }),
            /status 500 is not documented .*listed: 200, 431/);
});

test("a field the schema does not list fails", () => {
  failsWith(contract.checkResponse({ ...healthy, body: '{"status":"ok","uptime":3}' }),
            /additional properties \(uptime\)/);
});

test("a value of the wrong type fails", () => {
  const reminder = { method: "GET", target: "/v1/reminders/r_1", status: 200, headers: json };
  assert.deepEqual(contract.checkResponse({ ...reminder, body: '{"id":"r_1","status":"pending"}' }), []);
  failsWith(contract.checkResponse({ ...reminder, body: '{"id":7,"status":"pending"}' }), /body\/id: must be string/);
  failsWith(contract.checkResponse({ ...reminder, body: '{"id":"r_1","status":"gone"}' }), /body\/status: must be equal to one of/);
  failsWith(contract.checkResponse({ ...reminder, body: '{"id":"r_1"' }), /not JSON/);
});

test("a media type not listed for the status fails; parameters do not count", () => {
  failsWith(contract.checkResponse({ ...healthy, headers: { ...json, "Content-Type": "text/plain" } }),
            /media type text\/plain is not documented .*listed: application\/json/);
  const page = { method: "GET", target: "/v1/reminders/unsubscribe", status: 200, body: "<p>Unsubscribe?</p>" };
  assert.deepEqual(contract.checkResponse({ ...page, headers: { "Content-Type": "text/html; charset=utf-8" } }), []);
  failsWith(contract.checkResponse({ ...page, headers: { "Content-Type": "application/json" } }), /media type/);
});

test("a body where none is documented fails, and so does none where one is", () => {
  const deleted = { method: "DELETE", target: "/v1/reminders/r_1", status: 204, headers: {} };
  assert.deepEqual(contract.checkResponse({ ...deleted, body: "" }), []);
  failsWith(contract.checkResponse({ ...deleted, headers: json, body: "{}" }), /documents no content/);
  failsWith(contract.checkResponse({ ...healthy, headers: { "X-Request-Id": requestId }, body: "" }),
            /documents content .* but the answer has none/);
});

test("a required header missing or malformed fails", () => {
  failsWith(contract.checkResponse({ ...healthy, headers: { "Content-Type": "application/json" } }),
            /header X-Request-Id is required but missing/);
  failsWith(contract.checkResponse({ ...healthy, headers: { ...json, "X-Request-Id": "nope" } }),
            /header X-Request-Id: must match pattern/);
  const unavailable = { method: "GET", target: "/v1/reminders/r_1", status: 503, body: problem(503, "store_unavailable") };
  assert.deepEqual(contract.checkResponse({ ...unavailable, headers: { ...problemJson, "Retry-After": "1" } }), []);
  failsWith(contract.checkResponse({ ...unavailable, headers: problemJson }), /header Retry-After is required/);
  failsWith(contract.checkResponse({ ...unavailable, headers: { ...problemJson, "Retry-After": "soon" } }),
            /header Retry-After: must be integer/);
});

test("a problem's code is held to the operation's list, and its status to the response's", () => {
  const missing = { method: "GET", target: "/v1/reminders/r_1", status: 404, headers: problemJson };
  assert.deepEqual(contract.checkResponse({ ...missing, body: problem(404, "not_found") }), []);
  failsWith(contract.checkResponse({ ...missing, body: problem(404, "gone") }), /body\/code: must be equal to constant/);
  failsWith(contract.checkResponse({ ...missing, body: problem(410, "not_found") }), /410 is not the response's status 404/);
});

test("a literal path segment wins over a template one", () => {
  // /v1/reminders/unsubscribe, not /v1/reminders/{id}: a 404 there is not documented.
  failsWith(contract.checkResponse({ method: "GET", target: "/v1/reminders/unsubscribe?id=1", status: 404,
                                     headers: problemJson, body: problem(404, "not_found") }),
            /status 404 is not documented .*\/v1\/reminders\/unsubscribe/);
});

test("no operation: a 4xx problem passes, anything else fails", () => {
  const nowhere = { method: "GET", target: "/nope", headers: problemJson };
  assert.deepEqual(contract.checkResponse({ ...nowhere, status: 404, body: problem(404, "not_found") }), []);
  assert.deepEqual(contract.checkResponse({ ...nowhere, method: "PUT", target: "/healthz", status: 405,
                                            body: problem(405, "method_not_allowed") }), []);
  assert.deepEqual(contract.checkResponse({ ...nowhere, method: "", target: "", status: 400,
                                            body: problem(400, "bad_request") }), []);
  failsWith(contract.checkResponse({ ...nowhere, status: 503, body: problem(503, "x") }), /not a client error/);
  failsWith(contract.checkResponse({ ...nowhere, status: 404, headers: json, body: "{}" }), /application\/problem\+json/);
  const leaky = contract.checkResponse({ ...nowhere, status: 404, body: '{"status":404,"secret":1}' });
  assert.ok(leaky.some((e) => /required property 'type'/.test(e)), JSON.stringify(leaky));
  assert.ok(leaky.some((e) => /additional properties \(secret\)/.test(e)), JSON.stringify(leaky));
});

test("HEAD is checked as the GET without its content", () => {
  assert.deepEqual(contract.checkResponse({ ...healthy, method: "HEAD", body: "" }), []);
  failsWith(contract.checkResponse({ ...healthy, method: "HEAD", status: 204, body: "" }), /status 204/);
});

test("a body not seen (a browser's redirect) is checked for status and headers only", () => {
  assert.deepEqual(contract.checkResponse({ ...healthy, body: undefined }), []);
});

const signed = {
  "Content-Type": "application/json", "webhook-id": "msg_2hYq", "webhook-timestamp": "1767225600",
  "webhook-signature": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
};
const due = {
  type: "reminder.due", timestamp: "2026-01-01T00:00:00Z",
  data: { reminder_id: "r_1", email: "reader@example.org", occurrence: 1 },
};

test("a delivery passes when its headers and body are as documented", () => {
  assert.deepEqual(contract.checkDelivery({ headers: signed, body: JSON.stringify(due) }), []);
});

test("a bad delivery fails: headers, fields, types, event type", () => {
  const { "webhook-signature": _, ...unsigned } = signed;
  const missing = contract.checkDelivery({ headers: unsigned, body: JSON.stringify(due) });
  assert.ok(missing.some((e) => /webhook-signature is missing/.test(e)), JSON.stringify(missing));
  failsWith(contract.checkDelivery({ headers: { ...signed, "webhook-timestamp": "yesterday" }, body: JSON.stringify(due) }),
            /header webhook-timestamp: must be integer/);
  failsWith(contract.checkDelivery({ headers: signed, body: JSON.stringify({ ...due, extra: true }) }),
            /additional properties \(extra\)/);
  failsWith(contract.checkDelivery({ headers: signed, body: JSON.stringify({ ...due, data: { ...due.data, occurrence: "1" } }) }),
            /body\/data\/occurrence: must be integer/);
  failsWith(contract.checkDelivery({ headers: signed, body: JSON.stringify({ ...due, type: "reminder.lost" }) }),
            /event type reminder.lost is not documented/);
  failsWith(contract.checkDelivery({ headers: signed, body: JSON.stringify({ ...due, type: "../openapi" }) }),
            /does not name an event/);
  failsWith(contract.checkDelivery({ headers: { ...signed, "Content-Type": "text/plain" }, body: JSON.stringify(due) }),
            /media type text\/plain is not documented/);
});

test("it counts what it checked", () => {
  const fresh = loadApiContract(fixture);
  fresh.checkResponse(healthy);
  fresh.checkResponse({ ...healthy, status: 299 });
  fresh.checkDelivery({ headers: signed, body: JSON.stringify(due) });
  assert.deepEqual(fresh.counts, { responses: 2, deliveries: 1 });
});

test("check_server.mjs: a verdict per line, in order, and a tally line at the end", async () => {
  const dir = mkdtempSync(join(tmpdir(), "api-contract-"));
  try {
    const tally = join(dir, "tally");
    const report = join(dir, "report");
    const server = spawn(process.execPath, [fileURLToPath(new URL("./check_server.mjs", import.meta.url)), "the test"], {
      env: { ...process.env, SUPPORTD_API_DESCRIPTION: fixture, SUPPORTD_CONTRACT_TALLY: tally,
             SUPPORTD_CONTRACT_REPORT: report },
      stdio: ["pipe", "pipe", "inherit"],
    });
    const verdicts = [];
    createInterface({ input: server.stdout }).on("line", (line) => verdicts.push(JSON.parse(line)));
    server.stdin.write(`${JSON.stringify({ kind: "response", ...healthy })}\n`);
    server.stdin.write(`${JSON.stringify({ kind: "response", ...healthy, status: 500 })}\n`);
    server.stdin.write(`${JSON.stringify({ kind: "delivery", headers: signed, body: JSON.stringify(due) })}\n`);
    server.stdin.write("not json\n");
    server.stdin.end();
    const code = await new Promise((resolve) => server.on("exit", resolve));
    assert.equal(code, 0);
    assert.equal(verdicts.length, 4);
    assert.deepEqual(verdicts[0], { errors: [], operation: "GET /healthz" });
    assert.match(verdicts[1].errors[0], /status 500 is not documented/);
    assert.deepEqual(verdicts[2].errors, []);
    assert.match(verdicts[3].errors[0], /could not read the request/);
    assert.equal(readFileSync(tally, "utf8"), "responses=2 deliveries=1 the test\n");
    const reported = readFileSync(report, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(reported.map((r) => [r.operation, r.status]), [["GET /healthz", 500]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
