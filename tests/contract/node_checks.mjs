// api_contract.mjs for the Node suites (official clients, Prometheus, the browser): what they get
// from supportd and what their receivers get from it, held to the API description.
//
//   import { checkAnswersFrom, checkDelivery, expectNoContractFailures } from "../contract/node_checks.mjs";
//   checkAnswersFrom(base);                    // fetch() answers from base's origin, from now on
//   checkBrowserAnswers(page, base);           // a Playwright page's answers from that origin
//   await checksSettled();                     // before closing that page
//   checkDelivery(req.headers, rawBody);       // in a receiver
//   afterEach(expectNoContractFailures);       // fails the test during which one was seen
//   after(expectNoContractFailures);
//
// Failures are collected where they happen (in fetch, in a receiver's callback, in a page's
// event) and thrown by expectNoContractFailures, so each fails the test that caused it, even
// when the code that saw it swallows errors (a readiness loop's catch). The process appends its
// tally at exit ($SUPPORTD_CONTRACT_TALLY) and each failure to $SUPPORTD_CONTRACT_REPORT.
import assert from "node:assert/strict";
import { basename } from "node:path";
import { appendTally, loadApiContract, reportFailure } from "./api_contract.mjs";

let contract;
let loadError;
const failures = [];
const pending = new Set();
const origins = new Set();
const counts = { responses: 0, deliveries: 0 };

function theContract() {
  if (!contract && !loadError) {
    try {
      contract = loadApiContract();
    } catch (error) {
      loadError = `the API description cannot be loaded: ${error.message}`;
    }
  }
  return contract;
}

process.on("exit", () => appendTally(counts, basename(process.argv[1] ?? "node suite")));

const listed = (errors) => errors.map((e) => `  - ${e}`).join("\n");
const excerpt = (body) => (body === undefined ? "(not seen)" : String(body).slice(0, 600));

function responseSeen({ method, url, status, headers, body }) {
  counts.responses++;
  const target = `${url.pathname}${url.search}`;
  const { errors, operation } =
    theContract()?.examineResponse({ method, target, status, headers, body }) ?? { errors: [loadError] };
  if (errors.length === 0) return;
  const against = operation ? `operation ${operation}` : "no documented operation";
  failures.push(`${method} ${target} → ${status} ${headers["content-type"] ?? ""} (${against}):\n` +
                `${listed(errors)}\n  body: ${excerpt(body)}`);
  reportFailure({ kind: "response", operation: operation ?? null, method, target, status, errors });
}

// From now on, fetch() answers from `base`'s origin are checked (as the answer to the request's
// method and URL; after a redirect fetch followed, as the GET of where it landed).
export function checkAnswersFrom(base) {
  origins.add(new URL(base).origin);
  if (globalThis.fetch.checksAnswers) return;
  const realFetch = globalThis.fetch;
  const checkedFetch = async (input, init = {}) => {
    const response = await realFetch(input, init);
    const url = new URL(response.url || (input instanceof Request ? input.url : String(input)));
    if (origins.has(url.origin)) {
      const method = response.redirected ? "GET"
                                         : (init.method ?? (input instanceof Request ? input.method : "GET"));
      const body = await response.clone().text();
      responseSeen({ method: method.toUpperCase(), url, status: response.status,
                     headers: Object.fromEntries(response.headers), body });
    }
    return response;
  };
  checkedFetch.checksAnswers = true;
  globalThis.fetch = checkedFetch;
}

// A Playwright page's answers from `base`'s origin. A redirect's body is not available to the
// page: its status and headers are checked.
export function checkBrowserAnswers(page, base) {
  const origin = new URL(base).origin;
  page.on("response", (response) => {
    const url = new URL(response.url());
    if (url.origin !== origin) return;
    const seen = (async () => {
      const headers = await response.allHeaders();
      const body = await response.text().catch(() => undefined);
      responseSeen({ method: response.request().method(), url, status: response.status(), headers, body });
    })().catch((error) => failures.push(`${response.url()}: could not be read to check: ${error.message}`));
    pending.add(seen);
    seen.finally(() => pending.delete(seen));
  });
}

// A delivery a receiver got from supportd: its header fields and raw body.
export function checkDelivery(headers, body) {
  counts.deliveries++;
  const errors = theContract()?.checkDelivery({ headers, body }) ?? [loadError];
  if (errors.length === 0) return;
  failures.push(`delivery ${headers["webhook-id"] ?? ""}:\n${listed(errors)}\n  body: ${excerpt(body)}`);
  reportFailure({ kind: "delivery", operation: null, errors });
}

// Resolves once the checks of a page's answers under way have finished.
export async function checksSettled() {
  while (pending.size > 0) await Promise.all([...pending]);
}

// Throws when anything seen since the last call broke the description (after the checks still
// under way have finished).
export async function expectNoContractFailures() {
  await checksSettled();
  const seen = failures.splice(0);
  if (seen.length > 0) {
    assert.fail(`supportd answered or delivered what proto/ does not document:\n${seen.join("\n")}`);
  }
}
