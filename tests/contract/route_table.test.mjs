// The API description (proto/openapi.yaml) and supportd's route tables list the same routes: a
// method and path served but not described, or described but not served, fails and is named.
// supportd lists its own tables (`--print-routes`, from the functions that build each worker's
// router), so there is no copy of them here to drift. Then the same comparison on fixtures, to
// show it fails when a route is missing from either side.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import {
  compareRoutes,
  describedRoutes,
  pathFileName,
  readDescription,
  servedRoutes,
} from "./route_table.mjs";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const description = join(repo, "proto/openapi.yaml");
const binary = process.env.SUPPORTD_BIN ?? join(repo, "build/service/supportd");

test("supportd lists both of its route tables, /healthz in each", () => {
  const served = servedRoutes(binary);
  const table = (name) =>
    served.filter((r) => r.table === name).map((r) => `${r.method} ${r.pattern}`);
  assert.ok(table("public").includes("GET /healthz"), table("public").join("\n"));
  assert.ok(table("public").includes("POST /v1/pledges"), table("public").join("\n"));
  assert.ok(table("ops").includes("GET /healthz"), table("ops").join("\n"));
  assert.ok(table("ops").includes("GET /metrics"), table("ops").join("\n"));
  for (const name of ["public", "ops"]) {
    assert.equal(new Set(table(name)).size, table(name).length, `a route twice in ${name}`);
  }
});

test("every route supportd serves is described in proto/openapi.yaml, and no other", () => {
  noProblems(compareRoutes(servedRoutes(binary), describedRoutes(description), description));
});

