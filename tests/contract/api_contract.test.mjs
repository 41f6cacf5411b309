// api_contract.mjs against a small description of its own (fixture/, in proto/'s layout): each
// rule lets a good answer through and fails the one that breaks it, so the suites that use it
// cannot pass on responses or deliveries the description does not allow. check_server.mjs, which
// the C++ tests talk to, is checked here too.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
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
const healthy = {
  method: "GET", target: "/healthz", status: 200, headers: json, body: '{"status":"ok"}',
};
const problem = (status, code) =>
  JSON.stringify({ type: `https://supportd.dev/problems/${code}`, title: "T", status, code });

// No error.
function passes(errors) {
  assert.deepEqual(errors, []);
}

// One error, which mentions `what`.
function failsWith(errors, what) {
  assert.equal(errors.length, 1, JSON.stringify(errors));
  assert.match(errors[0], what);
}

const check = (response) => contract.checkResponse(response);

test("a documented answer passes; the query does not pick the operation", () => {
  passes(check(healthy));
  passes(check({ ...healthy, target: "/healthz?verbose=1" }));
});

test("an undocumented status fails", () => {
  failsWith(check({ ...healthy, status: 500, headers: problemJson, body: problem(500, "x") }),
            /status 500 is not documented .*listed: 200, 431/);
});

test("a field the schema does not list fails", () => {
  failsWith(check({ ...healthy, body: '{"status":"ok","uptime":3}' }), /additional properties \(uptime\)/);
});

test("a value of the wrong type fails", () => {
  const reminder = { method: "GET", target: "/v1/reminders/r_1", status: 200, headers: json };
  passes(check({ ...reminder, body: '{"id":"r_1","status":"pending"}' }));
  failsWith(check({ ...reminder, body: '{"id":7,"status":"pending"}' }), /body\/id: must be string/);
  failsWith(check({ ...reminder, body: '{"id":"r_1","status":"gone"}' }),
            /body\/status: must be equal to one of/);
  failsWith(check({ ...reminder, body: '{"id":"r_1"' }), /not JSON/);
});

test("a media type not listed for the status fails; parameters do not count", () => {
  failsWith(check({ ...healthy, headers: { ...json, "Content-Type": "text/plain" } }),
            /media type text\/plain is not documented .*listed: application\/json/);
  const page = { method: "GET", target: "/v1/reminders/unsubscribe", status: 200, body: "<p>Sure?</p>" };
  passes(check({ ...page, headers: { "Content-Type": "text/html; charset=utf-8" } }));
  failsWith(check({ ...page, headers: { "Content-Type": "application/json" } }), /media type/);
});

test("a body where none is documented fails, and so does none where one is", () => {
  const deleted = { method: "DELETE", target: "/v1/reminders/r_1", status: 204, headers: {} };
  passes(check({ ...deleted, body: "" }));
  failsWith(check({ ...deleted, headers: json, body: "{}" }), /documents no content/);
  failsWith(check({ ...healthy, headers: { "X-Request-Id": requestId }, body: "" }),
            /documents content .* but the answer has none/);
});

test("a required header missing or malformed fails", () => {
  failsWith(check({ ...healthy, headers: { "Content-Type": "application/json" } }),
            /header X-Request-Id is required but missing/);
  failsWith(check({ ...healthy, headers: { ...json, "X-Request-Id": "nope" } }),
            /header X-Request-Id: must match pattern/);
  const unavailable = {
    method: "GET", target: "/v1/reminders/r_1", status: 503, body: problem(503, "store_unavailable"),
  };
  passes(check({ ...unavailable, headers: { ...problemJson, "Retry-After": "1" } }));
  failsWith(check({ ...unavailable, headers: problemJson }), /header Retry-After is required/);
  failsWith(check({ ...unavailable, headers: { ...problemJson, "Retry-After": "soon" } }),
            /header Retry-After: must be integer/);
});

