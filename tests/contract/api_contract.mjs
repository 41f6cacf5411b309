// supportd's API description (proto/openapi.yaml and the files it references) as a checker of
// what the tests see: each response supportd gives and each delivery it sends to a receiver.
//
//   const contract = loadApiContract("proto/openapi.yaml");
//   contract.checkResponse({ method, target, status, headers, body })  // → ["…", …]; [] is good
//   contract.checkDelivery({ headers, body })                          // → ["…", …]
//
// The rules, strict on purpose: what the description does not say, supportd must not send.
// - The operation is found by method and path template (the query is ignored; a literal segment
//   wins over a template one, as OpenAPI 3.1 §4.8.8 says). HEAD without an operation of its own
//   is checked as the GET (RFC 9110 §9.3.2: same status and header fields, no content).
// - No operation (unknown path or method): the answer must be a client error, 4xx, whose body is
//   a Problem (components/schemas/Problem). Malformed requests the tests send on purpose land here.
// - An operation: the status is listed (`default` does not count), the media type (parameters
//   dropped) is listed for it, a JSON body validates against its schema, and every header the
//   response marks `required` is there and valid.
// - Any application/problem+json body carries the response's own status in `status` (RFC 9457
//   §3.1.2).
// - A delivery: the Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature)
//   are there; the body's `type` names proto/events/<type>.json, which the body validates
//   against; the description's `webhooks:` has that event, with the delivery's media type and
//   header parameters.
//
// Validators are compiled on first use per operation, status and media type, and kept: a test
// process pays only for what it sees. External `$ref`s are followed here (a small resolver, not
// a bundler): each referenced schema is given to Ajv once under a URI of its own.
import { appendFileSync, readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { parse as parseYaml } from "yaml";

const methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
// Schema keywords whose values are data, not schemas: never look for `$ref` in them.
const dataKeywords = new Set(["const", "enum", "default", "example", "examples"]);
// Where the referenced schemas live for Ajv; never fetched.
const schemaBase = "https://contract.supportd.invalid/";

function mediaTypeOf(contentType) {
  return String(contentType ?? "").split(";")[0].trim().toLowerCase();
}

function isJson(mediaType) {
  return mediaType === "application/json" || mediaType.endsWith("+json");
}

function decodePointer(pointer) {
  if (pointer === "" || pointer === "/") return pointer === "" ? [] : [""];
  return pointer.slice(1).split("/").map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
}

function formatAjvErrors(errors, what) {
  return (errors ?? []).map((e) => {
    const at = `${what}${e.instancePath}`;
    let detail = e.message;
    if (e.keyword === "additionalProperties") detail += ` (${e.params.additionalProperty})`;
    if (e.keyword === "unevaluatedProperties") detail += ` (${e.params.unevaluatedProperty})`;
    if (e.keyword === "enum") detail += ` (${e.params.allowedValues.map((v) => JSON.stringify(v)).join(", ")})`;
    if (e.keyword === "const") detail += ` (${JSON.stringify(e.params.allowedValue)})`;
    const where = decodeURIComponent(e.schemaPath.replace(schemaBase, ""));
    return `${at}: ${detail} [schema ${where}]`;
  });
}

// "/v1/pledges/{id}/cancel" → a matcher; literal segments count for precedence.
function compileTemplate(template) {
  const segments = template.split("/").slice(1);
  return {
    template,
    literals: segments.filter((s) => !/^\{[^}]+\}$/.test(s)).length,
    matches(path) {
      const have = path.split("/").slice(1);
      if (have.length !== segments.length) return false;
      return segments.every((s, i) => (/^\{[^}]+\}$/.test(s) ? have[i] !== "" : s === have[i]));
    },
  };
}

