// api_contract.mjs for the C++ tests (tests/support/api_contract.cpp), shared by every test
// process of a run: a server on a Unix socket, one connection per test process, one JSON request
// per line in and one JSON verdict per line out, in order.
//
//   in:  {"kind":"response","method":"GET","target":"/healthz","status":200,"headers":{…},"body":"…"}
//        {"kind":"delivery","headers":{…},"body":"…"}
//   out: {"errors":[],"operation":"GET /healthz"}
//
// Usage: node check_server.mjs <socket path> [idle seconds, default 30]
//
// Why one for all: Node takes about half a second of CPU to start and load Ajv and the
// description (0.55 s measured on a 2-core machine), and a run has about a hundred C++ test
// processes (gtest_discover_tests runs each test in its own): with a checker per process each
// test took about 0.5 s longer, some 20 s on the e2e label's 110. The first test process to
// need it starts it; the others connect. It exits when no test has been connected for the idle
// time, and quietly at once when another one already serves the socket (one a killed checker
// left behind is taken over). When a file of the description changes, the next connection gets
// a fresh load. The test processes keep the tally and the report ($SUPPORTD_CONTRACT_TALLY,
// $SUPPORTD_CONTRACT_REPORT).
import { statSync, unlinkSync } from "node:fs";
import net from "node:net";
import { createInterface } from "node:readline";
import { loadApiContract } from "./api_contract.mjs";

const [socketPath, idleSeconds = "30"] = process.argv.slice(2);
if (!socketPath) {
  process.stderr.write("usage: check_server.mjs <socket path> [idle seconds]\n");
  process.exit(2);
}

let contract;
let loadError;
let loadedAt = new Map();  // file → mtime in ms, of every file the contract has read

function changedSinceLoad() {
  for (const [file, mtime] of loadedAt) {
    try {
      if (statSync(file).mtimeMs !== mtime) return true;
    } catch {
      return true;
    }
  }
  return false;
}

function load() {
  try {
    contract = loadApiContract();
    loadError = undefined;
  } catch (error) {
    contract = undefined;
    loadError = `the API description cannot be loaded: ${error.message}`;
  }
  loadedAt = new Map();
}

// Remembers the mtime of each file as the contract reads it (lazily, per operation).
function noteFiles() {
  for (const file of contract?.documents.keys() ?? []) {
    if (!loadedAt.has(file)) {
      try {
        loadedAt.set(file, statSync(file).mtimeMs);
      } catch {
        loadedAt.set(file, -1);
      }
    }
  }
}

function verdict(line) {
  try {
    const request = JSON.parse(line);
    if (loadError) return { errors: [loadError], operation: null };
    const answer = request.kind === "delivery"
      ? { errors: contract.checkDelivery(request), operation: null }
      : contract.examineResponse(request);
    noteFiles();
    return answer;
  } catch (error) {
    return { errors: [`the checker could not read the request: ${error.message}`], operation: null };
  }
}

let connections = 0;
let idleTimer;
let ownSocket;  // the inode of the socket file this one listens on
function idleExit() {
  clearTimeout(idleTimer);
  if (connections > 0) return;
  idleTimer = setTimeout(() => {
    // Another checker may have taken the path over since (see below): remove only our own.
    try {
      if (statSync(socketPath).ino === ownSocket) unlinkSync(socketPath);
    } catch {
      // Already gone.
    }
    // The output file the test process gave it, beside the socket, when nothing went there.
    const log = socketPath.replace(/\.sock$/, ".log");
    try {
      if (log !== socketPath && statSync(log).size === 0) unlinkSync(log);
    } catch {
      // None.
    }
    process.exit(0);
  }, Number(idleSeconds) * 1000);
}

function listening() {
  ownSocket = statSync(socketPath).ino;
  idleExit();
}

function answers(path) {
  return new Promise((resolve) => {
    const probe = net.connect(path);
    probe.on("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.on("error", () => resolve(false));
  });
}

load();
const server = net.createServer((socket) => {
  connections++;
  clearTimeout(idleTimer);
  if (loadError || changedSinceLoad()) load();
  const lines = createInterface({ input: socket, crlfDelay: Infinity });
  lines.on("line", (line) => socket.write(`${JSON.stringify(verdict(line))}\n`));
  socket.on("error", () => socket.destroy());
  socket.on("close", () => {
    connections--;
    idleExit();
  });
});
let retried = false;
server.on("error", async (error) => {
  if (error.code !== "EADDRINUSE" || retried) process.exit(1);
  // Another test process started one first, and it serves: that one answers. Otherwise the
  // file is a killed checker's: take the path over. Two that race here both listen, the
  // second on the path; the first idles out unseen.
  if (await answers(socketPath)) process.exit(0);
  retried = true;
  try {
    unlinkSync(socketPath);
  } catch {
    // Someone else removed it.
  }
  server.listen(socketPath, listening);
});
server.listen(socketPath, listening);
