// The two route lists the route-table test compares: what supportd serves, as the binary itself
// lists it from the tables its workers bind (`supportd --print-routes`), and what the API
// description documents (the operations of proto/openapi.yaml's `paths`, each path's Path Item
// read from the file its `$ref` names).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { parse } from "yaml";

// The operation keys of an OpenAPI 3.1 Path Item; everything else in one (summary, parameters,
// servers, x-…) is not a route.
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

// [{ table, method, pattern }] from `supportd --print-routes`, one "TABLE METHOD PATTERN" a line.
// A line of any other shape throws: the listing and this reader must not drift apart quietly.
export function servedRoutes(binary) {
  const out = execFileSync(binary, ["--print-routes"], { encoding: "utf8", timeout: 10_000 });
  return out
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      const m = /^(public|ops) ([A-Z]+) (\/\S*)$/.exec(line);
      if (!m) throw new Error(`supportd --print-routes printed an unexpected line: ${line}`);
      return { table: m[1], method: m[2], pattern: m[3] };
    });
}

// The description's root document, parsed.
export function readDescription(rootPath) {
  return parse(readFileSync(rootPath, "utf8"));
}

// What a `$ref` points at: `file#/json/pointer`, either part optional, relative to `fromFile`.
function resolveRef(ref, fromFile) {
  const [file, pointer = ""] = ref.split("#");
  const target = file === "" ? fromFile : resolve(dirname(fromFile), file);
  let node = parse(readFileSync(target, "utf8"));
  for (const token of pointer.split("/").slice(1)) {
    const key = decodeURIComponent(token).replaceAll("~1", "/").replaceAll("~0", "~");
    if (node === null || typeof node !== "object" || !(key in node)) {
      throw new Error(`${ref} (from ${fromFile}): no ${pointer} in ${target}`);
    }
    node = node[key];
  }
  return { node, file: target };
}

// [{ method, path, file }] for every operation under the description's `paths`, where `file` is
// the file that holds the Path Item (the root itself when it is written inline).
export function describedRoutes(rootPath) {
  const root = readDescription(rootPath);
  const routes = [];
  for (const [path, entry] of Object.entries(root.paths ?? {})) {
    let item = entry ?? {};
    let file = rootPath;
    // A Path Item may be a $ref to another (3.1 keeps the siblings beside it).
    for (let depth = 0; typeof item.$ref === "string"; depth++) {
      if (depth === 5) throw new Error(`${path}: $ref chain longer than 5`);
      const { $ref, ...siblings } = item;
      const target = resolveRef($ref, file);
      item = { ...target.node, ...siblings };
      file = target.file;
    }
    for (const method of METHODS) {
      if (item[method] !== undefined) routes.push({ method: method.toUpperCase(), path, file });
    }
  }
  return routes;
}

// A pattern with its placeholders' names dropped (/v1/pledges/{id} -> /v1/pledges/{}), to tell a
// renamed placeholder from a missing route.
function shape(path) {
  return path.replaceAll(/\{[^}/]*\}/g, "{}");
}

// One line per route found on one side only, naming it and where it is; empty when they agree.
// The router answers HEAD from the GET route of the same pattern (service/http/router.cpp), so a
// described `head` is served where a GET is; supportd has no HEAD route of its own.
export function compareRoutes(served, described, descriptionRoot) {
  const key = (method, path) => `${method} ${path}`;
  const servedKeys = new Map();
  for (const r of served) {
    const k = key(r.method, r.pattern);
    servedKeys.set(k, [...(servedKeys.get(k) ?? []), r.table]);
  }
  const describedKeys = new Map(described.map((r) => [key(r.method, r.path), r]));
  const where = (file) => relative(dirname(dirname(descriptionRoot)), file);
  const problems = [];

  for (const [k, tables] of servedKeys) {
    if (describedKeys.has(k)) continue;
    const [method, pattern] = k.split(" ");
    const near = described.find((d) => d.method === method && shape(d.path) === shape(pattern));
    problems.push(
      `${k}: served by supportd (${tables.join(" and ")} ` +
        `${tables.length > 1 ? "tables" : "table"}, service/app/server.cpp) but ` +
        `not in ${where(descriptionRoot)}` +
        (near
          ? ` (it describes ${near.method} ${near.path}: placeholders must be named as in the code)`
          : ""),
    );
  }
  for (const [k, r] of describedKeys) {
    if (servedKeys.has(k)) continue;
    if (r.method === "HEAD" && servedKeys.has(key("GET", r.path))) continue;
    problems.push(
      `${k}: described in ${where(r.file)} but supportd serves no such route ` +
        `(service/app/server.cpp's public_routes and ops_routes)`,
    );
  }
  return problems;
}

// Where each path's Path Item should live by the description's layout: /v1/pledges/{id}/cancel
// in paths/v1_pledges_{id}_cancel.yaml, next to the root document.
export function pathFileName(path) {
  return join("paths", `${path.slice(1).replaceAll("/", "_")}.yaml`);
}