test("each path is a $ref to its own file, proto/paths/<path>.yaml, and each such file is one", () => {
  const wrong = [];
  const referenced = new Set();
  for (const [path, item] of Object.entries(readDescription(description).paths ?? {})) {
    const want = pathFileName(path);
    referenced.add(want);
    const ref = item?.$ref?.replace(/^\.\//, "");
    if (ref !== want) wrong.push(`${path}: $ref ${item?.$ref ?? "(none)"}, not ./${want}`);
  }
  const files = existsSync(join(repo, "proto/paths")) ? readdirSync(join(repo, "proto/paths")) : [];
  for (const name of files) {
    const file = join("paths", name);
    if (!referenced.has(file)) {
      wrong.push(`proto/${file}: no path of proto/openapi.yaml refers to it`);
    }
  }
  noProblems(wrong);
});

// Fails listing every problem, one a line.
function noProblems(problems) {
  if (problems.length > 0) assert.fail(`${problems.length} problem(s):\n${problems.join("\n")}`);
}

// A description in a temp dir laid out as the real one: proto/openapi.yaml whose paths are $refs
// to proto/paths/*.yaml, plus whatever `extraPaths` the root holds inline.
function fixture(pathItems, extraPaths = {}) {
  const dir = mkdtempSync(join(tmpdir(), "supportd-routes-"));
  mkdirSync(join(dir, "proto/paths"), { recursive: true });
  const paths = { ...extraPaths };
  for (const [path, item] of Object.entries(pathItems)) {
    writeFileSync(join(dir, "proto", pathFileName(path)), stringify(item));
    paths[path] = { $ref: `./${pathFileName(path)}` };
  }
  const root = join(dir, "proto/openapi.yaml");
  writeFileSync(root, stringify({ openapi: "3.1.0", info: { title: "t", version: "1" }, paths }));
  return { dir, root };
}

const op = { responses: { 200: { description: "ok" } } };

test("fixture: a route on one side only fails, naming it and where it is", (t) => {
  const { dir, root } = fixture(
    { "/a": { summary: "a", get: op, parameters: [] }, "/b/{id}": { get: op, delete: op } },
    { "/c": { post: op } },
  );
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const served = [
    { table: "public", method: "GET", pattern: "/a" },
    { table: "public", method: "GET", pattern: "/b/{id}" },
    { table: "ops", method: "GET", pattern: "/b/{id}" },
    { table: "public", method: "DELETE", pattern: "/b/{id}" },
    { table: "ops", method: "POST", pattern: "/c" },
  ];
  const described = describedRoutes(root);
  assert.deepEqual(compareRoutes(served, described, root), []);

  // Served, not described.
  assert.deepEqual(
    compareRoutes([...served, { table: "ops", method: "PUT", pattern: "/a" }], described, root),
    ["PUT /a: served by supportd (ops table, service/app/server.cpp) but not in proto/openapi.yaml"],
  );
  // Described, not served: in a path file, and inline in the root.
  assert.deepEqual(
    compareRoutes(served.filter((r) => r.method !== "DELETE"), described, root),
    [
      "DELETE /b/{id}: described in proto/paths/b_{id}.yaml but supportd serves no such route " +
        "(service/app/server.cpp's public_routes and ops_routes)",
    ],
  );
  assert.match(compareRoutes(served.slice(0, 4), described, root).join("\n"),
               /^POST \/c: described in proto\/openapi\.yaml but supportd serves no such route/);
  // A placeholder named unlike the code's is a different path; the message says why.
  const renamed = served.map((r) => ({ ...r, pattern: r.pattern.replace("{id}", "{key}") }));
  assert.match(compareRoutes(renamed, described, root).join("\n"),
               /GET \/b\/\{key\}: served .* \(it describes GET \/b\/\{id\}: placeholders must be named/);
});

test("fixture: HEAD is described only where a GET route answers it", (t) => {
  const { dir, root } = fixture({ "/a": { get: op, head: op }, "/c": { post: op, head: op } });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const served = [
    { table: "public", method: "GET", pattern: "/a" },
    { table: "public", method: "POST", pattern: "/c" },
  ];
  assert.deepEqual(compareRoutes(served, describedRoutes(root), root), [
    "HEAD /c: described in proto/paths/c.yaml but supportd serves no such route " +
      "(service/app/server.cpp's public_routes and ops_routes)",
  ]);
});

test("fixture: the real description with one operation taken out, and supportd with one route less", (t) => {
  // Whatever the real comparison finds, each change below adds exactly one problem, naming the
  // route: taken from a copy of proto/ (its path file), or from what supportd is said to serve.
  const dir = mkdtempSync(join(tmpdir(), "supportd-routes-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(repo, "proto"), join(dir, "proto"), { recursive: true });
  const root = join(dir, "proto/openapi.yaml");
  const served = servedRoutes(binary);
  const described = describedRoutes(root);
  const before = new Set(compareRoutes(served, described, root));
  const added = (problems) => problems.filter((p) => !before.has(p));
  const both = served.filter((r) =>
    described.some((d) => d.method === r.method && d.path === r.pattern));
  assert.ok(both.length >= 2, "fewer than two routes both served and described");

  // The description loses one route's operation (from its path file).
  const gone = both[0];
  const file = join(dir, "proto", pathFileName(gone.pattern));
  const item = parse(readFileSync(file, "utf8"));
  delete item[gone.method.toLowerCase()];
  writeFileSync(file, stringify(item));
  const lost = added(compareRoutes(served, describedRoutes(root), root));
  assert.equal(lost.length, 1, lost.join("\n"));
  assert.match(lost[0], new RegExp(`^${gone.method} ${literal(gone.pattern)}: served by supportd ` +
                                   `\\((public|ops|public and ops) tables?, service/app/server\\.cpp\\) ` +
                                   `but not in proto/openapi\\.yaml$`));

  // supportd loses another (from every table) while the description keeps it.
  const last = both.at(-1);
  const fewer = served.filter((r) => r.method !== last.method || r.pattern !== last.pattern);
  assert.deepEqual(added(compareRoutes(fewer, described, root)), [
    `${last.method} ${last.pattern}: described in proto/${pathFileName(last.pattern)} but ` +
      "supportd serves no such route (service/app/server.cpp's public_routes and ops_routes)",
  ]);
});

// `text` as a regular expression that matches it alone.
function literal(text) {
  return text.replaceAll(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
