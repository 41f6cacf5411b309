// The API description lints clean: `redocly lint --config proto/redocly.yaml proto/openapi.yaml`
// with not one error, warning or ignored problem. Redocly exits 0 when there are only warnings,
// so its exit status alone would let them through: this reads its JSON report and fails on any
// problem, naming each with its rule and place. A configuration Redocly does not understand is an
// error too (--lint-config=error), not a note on stderr. Then fixtures show that a warning alone,
// a problem moved to an ignore file, and a broken configuration each fail the check.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const redocly = join(repo, "tests/node_modules/.bin/redocly");
const env = { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" };

function runRedocly(args, cwd) {
  return spawnSync(redocly, args, { cwd, env, encoding: "utf8", timeout: 60_000 });
}

// One line per problem Redocly finds in `root` with `config` (paths relative to `cwd`); empty
// when there is none.
function lintProblems(config, root, cwd) {
  const run = runRedocly(
    ["lint", "--config", config, "--lint-config=error", "--format=json", "--max-problems=10000",
     root],
    cwd,
  );
  let report;
  try {
    report = JSON.parse(run.stdout);
  } catch {
    const why = run.error ?? run.stderr.trim();
    return [`redocly lint gave no report (exit status ${run.status}): ${why}`];
  }
  const problems = report.problems.map((p) => {
    const at = p.location?.[0];
    const place = at ? `${at.source?.ref}:${at.start?.line ?? "?"} ${at.pointer ?? ""}` : "?";
    return `${p.severity} ${p.ruleId}: ${p.message} (${place.trim()})`;
  });
  const { errors, warnings, ignored } = report.totals;
  if (ignored > 0) {
    problems.push(`${ignored} problem(s) hidden by an ignore file (.redocly.lint-ignore.yaml): ` +
                  "fix them, or turn the rule off in the configuration with the reason");
  }
  if (errors + warnings > report.problems.length) {
    problems.push(`${errors} error(s) and ${warnings} warning(s) in all, not all listed`);
  }
  if (problems.length === 0 && run.status !== 0) {
    problems.push(`redocly lint exited ${run.status}: ${run.stderr.trim()}`);
  }
  return problems;
}

test("proto/openapi.yaml lints with proto/redocly.yaml: no error, no warning, nothing ignored", () => {
  const problems = lintProblems("proto/redocly.yaml", "proto/openapi.yaml", repo);
  if (problems.length > 0) assert.fail(`${problems.length} problem(s):\n${problems.join("\n")}`);
});

test("proto/redocly.yaml extends recommended (or stricter) and says why it turns each rule off", () => {
  const text = readFileSync(join(repo, "proto/redocly.yaml"), "utf8");
  const config = parse(text);
  const presets = [config.extends ?? []].flat();
  assert.ok(
    presets.some((p) => p === "recommended" || p === "recommended-strict"),
    `extends ${JSON.stringify(presets)}, not recommended or recommended-strict`,
  );
  const lines = text.split("\n");
  const silent = [];
  for (const [rule, setting] of Object.entries(config.rules ?? {})) {
    const severity = typeof setting === "object" ? setting?.severity : setting;
    if (severity !== "off") continue;
    // The reason: a comment at the end of the rule's line, or on the line(s) just above it.
    const at = lines.findIndex((l) => new RegExp(`^\\s*['"]?${rule}['"]?\\s*:`).test(l));
    const above = at > 0 ? lines[at - 1].trim() : "";
    if (at < 0 || !(/#\s*\S/.test(lines[at]) || /^#\s*\S/.test(above))) silent.push(rule);
  }
  assert.deepEqual(silent, [], `rules turned off with no comment saying why: ${silent.join(", ")}`);
});

// A description Redocly's recommended rules only warn about: no license.
const warnedOnly = `openapi: 3.1.0
info:
  title: Fixture
  version: "1"
  description: A fixture the lint must refuse.
servers:
  - url: https://api.supportd.dev
security: []
paths:
  /things:
    get:
      summary: Things
      operationId: listThings
      description: Lists things.
      responses:
        "200":
          description: The things.
        "404":
          description: None.
`;

test("fixture: a warning alone fails the check, though redocly exits 0", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "supportd-lint-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "openapi.yaml"), warnedOnly);
  writeFileSync(join(dir, "redocly.yaml"), "extends: [recommended]\n");
  const run = runRedocly(["lint", "--config", "redocly.yaml", "openapi.yaml"], dir);
  assert.equal(run.status, 0, `redocly itself now fails on warnings:\n${run.stdout}${run.stderr}`);
  const problems = lintProblems("redocly.yaml", "openapi.yaml", dir);
  assert.deepEqual(problems, [
    "warn info-license: Info object should contain `license` field. (openapi.yaml:2 #/info)",
  ]);
});

test("fixture: a problem moved to an ignore file still fails the check", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "supportd-lint-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "openapi.yaml"), warnedOnly);
  writeFileSync(join(dir, "redocly.yaml"), "extends: [recommended]\n");
  const generate = runRedocly(
    ["lint", "--config", "redocly.yaml", "--generate-ignore-file", "openapi.yaml"], dir);
  assert.equal(generate.status, 0, generate.stderr);
  assert.deepEqual(lintProblems("redocly.yaml", "openapi.yaml", dir), [
    "1 problem(s) hidden by an ignore file (.redocly.lint-ignore.yaml): fix them, or turn the " +
      "rule off in the configuration with the reason",
  ]);
});

test("fixture: a configuration redocly does not understand fails the check", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "supportd-lint-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "openapi.yaml"), warnedOnly.replace('  version: "1"\n',
    '  version: "1"\n  license:\n    name: MIT\n    identifier: MIT\n'));
  writeFileSync(join(dir, "redocly.yaml"), "extends: [recommended]\nrules:\n  info-licence: off\n");
  const problems = lintProblems("redocly.yaml", "openapi.yaml", dir);
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(problems[0], /^redocly lint gave no report \(exit status 2\): .*info-licence/s);
});
