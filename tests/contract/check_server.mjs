// api_contract.mjs for the C++ tests (tests/support/api_contract.cpp), over stdin and stdout:
// one JSON request per line in, one JSON verdict per line out, in order.
//
//   in:  {"kind":"response","method":"GET","target":"/healthz","status":200,"headers":{…},"body":"…"}
//        {"kind":"delivery","headers":{…},"body":"…"}
//   out: {"errors":[],"operation":"GET /healthz"}
//
// Usage: node check_server.mjs [label]; the label names the process in the tally. At the end of
// input it appends the tally ($SUPPORTD_CONTRACT_TALLY) and exits.
import { createInterface } from "node:readline";
import { appendTally, loadApiContract, reportFailure } from "./api_contract.mjs";

const label = process.argv[2] ?? "c++ test";
let contract;
let loadError;
try {
  contract = loadApiContract();
} catch (error) {
  loadError = `the API description cannot be loaded: ${error.message}`;
}

function verdict(request) {
  if (loadError) return { errors: [loadError], operation: null };
  if (request.kind === "delivery") {
    return { errors: contract.checkDelivery(request), operation: null };
  }
  return contract.examineResponse(request);
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  let answer;
  try {
    const request = JSON.parse(line);
    answer = verdict(request);
    if (answer.errors.length > 0) {
      const { kind = "response", method, target, status } = request;
      reportFailure({ kind, operation: answer.operation, method, target, status, errors: answer.errors });
    }
  } catch (error) {
    answer = { errors: [`the checker could not read the request: ${error.message}`], operation: null };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
});
lines.on("close", () => {
  if (contract) appendTally(contract.counts, label);
});