function lowerCased(headers) {
  return Object.fromEntries(Object.entries(headers).map(
      ([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(", ") : String(v)]));
}

class ApiContract {
  constructor(rootFile) {
    this.rootFile = resolve(rootFile);
    this.dir = dirname(this.rootFile);
    this.documents = new Map();  // absolute file → parsed document
    this.registered = new Map(); // "file#pointer" → the URI Ajv knows the schema by
    this.validators = new Map(); // cache key → compiled validator (or a compile error)
    this.counts = { responses: 0, deliveries: 0 };
    this.warnings = new Set();
    this.ajv = new Ajv2020({
      strict: true,
      // Problem responses narrow the shared Problem as `allOf: [$ref Problem]` beside
      // `properties: {code: …}` or `required: [limit_bytes]` with no `type` or `properties` of
      // their own: sound JSON Schema (the allOf brings them), which these two checks would refuse.
      strictTypes: false,
      strictRequired: false,
      allErrors: true,
      logger: { log() {}, warn: (m) => this.warn(m), error: (m) => this.warn(m) },
    });
    addFormats(this.ajv);
    // OpenAPI 3.1's own schema keywords (§4.8.24) and formats (§4.4) beside JSON Schema's.
    this.ajv.addVocabulary(["discriminator", "xml", "externalDocs", "example"]);
    const int = (bits) => (n) => Number.isInteger(n) && Math.abs(n) <= 2 ** (bits - 1);
    this.ajv.addFormat("int32", { type: "number", validate: int(32) });
    this.ajv.addFormat("int64", { type: "number", validate: int(64) });
    this.ajv.addFormat("float", { type: "number", validate: () => true });
    this.ajv.addFormat("double", { type: "number", validate: () => true });
    this.ajv.addFormat("password", true);
    this.root = this.document(this.rootFile);
    this.routes = Object.keys(this.root.paths ?? {}).map(compileTemplate);
  }

  warn(message) {
    if (!this.warnings.has(message)) {
      this.warnings.add(message);
      process.stderr.write(`api_contract: ${message}\n`);
    }
  }

  document(file) {
    let doc = this.documents.get(file);
    if (doc === undefined) {
      const text = readFileSync(file, "utf8");
      doc = file.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
      this.documents.set(file, doc);
    }
    return doc;
  }

  // A `$ref` as { file, pointer } (its base is `file`).
  target(ref, file) {
    const hash = ref.indexOf("#");
    const path = decodeURIComponent(hash < 0 ? ref : ref.slice(0, hash));
    const pointer = hash < 0 ? "" : decodeURIComponent(ref.slice(hash + 1));
    return { file: path === "" ? file : resolve(dirname(file), path), pointer };
  }

  at(file, pointer) {
    let node = this.document(file);
    for (const key of decodePointer(pointer)) {
      if (node === null || typeof node !== "object" || !(key in node)) {
        throw new Error(`${relative(this.dir, file)}#${pointer}: no such place`);
      }
      node = node[key];
    }
    return node;
  }

  // An OpenAPI object (path item, response, header, parameter, …) with its `$ref`s followed:
  // { value, file }, `file` being where the value was written (its refs' base).
  deref(value, file) {
    for (let hops = 0; value && typeof value === "object" && typeof value.$ref === "string"; hops++) {
      if (hops > 20) throw new Error(`$ref loop at ${value.$ref}`);
      const t = this.target(value.$ref, file);
      value = this.at(t.file, t.pointer);
      file = t.file;
    }
    return { value, file };
  }

  // The URI Ajv knows the schema at file#pointer by; registers it (and what it references) once.
  schemaUri(file, pointer) {
    const key = `${file}#${pointer}`;
    let uri = this.registered.get(key);
    if (uri === undefined) {
      const schema = this.at(file, pointer);
      const own = pointer === "" && typeof schema?.$id === "string" ? schema.$id : undefined;
      uri = own ?? schemaBase + [relative(this.dir, file), ...decodePointer(pointer)]
        .map(encodeURIComponent).join("/");
      this.registered.set(key, uri);
      const copy = this.rewrite(schema, file);
      if (copy && typeof copy === "object" && !own) delete copy.$id;
      if (copy && typeof copy === "object") delete copy.$schema;
      this.ajv.addSchema(copy, uri);
    }
    return uri;
  }

  // A copy of `schema` (written in `file`) whose every `$ref` is an absolute URI Ajv knows.
  rewrite(schema, file) {
    if (Array.isArray(schema)) return schema.map((s) => this.rewrite(s, file));
    if (schema === null || typeof schema !== "object") return schema;
    const out = {};
    for (const [key, value] of Object.entries(schema)) {
      if (key === "$ref" && typeof value === "string" && /^[a-z][a-z0-9+.-]*:/i.test(value)) {
        out.$ref = value;  // already absolute: Ajv knows it, or says it does not
      } else if (key === "$ref" && typeof value === "string") {
        const t = this.target(value, file);
        out.$ref = this.schemaUri(t.file, t.pointer);
      } else if (dataKeywords.has(key)) {
        out[key] = value;
      } else {
        out[key] = this.rewrite(value, file);
      }
    }
    return out;
  }

  // A compiled validator for the schema written at `schema` in `file`, cached under `key`.
  validator(key, schema, file) {
    let v = this.validators.get(key);
    if (v === undefined) {
      try {
        const copy = this.rewrite(schema, file);
        if (copy && typeof copy === "object") delete copy.$id;
        v = this.ajv.compile(copy);
      } catch (error) {
        v = { compileError: `the description's schema does not compile: ${error.message}` };
      }
      this.validators.set(key, v);
    }
    return v;
  }

  validate(key, schema, file, value, what) {
    const v = this.validator(key, schema, file);
    if (v.compileError) return [`${what}: ${v.compileError}`];
    return v(value) ? [] : formatAjvErrors(v.errors, what);
  }

  // The operation for method and request target: { operation, file, template, bodyless } or null.
  operationFor(method, target) {
    const path = String(target ?? "").split("?")[0].split("#")[0];
    let best = null;
    for (const route of this.routes) {
      if (route.matches(path) && (!best || route.literals > best.literals)) best = route;
    }
    if (!best) return null;
    const { value: item, file } = this.deref(this.root.paths[best.template], this.rootFile);
    const m = String(method ?? "").toLowerCase();
    if (methods.includes(m) && item[m]) {
      return { operation: item[m], file, template: best.template, bodyless: m === "head" };
    }
    if (m === "head" && item.get) {
      return { operation: item.get, file, template: best.template, bodyless: true };
    }
    return null;
  }

  checkResponse(response) {
    return this.examineResponse(response).errors;
  }

  // The errors, and the operation they were checked against ("GET /v1/pledges/{id}", or null).
  // `body` undefined: not seen (a browser does not give a redirect's); status and headers only.
  examineResponse({ method, target, status, headers = {}, body }) {
    this.counts.responses++;
    const lower = lowerCased(headers);
    let operation = null;
    try {
      const found = this.operationFor(method, target);
      operation = found ? `${String(method).toUpperCase()} ${found.template}` : null;
      const errors = found ? this.documentedAnswer(found, status, lower, body)
                           : this.undocumentedAnswer(status, lower, body);
      return { operation, errors: errors.concat(this.problemStatus(status, lower, body)) };
    } catch (error) {
      return { operation, errors: [`the description cannot be read: ${error.message}`] };
    }
  }

  // An answer for no documented operation: a 4xx Problem.
  undocumentedAnswer(status, headers, body) {
    const errors = [];
    if (!(status >= 400 && status <= 499)) {
      errors.push(`no operation is documented for this method and path, and ${status} is not a client error (4xx)`);
    }
    const mediaType = mediaTypeOf(headers["content-type"]);
    if (mediaType !== "application/problem+json") {
      errors.push(`no operation is documented for this method and path: the answer must be ` +
                  `application/problem+json, not ${mediaType || "without a Content-Type"}`);
      return errors;
    }
    if (body === undefined || body === null) return errors;
    const parsed = this.parseJson(body);
    if (parsed.error) return errors.concat(parsed.error);
    const schemas = this.root.components?.schemas ?? {};
    if (!schemas.Problem) return errors.concat("the description has no components/schemas/Problem");
    const uri = this.schemaUri(this.rootFile, "/components/schemas/Problem");
    return errors.concat(this.validate("#Problem", { $ref: uri }, this.rootFile, parsed.value, "body"));
  }

  documentedAnswer({ operation, file, template, bodyless }, status, headers, body) {
    const responses = operation.responses ?? {};
    const key = [String(status), `${String(status)[0]}XX`].find((k) => k in responses);
    if (!key) {
      const listed = Object.keys(responses).filter((k) => k !== "default").join(", ");
      return [`status ${status} is not documented for this operation (${template}; listed: ${listed || "none"})`];
    }
    const { value: response, file: responseFile } = this.deref(responses[key], file);
    const errors = [];
    const here = `${template} ${key}`;

    for (const [name, declared] of Object.entries(response.headers ?? {})) {
      if (name.toLowerCase() === "content-type") continue;  // OpenAPI 3.1 §4.8.17.1: ignored
      const { value: header, file: headerFile } = this.deref(declared, responseFile);
      const value = headers[name.toLowerCase()];
      if (value === undefined) {
        if (header.required) errors.push(`header ${name} is required but missing`);
        continue;
      }
      if (header.schema) {
        errors.push(...this.headerErrors(`${headerFile}#${here}#header:${name}`, header.schema,
                                         headerFile, value, name));
      }
    }

    const content = response.content ?? {};
    const mediaType = mediaTypeOf(headers["content-type"]);
    const listed = new Map(Object.keys(content).map((k) => [mediaTypeOf(k), k]));
    const documented = `listed: ${[...listed.keys()].join(", ") || "none"}`;
    if (bodyless || body === undefined || body === null) {
      // A HEAD answer, or a body not seen: the Content-Type it would have had, if any.
      if (mediaType && listed.size > 0 && !this.mediaTypeKey(listed, mediaType)) {
        errors.push(`media type ${mediaType} is not documented for ${here} (${documented})`);
      }
      return errors;
    }
    if (listed.size === 0) {
      if (body.length > 0) {
        errors.push(`${here} documents no content, but the answer has a body` +
                    ` (${mediaType || "no Content-Type"}, ${body.length} bytes)`);
      }
      return errors;
    }
    if (!mediaType) {
      if (body.length === 0) {
        return errors.concat(`${here} documents content (${documented}), but the answer has none`);
      }
      return errors.concat("the answer has a body but no Content-Type");
    }
    const contentKey = this.mediaTypeKey(listed, mediaType);
    if (!contentKey) {
      return errors.concat(`media type ${mediaType} is not documented for ${here} (${documented})`);
    }
    const schema = content[contentKey]?.schema;
    if (!schema) return errors;
    const vkey = `${responseFile}#${here}#${contentKey}`;
    if (isJson(mediaType)) {
      const parsed = this.parseJson(body);
      if (parsed.error) return errors.concat(parsed.error);
      return errors.concat(this.validate(vkey, schema, responseFile, parsed.value, "body"));
    }
    return errors.concat(this.validate(vkey, schema, responseFile, String(body), "body"));
  }

  // A header field's value is text; a schema may call it an integer (Retry-After: 1), so a
  // numeric text passes as either.
  headerErrors(key, schema, file, value, name) {
    const asText = this.validate(key, schema, file, value, `header ${name}`);
    if (asText.length === 0 || !/^-?\d+(\.\d+)?$/.test(value)) return asText;
    return this.validate(key, schema, file, Number(value), `header ${name}`).length === 0 ? [] : asText;
  }

  mediaTypeKey(listed, mediaType) {
    const [type] = mediaType.split("/");
    return listed.get(mediaType) ?? listed.get(`${type}/*`) ?? listed.get("*/*");
  }

  // RFC 9457 §3.1.2: `status` in a problem is the response's own.
  problemStatus(status, headers, body) {
    if (mediaTypeOf(headers["content-type"]) !== "application/problem+json" || !body) return [];
    const parsed = this.parseJson(body);
    if (parsed.error || parsed.value === null || typeof parsed.value !== "object") return [];
    if ("status" in parsed.value && parsed.value.status !== status) {
      return [`body/status: ${JSON.stringify(parsed.value.status)} is not the response's status ${status}`];
    }
    return [];
  }

  parseJson(body) {
    try {
      return { value: JSON.parse(typeof body === "string" ? body : Buffer.from(body).toString("utf8")) };
    } catch (error) {
      return { error: `body: not JSON (${error.message})` };
    }
  }

  checkDelivery({ headers = {}, body = "" }) {
    this.counts.deliveries++;
    const lower = lowerCased(headers);
    const errors = [];
    for (const name of ["webhook-id", "webhook-timestamp", "webhook-signature"]) {
      if (!lower[name]) errors.push(`header ${name} is missing (Standard Webhooks)`);
    }
    const parsed = this.parseJson(body);
    if (parsed.error) return errors.concat(parsed.error);
    const type = parsed.value?.type;
    if (typeof type !== "string" || !/^[A-Za-z0-9_.-]+$/.test(type) || type.startsWith(".")) {
      return errors.concat(`body/type: ${JSON.stringify(type)} does not name an event`);
    }
    try {
      const eventFile = resolve(this.dir, "events", `${type}.json`);
      try {
        this.document(eventFile);
      } catch {
        return errors.concat(`event type ${type} is not documented (no events/${type}.json)`);
      }
      const uri = this.schemaUri(eventFile, "");
      errors.push(...this.validate(`event:${type}`, { $ref: uri }, eventFile, parsed.value, "body"));
      errors.push(...this.webhookEntry(eventFile, type, lower));
    } catch (error) {
      errors.push(`the description cannot be read: ${error.message}`);
    }
    return errors;
  }

  // The `webhooks:` entry whose POST carries events/<type>.json: media type and header parameters.
  webhookEntry(eventFile, type, headers) {
    for (const [name, declared] of Object.entries(this.root.webhooks ?? {})) {
      const { value: item, file } = this.deref(declared, this.rootFile);
      const post = item?.post;
      if (!post?.requestBody) continue;
      const { value: requestBody, file: bodyFile } = this.deref(post.requestBody, file);
      for (const media of Object.values(requestBody.content ?? {})) {
        const ref = media?.schema?.$ref;
        if (typeof ref !== "string") continue;
        const t = this.target(ref, bodyFile);
        if (t.file !== eventFile || t.pointer !== "") continue;
        const errors = [];
        const mediaType = mediaTypeOf(headers["content-type"]);
        const listed = Object.keys(requestBody.content).map(mediaTypeOf);
        if (!listed.includes(mediaType)) {
          errors.push(`webhooks/${name}: media type ${mediaType || "(none)"} is not documented` +
                      ` (listed: ${listed.join(", ")})`);
        }
        for (const p of [...(item.parameters ?? []), ...(post.parameters ?? [])]) {
          const { value: parameter, file: parameterFile } = this.deref(p, file);
          if (parameter.in !== "header") continue;
          const value = headers[String(parameter.name).toLowerCase()];
          if (value === undefined) {
            if (parameter.required) {
              errors.push(`webhooks/${name}: header ${parameter.name} is required but missing`);
            }
          } else if (parameter.schema) {
            errors.push(...this.headerErrors(`webhook:${name}:${parameter.name}`, parameter.schema,
                                             parameterFile, value, parameter.name));
          }
        }
        return errors;
      }
    }
    return [`event type ${type} is not under the description's webhooks:`];
  }
}

export function loadApiContract(rootFile = defaultDescription()) {
  return new ApiContract(rootFile);
}

// The description the tests check against: $SUPPORTD_API_DESCRIPTION, else proto/openapi.yaml.
export function defaultDescription() {
  return process.env.SUPPORTD_API_DESCRIPTION ||
         fileURLToPath(new URL("../../proto/openapi.yaml", import.meta.url));
}

// With $SUPPORTD_CONTRACT_REPORT naming a file, each failed check is appended to it as a JSON
// line ({ kind, operation, method, target, status, errors }): what the description is missing,
// over a whole run, for whoever completes it.
export function reportFailure(entry) {
  const file = process.env.SUPPORTD_CONTRACT_REPORT;
  if (file) appendFileSync(file, `${JSON.stringify(entry)}\n`);
}

// With $SUPPORTD_CONTRACT_TALLY naming a file, one line per test process: how many responses and
// deliveries it checked. tests/run adds them up.
export function appendTally(counts, label) {
  const file = process.env.SUPPORTD_CONTRACT_TALLY;
  if (file && (counts.responses > 0 || counts.deliveries > 0)) {
    appendFileSync(file, `responses=${counts.responses} deliveries=${counts.deliveries} ${label}\n`);
  }
}