test("a problem's code is held to the operation's list, and its status to the response's", () => {
  const missing = { method: "GET", target: "/v1/reminders/r_1", status: 404, headers: problemJson };
  passes(check({ ...missing, body: problem(404, "not_found") }));
  failsWith(check({ ...missing, body: problem(404, "gone") }), /body\/code: must be equal to constant/);
  failsWith(check({ ...missing, body: problem(410, "not_found") }), /410 is not the response's status 404/);
});

test("a literal path segment wins over a template one", () => {
  // /v1/reminders/unsubscribe, not /v1/reminders/{id}: a 404 there is not documented.
  failsWith(check({ method: "GET", target: "/v1/reminders/unsubscribe?id=1", status: 404,
                    headers: problemJson, body: problem(404, "not_found") }),
            /status 404 is not documented .*\/v1\/reminders\/unsubscribe/);
});

test("no operation: a 4xx problem passes, anything else fails", () => {
  const nowhere = { method: "GET", target: "/nope", headers: problemJson };
  passes(check({ ...nowhere, status: 404, body: problem(404, "not_found") }));
  passes(check({ ...nowhere, method: "PUT", target: "/healthz", status: 405,
                 body: problem(405, "method_not_allowed") }));
  passes(check({ ...nowhere, method: "", target: "", status: 400, body: problem(400, "bad_request") }));
  failsWith(check({ ...nowhere, status: 503, body: problem(503, "x") }), /not a client error/);
  failsWith(check({ ...nowhere, status: 404, headers: json, body: "{}" }), /application\/problem\+json/);
  const leaky = check({ ...nowhere, status: 404, body: '{"status":404,"secret":1}' });
  assert.ok(leaky.some((e) => /required property 'type'/.test(e)), JSON.stringify(leaky));
  assert.ok(leaky.some((e) => /additional properties \(secret\)/.test(e)), JSON.stringify(leaky));
});

test("HEAD is checked as the GET without its content", () => {
  passes(check({ ...healthy, method: "HEAD", body: "" }));
  failsWith(check({ ...healthy, method: "HEAD", status: 204, body: "" }), /status 204/);
});

test("a body not seen (a browser's redirect) is checked for status and headers only", () => {
  passes(check({ ...healthy, body: undefined }));
});

const signed = {
  "Content-Type": "application/json", "webhook-id": "msg_2hYq", "webhook-timestamp": "1767225600",
  "webhook-signature": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
};
const due = {
  type: "reminder.due", timestamp: "2026-01-01T00:00:00Z",
  data: { reminder_id: "r_1", email: "reader@example.org", occurrence: 1 },
};
const deliver = (headers, event) => contract.checkDelivery({ headers, body: JSON.stringify(event) });

test("a delivery passes when its headers and body are as documented", () => {
  passes(deliver(signed, due));
});

test("a bad delivery fails: headers, fields, types, event type", () => {
  const { "webhook-signature": _, ...unsigned } = signed;
  const missing = deliver(unsigned, due);
  assert.ok(missing.some((e) => /webhook-signature is missing/.test(e)), JSON.stringify(missing));
  failsWith(deliver({ ...signed, "webhook-timestamp": "yesterday" }, due),
            /header webhook-timestamp: must be integer/);
  failsWith(deliver(signed, { ...due, extra: true }), /additional properties \(extra\)/);
  failsWith(deliver(signed, { ...due, data: { ...due.data, occurrence: "1" } }),
            /body\/data\/occurrence: must be integer/);
  failsWith(deliver(signed, { ...due, type: "reminder.lost" }), /event type reminder.lost is not documented/);
  failsWith(deliver(signed, { ...due, type: "../openapi" }), /does not name an event/);
  failsWith(deliver({ ...signed, "Content-Type": "text/plain" }, due), /media type text\/plain is not documented/);
});

test("it counts what it checked", () => {
  const fresh = loadApiContract(fixture);
  fresh.checkResponse(healthy);
  fresh.checkResponse({ ...healthy, status: 299 });
  fresh.checkDelivery({ headers: signed, body: JSON.stringify(due) });
  assert.deepEqual(fresh.counts, { responses: 2, deliveries: 1 });
});

// check_server.mjs on a socket of this test's, with an idle time of 1 s.
const checkServer = fileURLToPath(new URL("./check_server.mjs", import.meta.url));
function startChecker(socket) {
  const checker = spawn(process.execPath, [checkServer, socket, "1"], {
    env: { ...process.env, SUPPORTD_API_DESCRIPTION: fixture }, stdio: ["ignore", "inherit", "inherit"],
  });
  const exited = new Promise((resolve) => checker.on("exit", (code) => resolve(code)));
  return { checker, exited };
}

async function connectWithin(socket, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const connection = await new Promise((resolve) => {
      const c = net.connect(socket);
      c.on("connect", () => resolve(c));
      c.on("error", () => resolve(null));
    });
    if (connection) return connection;
    assert.ok(Date.now() < deadline, `nothing listens on ${socket}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("check_server.mjs: a verdict per line, in order; one checker per socket; gone when idle", async () => {
  const dir = mkdtempSync(join(tmpdir(), "api-contract-"));
  const socket = join(dir, "checker.sock");
  try {
    // A socket file a killed checker left behind is taken over.
    const listen = `require("net").createServer().listen(${JSON.stringify(socket)})`;
    const killed = spawn(process.execPath, ["-e", listen]);
    await connectWithin(socket, 10000).then((c) => c.destroy());
    killed.kill("SIGKILL");
    await new Promise((resolve) => killed.on("exit", resolve));
    assert.ok(existsSync(socket));

    const first = startChecker(socket);
    const connection = await connectWithin(socket, 20000);
    const verdicts = [];
    createInterface({ input: connection }).on("line", (line) => verdicts.push(JSON.parse(line)));
    connection.write(`${JSON.stringify({ kind: "response", ...healthy })}\n`);
    connection.write(`${JSON.stringify({ kind: "response", ...healthy, status: 500 })}\n`);
    connection.write(`${JSON.stringify({ kind: "delivery", headers: signed, body: JSON.stringify(due) })}\n`);
    connection.write("not json\n");
    while (verdicts.length < 4) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(verdicts[0], { errors: [], operation: "GET /healthz" });
    assert.match(verdicts[1].errors[0], /status 500 is not documented/);
    assert.deepEqual(verdicts[2], { errors: [], operation: null });
    assert.match(verdicts[3].errors[0], /could not read the request/);

    // A second one for the same socket leaves it to the first, at once.
    assert.equal(await startChecker(socket).exited, 0);

    // Idle for its idle time once the last test process has gone: it exits and removes its socket.
    connection.end();
    assert.equal(await first.exited, 0);
    assert.equal(existsSync(socket), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
