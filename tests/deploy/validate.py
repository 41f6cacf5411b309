#!/usr/bin/python3
"""Static checks of deploy/: YAML and JSON parse, Kubernetes manifests are complete and agree
with each other, every metric named in the rules and the dashboard exists (README.md, "Metrics"),
every SUPPORTD_* variable is a real setting (README.md, "Settings"), deploy/local/run serves the
API reference deploy/local/build renders.

Run by tests/deploy/check from the repository root. Prints one line per check, "ok NAME",
"FAIL NAME: why" or "skip NAME: why" (a check that needs a tool this machine lacks), and exits 1
when any failed.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

sys.dont_write_bytecode = True  # no __pycache__ left in the source tree by the import below
import kustomize_subset  # noqa: E402 (after the line above, on purpose)

ROOT = os.getcwd()
DEPLOY = os.path.join(ROOT, "deploy")
K8S = os.path.join(DEPLOY, "kubernetes")
# The binary tells which settings each feature needs (--help) and which Stripe events it
# consumes (--print-stripe-events): the deploy files must agree with it, not with a copy.
SUPPORTD_BIN = os.environ.get("SUPPORTD_BIN") or os.path.join(ROOT, "build", "service", "supportd")

results = []


class Skip(Exception):
    """Raised by a check that cannot run here (a tool is missing); it is reported, not failed."""


def check(name):
    """Decorator: runs the function now; an AssertionError or any exception is a failure."""

    def run(fn):
        try:
            fn()
        except Skip as e:
            results.append((None, name, str(e)))
        except AssertionError as e:
            results.append((False, name, str(e) or "assertion failed"))
        except Exception as e:  # a crash in a check is that check's failure, not the run's
            results.append((False, name, f"{type(e).__name__}: {e}"))
        else:
            results.append((True, name, ""))
        return fn

    return run


def rel(path):
    return os.path.relpath(path, ROOT)


def load_all(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def load_one(path):
    docs = load_all(path)
    assert len(docs) == 1, f"{rel(path)}: expected one YAML document, found {len(docs)}"
    return docs[0]


def readme_section(title):
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    m = re.search(rf"^## {re.escape(title)}\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert m, f'README.md has no "## {title}" section'
    return m.group(1)


def readme_metrics():
    """{name: type} from the README's metrics table; a row may name several metrics of one type
    (`a`, `b` | gauge)."""
    metrics = {}
    for line in readme_section("Metrics").splitlines():
        m = re.match(r"\|((?:\s*`[a-zA-Z_:][a-zA-Z0-9_:]*`\s*,?)+)\|\s*(\w+)\s*\|", line)
        if m:
            for name in re.findall(r"`([a-zA-Z_:][a-zA-Z0-9_:]*)`", m.group(1)):
                metrics[name] = m.group(2)
    assert metrics, "no metrics found in README.md's Metrics table"
    return metrics


def readme_setting_variables():
    """SUPPORTD_* names of every flag in the README's settings table."""
    names = set()
    for line in readme_section("Settings").splitlines():
        if not line.startswith("|"):
            continue
        first_cell = line.split("|")[1]
        for flag in re.findall(r"`--([a-z0-9-]+)`", first_cell):
            names.add("SUPPORTD_" + flag.upper().replace("-", "_"))
    assert names, "no flags found in README.md's Settings table"
    return names


def series_names(expr):
    """Metric names an expression selects: identifiers outside strings, brackets and label
    matchers that are not PromQL keywords or functions (those are followed by '(' or are known)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # string literals
    text = re.sub(r"\[[^\]]*\]", "", text)  # range and subquery durations
    text = re.sub(r"\{[^}]*\}", "{}", text)  # label matchers
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    keywords = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left",
                "group_right", "offset", "bool", "inf", "nan"}
    names = set()
    for m in re.finditer(r"(?<![\w:.$])([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?", text):
        name, call = m.group(1), m.group(2)
        if call or name.lower() in keywords:
            continue
        names.add(name)
    return names


def known_series(metrics):
    names = {"up"}
    for name, kind in metrics.items():
        names.add(name)
        if kind == "histogram":
            names.update({name + "_bucket", name + "_sum", name + "_count"})
    return names


# --- YAML everywhere -------------------------------------------------------------------------

yaml_files = sorted(
    os.path.join(d, f)
    for d, _, files in os.walk(DEPLOY)
    for f in files
    if f.endswith((".yml", ".yaml")))

for path in yaml_files:

    @check(f"YAML parses: {rel(path)}")
    def _(path=path):
        assert load_all(path), f"{rel(path)} holds no document"


# --- Kubernetes ------------------------------------------------------------------------------

API_VERSIONS = {
    "Namespace": "v1", "ServiceAccount": "v1", "ConfigMap": "v1", "Secret": "v1",
    "Service": "v1", "Deployment": "apps/v1", "StatefulSet": "apps/v1",
    "HorizontalPodAutoscaler": "autoscaling/v2", "PodDisruptionBudget": "policy/v1",
    "NetworkPolicy": "networking.k8s.io/v1", "ServiceMonitor": "monitoring.coreos.com/v1",
    "PrometheusRule": "monitoring.coreos.com/v1", "PodMonitor": "monitoring.coreos.com/v1",
}

manifest_files = sorted(p for p in yaml_files
                        if p.startswith(K8S + os.sep) and os.path.basename(p) != "kustomization.yaml")
manifests = []  # (path, document)
for path in manifest_files:
    try:
        manifests.extend((path, d) for d in load_all(path))
    except Exception:
        pass  # reported by the YAML check

for path in manifest_files:

    @check(f"Kubernetes manifest has apiVersion, kind, metadata.name: {rel(path)}")
    def _(path=path):
        docs = [d for p, d in manifests if p == path]
        assert docs, "no documents"
        for d in docs:
            assert isinstance(d, dict), "a document is not a mapping"
            assert d.get("apiVersion"), "missing apiVersion"
            assert d.get("kind"), "missing kind"
            assert (d.get("metadata") or {}).get("name"), f"{d['kind']} without metadata.name"
            want = API_VERSIONS.get(d["kind"])
            assert want is None or d["apiVersion"] == want, \
                f"{d['kind']} should be {want}, is {d['apiVersion']}"


def find(kind, name=None, docs=None):
    """The first document of `kind` (and `name`) in `docs`, by default deploy/kubernetes's."""
    docs = [d for _, d in manifests] if docs is None else docs
    found = [d for d in docs
             if d.get("kind") == kind and (name is None or d["metadata"]["name"] == name)]
    assert found, f"no {kind}{' ' + name if name else ''} in deploy/kubernetes"
    return found[0]


def matches(selector, labels):
    return all(labels.get(k) == v for k, v in (selector or {}).items())


def pod_spec(workload):
    return workload["spec"]["template"]["spec"]


def container(workload, name):
    for c in pod_spec(workload)["containers"]:
        if c["name"] == name:
            return c
    raise AssertionError(f"no container {name}")


def duration_seconds(text):
    m = re.fullmatch(r"(\d+)(ms|s|m|h)?", text)
    assert m, f"bad duration {text!r}"
    return int(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[m.group(2)]


def pod_env(workload, docs=None):
    """SUPPORTD_* values a pod gets: its ConfigMaps through envFrom, then env (literal values,
    or '<secret>' for secretKeyRef)."""
    env = {}
    c = pod_spec(workload)["containers"][0]
    for source in c.get("envFrom", []):
        if "configMapRef" in source:
            env.update(find("ConfigMap", source["configMapRef"]["name"], docs)["data"])
    for e in c.get("env", []):
        env[e["name"]] = e.get("value", "<secret>")
    return env


@check("kustomization.yaml lists every manifest (secret.example.yaml excepted), and they exist")
def _():
    k = load_one(os.path.join(K8S, "kustomization.yaml"))
    assert k.get("kind") == "Kustomization", "kind is not Kustomization"
    listed = {os.path.normpath(os.path.join(K8S, r)) for r in k["resources"]}
    missing = [rel(p) for p in listed if not os.path.isfile(p)]
    assert not missing, f"listed but missing: {missing}"
    expected = {p for p in manifest_files if os.path.basename(p) != "secret.example.yaml"}
    unlisted = sorted(rel(p) for p in expected - listed)
    assert not unlisted, f"not listed: {unlisted}"
    assert os.path.join(K8S, "secret.example.yaml") not in listed, \
        "secret.example.yaml must not be applied: its token is a placeholder"


@check("Deployment: probes /healthz (startup, liveness) and /readyz (readiness) on the ops port")
def _():
    d = find("Deployment", "supportd")
    c = container(d, "supportd")
    port_names = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert {"http", "ops"} <= port_names.keys(), f"container ports are {sorted(port_names)}"
    for probe, path in (("startupProbe", "/healthz"), ("livenessProbe", "/healthz"),
                        ("readinessProbe", "/readyz")):
        assert probe in c, f"no {probe}"
        get = c[probe].get("httpGet") or {}
        assert get.get("path") == path, f"{probe} path is {get.get('path')}, not {path}"
        port = get.get("port")
        assert port in ("ops", port_names["ops"]), f"{probe} port {port} is not the ops port"
    env = pod_env(d)
    for name, port in (("SUPPORTD_LISTEN_HTTP", "http"), ("SUPPORTD_LISTEN_OPS", "ops")):
        listen = env.get(name, "")
        assert listen == f"0.0.0.0:{port_names[port]}", \
            f"{name}={listen!r} is not 0.0.0.0 and the container port {port} ({port_names[port]})"


@check("Deployment: runAsNonRoot, readOnlyRootFilesystem, no privilege escalation, caps dropped")
def _():
    d = find("Deployment", "supportd")
    pod = pod_spec(d).get("securityContext", {})
    for c in pod_spec(d)["containers"]:
        sc = c.get("securityContext", {})
        assert sc.get("runAsNonRoot", pod.get("runAsNonRoot")) is True, "runAsNonRoot is not true"
        assert sc.get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem is not true"
        assert sc.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation is not false"
        assert "ALL" in sc.get("capabilities", {}).get("drop", []), "capabilities not dropped"
        uid = sc.get("runAsUser", pod.get("runAsUser"))
        assert uid not in (None, 0), "runAsUser must be a non-zero uid"
        res = c.get("resources", {})
        assert res.get("requests") and res.get("limits"), "resources need requests and limits"
    assert pod_spec(d).get("automountServiceAccountToken") is False, "service account token mounted"
    assert pod_spec(d).get("enableServiceLinks") is False, \
        "enableServiceLinks must be false: Service links would add SUPPORTD_* variables"


@check("Deployment: grace period longer than preStop sleep + drain timeout")
def _():
    d = find("Deployment", "supportd")
    grace = pod_spec(d)["terminationGracePeriodSeconds"]
    drain = duration_seconds(pod_env(d).get("SUPPORTD_DRAIN_TIMEOUT", "10s"))
    c = container(d, "supportd")
    command = c.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
    sleep = int(command[1]) if command[:1] == ["sleep"] else 0
    assert grace > sleep + drain, f"terminationGracePeriodSeconds {grace} <= {sleep} + {drain}"


@check("Deployment: secrets are files from the Secret (read-only mount), named by *_FILE settings")
def _():
    d = find("Deployment", "supportd")
    c = container(d, "supportd")
    env = {e["name"]: e for e in c.get("env", [])}
    files = {k: e["value"] for k, e in env.items() if k.endswith("_FILE") and "value" in e}
    assert files.get("SUPPORTD_ADMIN_TOKEN_FILE") == "/etc/supportd/secrets/admin-token", \
        "SUPPORTD_ADMIN_TOKEN_FILE is not /etc/supportd/secrets/admin-token"
    for name, path in files.items():
        mount = next((m for m in c["volumeMounts"]
                      if path.startswith(m["mountPath"].rstrip("/") + "/")), None)
        assert mount and mount.get("readOnly") is True, f"{name}: no read-only mount holds {path}"
        volume = next(v for v in pod_spec(d)["volumes"] if v["name"] == mount["name"])
        secret = volume.get("secret")
        assert secret, f"{name}: {path} is not on a Secret volume"
        items = {i["path"]: i["key"] for i in secret.get("items", [])}
        key = items.get(os.path.relpath(path, mount["mountPath"]))
        assert key, f"{name}: no Secret key is mounted at {path}"
        example = find("Secret", secret["secretName"])
        assert key in example.get("stringData", {}), f"secret.example.yaml lacks {key}"
    for e in env.values():
        ref = e.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            example = find("Secret", ref["name"])
            assert ref["key"] in example.get("stringData", {}), \
                f"{e['name']} refers to a key the example Secret does not document"


@check("Deployment: reminders complete (data keys + link secret; notify URL + secret + public "
       "URL; lease > notify timeout), their secrets read-only and not world-readable")
def _():
    d = find("Deployment", "supportd")
    env = pod_env(d)
    assert "SUPPORTD_DATA_KEY_FILE" in env, "SUPPORTD_DATA_KEY_FILE is not set: reminders are off"
    assert "SUPPORTD_LINK_SECRET_FILE" in env, "SUPPORTD_DATA_KEY_FILE needs SUPPORTD_LINK_SECRET_FILE"
    if env.get("SUPPORTD_NOTIFY_URL"):
        for name in ("SUPPORTD_NOTIFY_SECRET_FILE", "SUPPORTD_PUBLIC_URL"):
            assert env.get(name), f"SUPPORTD_NOTIFY_URL needs {name}"
    lease = duration_seconds(env.get("SUPPORTD_REMINDER_LEASE", "60s"))
    timeout = duration_seconds(env.get("SUPPORTD_NOTIFY_TIMEOUT", "15s"))
    assert lease > timeout, f"SUPPORTD_REMINDER_LEASE {lease} s <= SUPPORTD_NOTIFY_TIMEOUT {timeout} s"
    c = container(d, "supportd")
    for name in ("SUPPORTD_DATA_KEY_FILE", "SUPPORTD_NOTIFY_SECRET_FILE"):
        path = env.get(name, "")
        mount = next((m for m in c["volumeMounts"]
                      if path.startswith(m["mountPath"].rstrip("/") + "/")), None)
        assert mount and mount.get("readOnly") is True, f"{name}: no read-only mount holds {path!r}"
        volume = next(v for v in pod_spec(d)["volumes"] if v["name"] == mount["name"])
        secret = volume.get("secret")
        assert secret, f"{name}: {path} is not on a Secret volume"
        item = next((i for i in secret.get("items", [])
                     if i["path"] == os.path.relpath(path, mount["mountPath"])), {})
        mode = item.get("mode", secret.get("defaultMode", 0o644))
        assert mode & 0o007 == 0, f"{name}: {path} has mode {mode:o}, readable by any user"


@check("Service, HPA, PDB, ServiceMonitor and NetworkPolicies select the right pods and ports")
def _():
    d = find("Deployment", "supportd")
    pod_labels = d["spec"]["template"]["metadata"]["labels"]
    assert matches(d["spec"]["selector"]["matchLabels"], pod_labels), "Deployment selector"
    svc = find("Service", "supportd")
    assert matches(svc["spec"]["selector"], pod_labels), "Service selects no supportd pod"
    port_names = {p["name"] for p in container(d, "supportd")["ports"]}
    for p in svc["spec"]["ports"]:
        assert p["targetPort"] in port_names, f"Service targetPort {p['targetPort']}"
    hpa = find("HorizontalPodAutoscaler", "supportd")
    ref = hpa["spec"]["scaleTargetRef"]
    assert (ref["kind"], ref["name"]) == ("Deployment", "supportd"), "HPA target"
    assert hpa["spec"]["minReplicas"] >= 2, "HPA minReplicas below 2"
    pdb = find("PodDisruptionBudget", "supportd")
    assert matches(pdb["spec"]["selector"]["matchLabels"], pod_labels), "PDB selector"
    pm = find("PodMonitor", "supportd")
    assert matches(pm["spec"]["selector"]["matchLabels"], pod_labels), "PodMonitor selects no pod"
    assert pod_labels.get(pm["spec"].get("jobLabel")) == "supportd", \
        "PodMonitor's jobLabel must name a pod label whose value is supportd (the rules' job)"
    for e in pm["spec"]["podMetricsEndpoints"]:
        assert e["port"] == "ops" and e.get("path", "/metrics") == "/metrics", \
            "PodMonitor must scrape /metrics on the ops port"
    redis = find("StatefulSet", "supportd-redis")
    redis_labels = redis["spec"]["template"]["metadata"]["labels"]
    assert not matches(svc["spec"]["selector"], redis_labels), "the supportd Service selects Redis"
    assert matches(find("Service", "supportd-redis")["spec"]["selector"], redis_labels), \
        "Service supportd-redis selects no Redis pod"
    np = find("NetworkPolicy", "supportd")
    assert matches(np["spec"]["podSelector"]["matchLabels"], pod_labels), "NetworkPolicy supportd"
    egress_to = [t.get("podSelector", {}).get("matchLabels")
                 for rule in np["spec"]["egress"] for t in rule.get("to", [])]
    assert any(s and matches(s, redis_labels) for s in egress_to), "supportd may not reach Redis"
    https_out = [p for rule in np["spec"]["egress"] for p in rule.get("ports", [])
                 if p.get("port") == 443 and p.get("protocol", "TCP") == "TCP"]
    assert https_out, "supportd may not reach Stripe (TCP 443 out)"
    rnp = find("NetworkPolicy", "supportd-redis")
    assert matches(rnp["spec"]["podSelector"]["matchLabels"], redis_labels), "NetworkPolicy redis"
    sources = [f.get("podSelector", {}).get("matchLabels")
               for rule in rnp["spec"]["ingress"] for f in rule["from"]]
    assert any(s and matches(s, pod_labels) for s in sources), "Redis does not admit supportd"


@check("Redis (Kubernetes): appendonly yes, appendfsync always, noeviction, on a volume")
def _():
    redis = find("StatefulSet", "supportd-redis")
    c = container(redis, "redis")
    args = " ".join(c.get("command", []) + c.get("args", []))
    for want in ("--appendonly yes", "--appendfsync always", "--maxmemory-policy noeviction"):
        assert want in args, f"redis arguments lack {want}"
    mounts = {m["mountPath"] for m in c["volumeMounts"]}
    assert "/data" in mounts and redis["spec"].get("volumeClaimTemplates"), "no persistent /data"
    assert c["securityContext"].get("readOnlyRootFilesystem") is True
    assert pod_spec(redis)["securityContext"].get("runAsNonRoot") is True


@check("PrometheusRule carries exactly the groups of deploy/prometheus/rules.yml")
def _():
    rule = find("PrometheusRule", "supportd")
    rules = load_one(os.path.join(DEPLOY, "prometheus", "rules.yml"))
    assert rule["spec"]["groups"] == rules["groups"], \
        "they differ: regenerate prometheusrule.yaml (the command is in its header)"


@check("Kubernetes: the ops port is reached by Prometheus only; the Service carries the public port")
def _():
    d = find("Deployment", "supportd")
    port_names = {p["name"]: p["containerPort"] for p in container(d, "supportd")["ports"]}
    ops = port_names["ops"]
    for _, svc in manifests:
        if svc.get("kind") != "Service":
            continue
        for p in svc["spec"].get("ports", []):
            assert p.get("targetPort") not in ("ops", ops) and p.get("port") != ops, \
                f"Service {svc['metadata']['name']} exposes the ops port"
    np = find("NetworkPolicy", "supportd")
    admitted = {}  # port -> the namespaces admitted to it
    for rule in np["spec"]["ingress"]:
        assert rule.get("from"), "an ingress rule admits every source"
        namespaces = {f.get("namespaceSelector", {}).get("matchLabels", {})
                      .get("kubernetes.io/metadata.name") for f in rule["from"]}
        for p in rule.get("ports", []):
            admitted.setdefault(p["port"], set()).update(namespaces)
    assert admitted.get(ops) == {"monitoring"}, \
        f"the ops port {ops} is admitted from {admitted.get(ops)}, not the monitoring namespace only"
    assert "monitoring" not in admitted.get(port_names["http"], set()), \
        "monitoring needs no access to the public port"


@check("Redis: an exact image version (the same in Kubernetes and Compose), a headless Service")
def _():
    redis = find("StatefulSet", "supportd-redis")
    image = container(redis, "redis")["image"]
    assert re.fullmatch(r"redis:\d+\.\d+\.\d+(-\w+)?", image), f"{image} is not an exact version"
    compose = load_one(os.path.join(DEPLOY, "docker-compose.yml"))
    assert compose["services"]["redis"]["image"] == image, \
        f"compose runs {compose['services']['redis']['image']}, Kubernetes {image}"
    governing = find("Service", redis["spec"]["serviceName"])
    assert governing["spec"].get("clusterIP") == "None", \
        f"the StatefulSet's serviceName {governing['metadata']['name']} is not headless"
    assert matches(governing["spec"]["selector"], redis["spec"]["template"]["metadata"]["labels"]), \
        "the headless Service selects no Redis pod"


# --- Features: every target sets every setting the binary says a feature needs ---------------

def supportd_output(*args):
    assert os.access(SUPPORTD_BIN, os.X_OK), \
        f"{SUPPORTD_BIN} is not built: build it, or point SUPPORTD_BIN at it"
    run = subprocess.run([SUPPORTD_BIN, *args], capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, f"supportd {' '.join(args)}: {run.stderr.strip()}"
    return run.stdout


def environment_name(flag):
    return "SUPPORTD_" + flag.upper().replace("-", "_")


def feature_settings():
    """{feature: [SUPPORTD_* names]} from the table at the end of `supportd --help`."""
    text = supportd_output("--help")
    m = re.search(r"^Features and the settings each needs.*\n((?:  [^:\n]+:.*\n?)+)", text, re.M)
    assert m, "supportd --help has no 'Features and the settings each needs' table"
    features = {}
    for line in m.group(1).splitlines():
        feature, flags = line.strip().split(":", 1)
        features[feature] = [environment_name(f) for f in re.findall(r"--([a-z0-9-]+)", flags)]
    assert {"pledges", SENTINEL_FEATURE} <= features.keys(), \
        f"supportd --help's feature table has {sorted(features)}"
    return features


# Features made of --redis-* settings say how supportd reaches its Redis, which differs between
# targets: a target sets all of such a feature's settings or none. Every other feature (pledges,
# reminders, admin) is complete in every target. The Sentinel variants must use Sentinel.
SENTINEL_FEATURE = "Redis Sentinel settings"


def connection_feature(names):
    return all(n.startswith("SUPPORTD_REDIS_") for n in names)


def help_flags():
    """Every SUPPORTD_* name of a flag `supportd --help` lists."""
    return {environment_name(f) for f in re.findall(r"^\s+--([a-z0-9-]+)", supportd_output("--help"),
                                                    re.M)}


def compose_supportd_env(path=None):
    compose = load_one(path or os.path.join(DEPLOY, "docker-compose.yml"))
    env = compose["services"]["supportd"].get("environment") or {}
    return env if isinstance(env, dict) else dict(e.split("=", 1) for e in env)


def missing_settings(configured, required=()):
    """'feature lacks NAME, ...' for each feature whose settings `configured` lacks or leaves
    empty: every feature that is not a Redis connection's, those in `required`, and a connection
    feature of which some settings are set ("half-configured")."""
    gaps = []
    for feature, names in feature_settings().items():
        lacking = [n for n in names if not str(configured.get(n, "")).strip()]
        if not lacking:
            continue
        if not connection_feature(names) or feature in required:
            gaps.append(f"{feature} lacks {', '.join(lacking)}")
        elif len(lacking) < len(names):
            gaps.append(f"{feature} are half-configured: {feature} lacks {', '.join(lacking)}")
    return gaps


def unknown_flags(configured):
    known = help_flags()
    return sorted(n for n in configured if n.startswith("SUPPORTD_") and n not in known)


@check("Kubernetes sets every setting each feature needs (supportd --help)")
def _():
    gaps = missing_settings(pod_env(find("Deployment", "supportd")))
    assert not gaps, "; ".join(gaps)


def compose_secret_problems(path):
    """Why supportd's *_FILE settings in a Compose file are not secrets it mounts and defines."""
    compose = load_one(path)
    mounted = {}  # the file name under /run/secrets/ -> the secret
    for entry in compose["services"]["supportd"].get("secrets", []):
        if isinstance(entry, str):
            mounted[entry] = entry
        else:
            mounted[entry.get("target") or entry["source"]] = entry["source"]
    defined = compose.get("secrets", {})
    problems = []
    for name, value in compose_supportd_env(path).items():
        if name.endswith("_FILE") and value:
            secret = mounted.get(str(value).removeprefix("/run/secrets/"))
            if not str(value).startswith("/run/secrets/") or not secret:
                problems.append(f"{name}={value} is not a secret mounted into supportd")
            elif not (defined.get(secret) or {}).get("file"):
                problems.append(f"secret {secret} is not defined")
    return problems


@check("Compose sets every setting each feature needs (supportd --help), secrets as its files")
def _():
    gaps = missing_settings(compose_supportd_env())
    assert not gaps, "; ".join(gaps)
    problems = compose_secret_problems(os.path.join(DEPLOY, "docker-compose.yml"))
    assert not problems, "; ".join(problems)


@check("The runbook names every setting each feature needs (supportd --help)")
def _():
    text = open(os.path.join(DEPLOY, "README.md"), encoding="utf-8").read()
    lacking = [n for names in feature_settings().values() for n in names if n not in text]
    assert not lacking, f"deploy/README.md does not mention {lacking}"


@check("The runbook lists exactly the Stripe events supportd consumes (--print-stripe-events)")
def _():
    text = open(os.path.join(DEPLOY, "README.md"), encoding="utf-8").read()
    m = re.search(r"<!-- stripe-events -->\s*```\w*\n(.*?)```", text, re.S)
    assert m, "deploy/README.md has no <!-- stripe-events --> code block"
    listed = m.group(1).split()
    consumed = supportd_output("--print-stripe-events").split()
    assert consumed, "supportd --print-stripe-events printed nothing"
    assert listed == consumed, f"the runbook lists {listed}, supportd consumes {consumed}"


# --- Settings --------------------------------------------------------------------------------

def healthcheck_command(dockerfile_text):
    """The shell command of the Dockerfile's exec-form HEALTHCHECK (CMD ["bash", "-c", "…"])."""
    m = re.search(r"^HEALTHCHECK.*?CMD\s+(\[.*\])\s*$", dockerfile_text, re.M)
    assert m, "no exec-form HEALTHCHECK"
    argv = json.loads(m.group(1))
    assert argv[:2] == ["bash", "-c"], f"HEALTHCHECK runs {argv[:2]}, not bash -c"
    return argv[2]


def dockerfile_env(path):
    text = open(path, encoding="utf-8").read().replace("\\\n", " ")
    env = {}
    for line in text.splitlines():
        if line.strip().startswith("ENV "):
            for m in re.finditer(r"([A-Z_][A-Z0-9_]*)=(\S*)", line):
                env[m.group(1)] = m.group(2)
    return env


@check("every SUPPORTD_* variable set in deploy/ is a setting in README.md")
def _():
    known = readme_setting_variables()
    used = {}
    for _, d in manifests:
        if d.get("kind") == "ConfigMap":
            used.update({k: "configmap.yaml" for k in d.get("data", {})})
        if d.get("kind") in ("Deployment", "StatefulSet"):
            for c in pod_spec(d)["containers"]:
                used.update({e["name"]: d["metadata"]["name"] for e in c.get("env", [])})
    compose = load_one(os.path.join(DEPLOY, "docker-compose.yml"))
    for name, service in compose["services"].items():
        env = service.get("environment") or {}
        names = env.keys() if isinstance(env, dict) else [e.split("=", 1)[0] for e in env]
        used.update({k: f"compose {name}" for k in names})
    used.update({k: "Dockerfile" for k in dockerfile_env(os.path.join(DEPLOY, "Dockerfile"))})
    unknown = sorted(f"{k} ({where})" for k, where in used.items()
                     if k.startswith("SUPPORTD_") and k not in known)
    assert not unknown, f"not settings: {unknown}"
    assert any(k.startswith("SUPPORTD_") for k in used), "no SUPPORTD_* variable found at all"


@check("Kubernetes, Compose and the image set only settings `supportd --help` lists")
def _():
    targets = {"Kubernetes": pod_env(find("Deployment", "supportd")),
               "Compose": compose_supportd_env(),
               "Dockerfile": dockerfile_env(os.path.join(DEPLOY, "Dockerfile"))}
    bad = [f"{where}: {', '.join(unknown_flags(env))}" for where, env in targets.items()
           if unknown_flags(env)]
    assert not bad, "not flags of supportd: " + "; ".join(bad)


# --- Docker ----------------------------------------------------------------------------------

@check("Dockerfile: sources exist, tests off, HTTP and ops ports exposed, HEALTHCHECK on the ops "
       "port without curl, non-root user")
def _():
    path = os.path.join(DEPLOY, "Dockerfile")
    text = open(path, encoding="utf-8").read()
    joined = text.replace("\\\n", " ")
    stages = re.findall(r"^FROM\s+(\S+)", text, re.M)
    assert stages[:1] == ["debian:bookworm"] and stages[-1] == "debian:bookworm-slim", \
        f"stages are {stages}"
    for src in re.findall(r"^COPY\s+(?!--from)(\S+)", text, re.M):
        assert os.path.exists(os.path.join(ROOT, src)), f"COPY source {src} is not in the repository"
    assert "-DSUPPORTD_TESTS=OFF" in joined, "tests are not turned off"
    service_cmake = open(os.path.join(ROOT, "service", "CMakeLists.txt"), encoding="utf-8").read()
    assert re.search(r"add_executable\(supportd\b", service_cmake), "no supportd target in service/"
    assert "build/service/supportd" in text, "binary path is not build/service/supportd"
    env = dockerfile_env(path)
    ports = []
    for name in ("SUPPORTD_LISTEN_HTTP", "SUPPORTD_LISTEN_OPS"):
        listen = env.get(name, "")
        assert listen.startswith("0.0.0.0:"), f"{name}={listen!r}"
        ports.append(listen.rsplit(":", 1)[1])
    assert env.get("SUPPORTD_LISTEN_HTTPS") == "", "SUPPORTD_LISTEN_HTTPS should be empty"
    exposed = re.search(r"^EXPOSE\s+(.*)$", text, re.M)
    assert exposed and set(ports) <= set(exposed.group(1).split()), f"EXPOSE {ports} missing"
    runtime = joined.split(" AS runtime", 1)[1]
    installs = " ".join(re.findall(r"apt-get install[^&]*", runtime))
    assert not re.search(r"\bcurl\b", installs), "the runtime image installs curl"
    health = healthcheck_command(joined)
    assert f"/dev/tcp/127.0.0.1/{ports[1]}" in health and "/healthz" in health, \
        f"HEALTHCHECK does not ask the ops port {ports[1]} for /healthz"
    user = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert user and user[-1].split(":")[0] not in ("0", "root"), "runs as root"
    ignore = os.path.join(DEPLOY, "Dockerfile.dockerignore")
    assert os.path.isfile(ignore), "deploy/Dockerfile.dockerignore missing"


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@check("The image's and Compose's health checks pass against a running supportd, fail without one")
def _():
    dockerfile = open(os.path.join(DEPLOY, "Dockerfile"), encoding="utf-8").read()
    ops_port = dockerfile_env(os.path.join(DEPLOY, "Dockerfile"))["SUPPORTD_LISTEN_OPS"].rsplit(":", 1)[1]
    compose = load_one(os.path.join(DEPLOY, "docker-compose.yml"))
    commands = {"Dockerfile": healthcheck_command(dockerfile.replace("\\\n", " ")),
                "compose": compose["services"]["supportd"]["healthcheck"]["test"][-1]}
    port = str(free_port())
    local = {k: c.replace(f"/dev/tcp/127.0.0.1/{ops_port}", f"/dev/tcp/127.0.0.1/{port}")
             for k, c in commands.items()}

    def healthy(command):
        return subprocess.run(["bash", "-c", command], capture_output=True, timeout=5).returncode == 0

    for where, command in local.items():
        assert not healthy(command), f"{where}'s health check passes with nothing listening"
    assert os.access(SUPPORTD_BIN, os.X_OK), f"{SUPPORTD_BIN} is not built"
    # No Redis is needed for /healthz: point at a port nothing listens on.
    server = subprocess.Popen([SUPPORTD_BIN, "--listen-https=", "--listen-http=127.0.0.1:0",
                               f"--listen-ops=127.0.0.1:{port}", "--threads=1",
                               f"--redis-url=redis://127.0.0.1:{free_port()}/0"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not healthy(local["Dockerfile"]) and time.monotonic() < deadline:
            time.sleep(0.1)
        for where, command in local.items():
            assert healthy(command), f"{where}'s health check fails against a serving supportd"
    finally:
        server.terminate()
        server.wait(timeout=15)


# --- Compose ---------------------------------------------------------------------------------

@check("docker-compose.yml: services supportd, redis, prometheus, grafana, wired together")
def _():
    compose = load_one(os.path.join(DEPLOY, "docker-compose.yml"))
    services = compose["services"]
    missing = {"supportd", "redis", "prometheus", "grafana"} - services.keys()
    assert not missing, f"missing services: {sorted(missing)}"
    build = services["supportd"]["build"]
    context = os.path.normpath(os.path.join(DEPLOY, build["context"]))
    assert context == ROOT, "supportd's build context is not the repository root"
    assert os.path.isfile(os.path.join(context, build["dockerfile"])), "its dockerfile is missing"
    env = services["supportd"]["environment"]
    assert env["SUPPORTD_REDIS_URL"].startswith("redis://redis:"), "supportd does not use redis"
    redis_cmd = services["redis"]["command"]
    redis_cmd = " ".join(redis_cmd) if isinstance(redis_cmd, list) else redis_cmd
    for want in ("--appendonly yes", "--appendfsync always"):
        assert want in redis_cmd, f"redis command lacks {want}"
    assert services["prometheus"]["image"].startswith("prom/prometheus")
    assert services["grafana"]["image"].startswith("grafana/grafana")
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert os.path.exists(os.path.join(DEPLOY, source)), \
                    f"{name}: bind mount {source} does not exist"
    grace = duration_seconds(services["supportd"]["stop_grace_period"])
    assert grace > 10, "stop_grace_period must exceed the 10 s drain"
    ops_port = env["SUPPORTD_LISTEN_OPS"].rsplit(":", 1)[1]
    published = [p.rsplit(":", 1)[-1] for p in services["supportd"].get("ports", [])]
    assert ops_port not in published, "the ops port is published"
    assert env["SUPPORTD_LISTEN_HTTP"].rsplit(":", 1)[1] in published, "the public port is not"
    networks = {name: set(service.get("networks", [])) for name, service in services.items()}
    assert networks["supportd"] & networks["prometheus"], "Prometheus shares no network with supportd"
    assert networks["redis"] and networks["redis"] <= networks["supportd"], \
        "Redis is on a network supportd is not on"
    assert not networks["redis"] & networks["prometheus"], "Prometheus can reach Redis"
    health = " ".join(services["supportd"]["healthcheck"]["test"])
    assert f"/dev/tcp/127.0.0.1/{ops_port}" in health, "the health check does not use the ops port"


@check("prometheus.yml scrapes supportd where compose serves it, and loads rules.yml")
def _():
    config = load_one(os.path.join(DEPLOY, "prometheus", "prometheus.yml"))
    jobs = {j["job_name"]: j for j in config["scrape_configs"]}
    job = jobs.get("supportd")
    assert job, 'no job "supportd" (rules.yml and the dashboard select on it)'
    targets = [t for sc in job["static_configs"] for t in sc["targets"]]
    ops = "supportd:" + compose_supportd_env()["SUPPORTD_LISTEN_OPS"].rsplit(":", 1)[1]
    assert targets == [ops], f"targets are {targets}, not supportd's ops listener {ops}"
    assert job.get("metrics_path", "/metrics") == "/metrics"
    assert "rules.yml" in config["rule_files"], "rules.yml is not loaded"


# --- Metric names ----------------------------------------------------------------------------

@check("rules.yml uses only README metrics, `up` and its own recorded series")
def _():
    metrics = readme_metrics()
    rules = load_one(os.path.join(DEPLOY, "prometheus", "rules.yml"))
    all_rules = [r for g in rules["groups"] for r in g["rules"]]
    recorded = {r["record"] for r in all_rules if "record" in r}
    known = known_series(metrics) | recorded
    bad = []
    for r in all_rules:
        names = series_names(r["expr"])
        if not names:
            bad.append(f"{r.get('record') or r.get('alert')}: selects no series")
        bad.extend(f"{r.get('record') or r.get('alert')}: {n}" for n in sorted(names - known))
    assert not bad, f"unknown series: {bad}"
    for r in all_rules:
        if "alert" in r:
            runbook = r.get("annotations", {}).get("runbook", "")
            assert runbook == f"deploy/README.md#{r['alert'].lower()}", \
                f"{r['alert']}: runbook annotation {runbook!r}"


@check("deploy/README.md has a runbook section for every alert")
def _():
    rules = load_one(os.path.join(DEPLOY, "prometheus", "rules.yml"))
    alerts = [r["alert"] for g in rules["groups"] for r in g["rules"] if "alert" in r]
    text = open(os.path.join(DEPLOY, "README.md"), encoding="utf-8").read()
    headings = set(re.findall(r"^#{2,4}\s+(\S+)\s*$", text, re.M))
    missing = [a for a in alerts if a not in headings]
    assert not missing, f"no section for {missing}"


def dashboard_targets():
    with open(os.path.join(DEPLOY, "grafana", "dashboards", "supportd.json"), encoding="utf-8") as f:
        dashboard = json.load(f)
    panels = []
    for p in dashboard["panels"]:
        panels.append(p)
        panels.extend(p.get("panels", []))  # collapsed rows keep their panels inside
    return dashboard, [(p, t) for p in panels for t in p.get("targets", [])]


@check("Grafana dashboard: valid JSON, unique panel ids, every target on README metrics or `up`")
def _():
    dashboard, targets = dashboard_targets()
    assert dashboard.get("uid") and dashboard.get("title") and dashboard.get("schemaVersion")
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "duplicate panel ids"
    assert targets, "no panel has a target"
    known = known_series(readme_metrics())
    bad = []
    for p, t in targets:
        expr = t.get("expr", "")
        names = series_names(re.sub(r"\$\{?\w+\}?", "x", expr))
        if not names & known:
            bad.append(f"{p['title']}: mentions no known metric")
        bad.extend(f"{p['title']}: {n}" for n in sorted(names - known))
        ds = t.get("datasource") or p.get("datasource") or {}
        if ds.get("uid") != "${datasource}":
            bad.append(f"{p['title']}: datasource is not the $datasource variable")
    assert not bad, "; ".join(bad)


@check("Grafana dashboard: every target expression is valid PromQL (promtool)")
def _():
    _, targets = dashboard_targets()
    rules = []
    for i, (p, t) in enumerate(targets):
        expr = t["expr"].replace("$__rate_interval", "1m").replace("$__interval", "1m")
        expr = re.sub(r"\$\{?\w+\}?", ".*", expr)
        rules.append({"record": f"dashboard:check_{i}", "expr": expr})
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, f)
    try:
        run = subprocess.run(["promtool", "check", "rules", f.name], capture_output=True, text=True)
    finally:
        os.unlink(f.name)
    assert run.returncode == 0, (run.stdout + run.stderr).strip()


@check("Grafana provisioning: Prometheus datasource, dashboards path mounted by compose")
def _():
    prov = os.path.join(DEPLOY, "grafana", "provisioning")
    datasources = load_one(os.path.join(prov, "datasources", "prometheus.yml"))["datasources"]
    assert any(d["type"] == "prometheus" and d["url"] == "http://prometheus:9090"
               for d in datasources), "no Prometheus datasource at http://prometheus:9090"
    providers = load_one(os.path.join(prov, "dashboards", "supportd.yml"))["providers"]
    paths = {p["options"]["path"] for p in providers if p.get("type", "file") == "file"}
    compose = load_one(os.path.join(DEPLOY, "docker-compose.yml"))
    mounts = {v.split(":")[1]: v.split(":")[0] for v in compose["services"]["grafana"]["volumes"]}
    for kind in ("datasources", "dashboards"):
        assert mounts.get(f"/etc/grafana/provisioning/{kind}") == f"./grafana/provisioning/{kind}", \
            f"provisioning/{kind} is not mounted"
    for path in paths:
        assert mounts.get(path) == "./grafana/dashboards", f"{path} is not the dashboards mount"


# --- The Sentinel variants: kubernetes-sentinel/ and docker-compose.sentinel.yml ----------------

REDIS_TEMPLATES = os.path.join(DEPLOY, "redis")
K8S_SENTINEL = os.path.join(DEPLOY, "kubernetes-sentinel")
COMPOSE_SENTINEL = os.path.join(DEPLOY, "docker-compose.sentinel.yml")


def template(name):
    with open(os.path.join(REDIS_TEMPLATES, name), encoding="utf-8") as f:
        return f.read()


def conf_lines(text):
    """A Redis or Sentinel configuration's directives, as lists of words (comments left out)."""
    return [line.split() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def sentinel_monitor():
    """(master name, quorum) of deploy/redis/sentinel.conf's `sentinel monitor` line."""
    lines = [w for w in conf_lines(template("sentinel.conf")) if w[:2] == ["sentinel", "monitor"]]
    assert len(lines) == 1, f"sentinel.conf has {len(lines)} `sentinel monitor` lines, not one"
    return lines[0][2], int(lines[0][5])


def acl_users(name):
    """{user: rules} of an ACL template."""
    return {w[1]: w[2:] for w in conf_lines(template(name)) if w[:1] == ["user"]}


def secret_names(text):
    return set(re.findall(r"\{\{(?:secret|sha256):([A-Za-z0-9_-]+)\}\}", text))


def sentinel_list(value):
    """[(host, port)] of a --redis-sentinels value."""
    out = []
    for entry in str(value).split(","):
        host, _, port = entry.strip().rpartition(":")
        assert host and port.isdigit(), f"{entry!r} in SUPPORTD_REDIS_SENTINELS is not host:port"
        out.append((host, int(port)))
    return out


def pinned_redis_image():
    return container(find("StatefulSet", "supportd-redis"), "redis")["image"]


overlay = []


# Rendered in Python (kustomize_subset.py: the kustomize features the overlay uses, and nothing
# else), so this runs where only Debian's packages are: Debian 12's kubectl is 1.20, whose
# kustomize predates `components:`. The next check compares it with kubectl's where kubectl is.
@check("deploy/kubernetes-sentinel renders (tests/deploy/kustomize_subset.py: deploy/kubernetes "
       "with two Redis nodes and three sentinels), every document complete")
def _():
    overlay.extend(kustomize_subset.render(K8S_SENTINEL))
    assert overlay, "it renders nothing"
    for d in overlay:
        assert d.get("apiVersion") and d.get("kind") and d["metadata"].get("name"), d
        want = API_VERSIONS.get(d["kind"])
        assert want is None or d["apiVersion"] == want, \
            f"{d['kind']} should be {want}, is {d['apiVersion']}"
        assert d["metadata"].get("namespace", "supportd") == "supportd" or d["kind"] == "Namespace"
    kinds = {(d["kind"], d["metadata"]["name"]) for d in overlay}
    assert ("Service", "supportd-redis") not in kinds, \
        "the single Redis's ClusterIP Service is still there: it would send supportd to a replica"
    examples = {f for f in os.listdir(K8S_SENTINEL) if f.startswith("secret.")}
    listed = load_one(os.path.join(K8S_SENTINEL, "kustomization.yaml")).get("resources", [])
    assert not examples & set(listed), "an example Secret is applied"


def kubectl_kustomize_version(kubectl):
    """The major version of kubectl's built-in kustomize, or None when it does not say (before
    kubectl 1.21, whose kustomize v2 cannot render components)."""
    run = subprocess.run([kubectl, "version", "--client"], capture_output=True, text=True,
                         timeout=30)
    m = re.search(r"^Kustomize Version: v(\d+)\.", run.stdout, re.M)
    return int(m.group(1)) if m else None


@check("kubectl kustomize renders deploy/kubernetes-sentinel as kustomize_subset.py does: the "
       "same kinds and names, the same documents")
def _():
    kubectl = shutil.which("kubectl")
    if not kubectl:
        raise Skip("no kubectl on PATH; the checks above used kustomize_subset.py's rendering")
    version = kubectl_kustomize_version(kubectl)
    if version is None or version < 4:
        raise Skip(f"{kubectl}'s kustomize cannot render components (it names no version 4 or "
                   "later); the checks above used kustomize_subset.py's rendering")
    assert overlay, "not rendered"
    run = subprocess.run([kubectl, "kustomize", K8S_SENTINEL], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, f"kubectl kustomize: {run.stderr.strip()}"
    theirs = {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(run.stdout) if d}
    ours = {(d["kind"], d["metadata"]["name"]): d for d in overlay}
    assert ours.keys() == theirs.keys(), \
        f"only kubectl renders {sorted(theirs.keys() - ours.keys())}; " \
        f"only kustomize_subset.py renders {sorted(ours.keys() - theirs.keys())}"
    differ = sorted(k for k in ours if ours[k] != theirs[k])
    assert not differ, f"rendered differently: {differ}"


def overlay_examples():
    """The example Secrets (never applied) of both Kubernetes folders."""
    return [d for path in (os.path.join(K8S, "secret.example.yaml"),
                           os.path.join(K8S_SENTINEL, "secret.example.yaml"))
            for d in load_all(path)]


def sentinel_target_checks(env, sentinels, primary_names, redis_images, secret_keys):
    """What both Sentinel variants must get right. sentinels: the sentinel hosts that exist,
    {host: port}; primary_names: the names the Redis nodes have; secret_keys: the password
    files the Redis and Sentinel containers get."""
    gaps = missing_settings(env, required=(SENTINEL_FEATURE,))
    assert not gaps, "; ".join(gaps)
    unknown = unknown_flags(env)
    assert not unknown, f"not flags of supportd: {unknown}"
    listed = sentinel_list(env["SUPPORTD_REDIS_SENTINELS"])
    assert len(listed) >= 3 and len(set(listed)) == len(listed), \
        f"{len(set(listed))} distinct sentinels listed: three at least, so one lost leaves a quorum"
    stray = [f"{h}:{p}" for h, p in listed if sentinels.get(h) != p]
    assert not stray, f"SUPPORTD_REDIS_SENTINELS names {stray}, which run no sentinel " \
                      f"(there are {sorted(sentinels)})"
    assert len(sentinels) >= 3, f"{len(sentinels)} sentinels run: three at least"
    name, quorum = sentinel_monitor()
    assert env["SUPPORTD_REDIS_MASTER_NAME"] == name, \
        f"SUPPORTD_REDIS_MASTER_NAME is {env['SUPPORTD_REDIS_MASTER_NAME']}, sentinel.conf " \
        f"monitors {name}"
    assert len(sentinels) // 2 < quorum <= len(sentinels), \
        f"quorum {quorum} with {len(sentinels)} sentinels: a majority, and no more than there are"
    assert len(primary_names) >= 2, f"{len(primary_names)} Redis nodes: a primary and a replica"
    pinned = pinned_redis_image()
    wrong = sorted({i for i in redis_images if i != pinned})
    assert not wrong, f"Redis images {wrong}, not the pinned {pinned}"
    # The ACL user, its key prefix, its passwords.
    users, sentinel_users = acl_users("users.acl"), acl_users("sentinel-users.acl")
    assert env.get("SUPPORTD_REDIS_USERNAME") in users, \
        f"SUPPORTD_REDIS_USERNAME {env.get('SUPPORTD_REDIS_USERNAME')} is no user of users.acl"
    assert env.get("SUPPORTD_REDIS_SENTINEL_USERNAME") in sentinel_users, \
        "SUPPORTD_REDIS_SENTINEL_USERNAME is no user of sentinel-users.acl"
    prefix = env.get("SUPPORTD_REDIS_PREFIX", "supportd:")
    keys = [r for r in users[env["SUPPORTD_REDIS_USERNAME"]] if r.startswith("~")]
    assert keys == [f"~{prefix}*"], f"users.acl gives supportd {keys}; its prefix is {prefix!r}"
    needed = secret_names(template("users.acl") + template("sentinel-users.acl")
                          + template("redis.conf") + template("sentinel.conf"))
    assert needed <= secret_keys, \
        f"the Redis containers get no password file for {sorted(needed - secret_keys)}"
    url = str(env.get("SUPPORTD_REDIS_URL", ""))
    if any(env.get(f"SUPPORTD_REDIS_{k}_FILE") for k in ("CA", "CERT", "KEY")):
        assert url.startswith("rediss://"), "TLS files need a rediss:// SUPPORTD_REDIS_URL"
    wait = int(env.get("SUPPORTD_REDIS_WAIT_REPLICAS", "0"))
    assert 0 <= wait < len(primary_names), \
        f"SUPPORTD_REDIS_WAIT_REPLICAS={wait} with {len(primary_names) - 1} replica(s)"


@check("Kubernetes (Sentinel variant) sets every setting each feature needs, Sentinel included, "
       "with ≥ 3 sentinels it runs, quorum ≤ their count, the pinned Redis image, the ACL user")
def _():
    assert overlay, "not rendered"
    d = find("Deployment", "supportd", overlay)
    env = pod_env(d, overlay)
    nodes = find("StatefulSet", "supportd-redis", overlay)
    sentinel_set = find("StatefulSet", "supportd-redis-sentinel", overlay)
    port = {p["name"]: p["containerPort"] for p in pod_spec(sentinel_set)["containers"][0]["ports"]}
    sentinels = {f"supportd-redis-sentinel-{i}.{sentinel_set['spec']['serviceName']}": port["sentinel"]
                 for i in range(sentinel_set["spec"]["replicas"])}
    primaries = [f"supportd-redis-{i}.{nodes['spec']['serviceName']}"
                 for i in range(nodes["spec"]["replicas"])]
    images = [c["image"] for w in (nodes, sentinel_set) for c in pod_spec(w)["containers"]]
    keys = set()
    for w in (nodes, sentinel_set):
        for v in pod_spec(w)["volumes"]:
            if "secret" in v:
                example = find("Secret", v["secret"]["secretName"], overlay_examples())
                keys |= set(example.get("stringData", {}))
    sentinel_target_checks(env, sentinels, primaries, images, keys)
    for w in (nodes, sentinel_set):
        c = pod_spec(w)["containers"][0]
        wenv = {e["name"]: e.get("value") for e in c.get("env", [])}
        assert wenv.get("FIRST_PRIMARY") == primaries[0], \
            f"{w['metadata']['name']}: FIRST_PRIMARY {wenv.get('FIRST_PRIMARY')}, not {primaries[0]}"
        if "SENTINELS" in wenv:
            assert {h for h, _ in sentinel_list(wenv["SENTINELS"])} == set(sentinels), \
                f"{w['metadata']['name']}: SENTINELS is not the sentinels"
    for svc in (nodes["spec"]["serviceName"], sentinel_set["spec"]["serviceName"]):
        headless = find("Service", svc, overlay)
        assert headless["spec"].get("clusterIP") == "None", f"{svc} is not headless"


@check("Kubernetes (Sentinel variant): supportd's secrets are files on read-only Secret volumes "
       "whose keys the example Secrets document, readable by no other user")
def _():
    d = find("Deployment", "supportd", overlay)
    c = container(d, "supportd")
    files = {e["name"]: e["value"] for e in c.get("env", [])
             if e["name"].endswith("_FILE") and "value" in e}
    assert "SUPPORTD_REDIS_PASSWORD_FILE" in files, "supportd gets no Redis password file"
    for name, path in files.items():
        mount = next((m for m in c["volumeMounts"]
                      if path.startswith(m["mountPath"].rstrip("/") + "/")), None)
        assert mount and mount.get("readOnly") is True, f"{name}: no read-only mount holds {path}"
        volume = next(v for v in pod_spec(d)["volumes"] if v["name"] == mount["name"])
        secret = volume.get("secret")
        assert secret, f"{name}: {path} is not on a Secret volume"
        item = next((i for i in secret.get("items", [])
                     if i["path"] == os.path.relpath(path, mount["mountPath"])), None)
        assert item, f"{name}: no Secret key is mounted at {path}"
        example = find("Secret", secret["secretName"], overlay_examples())
        assert item["key"] in example.get("stringData", {}), \
            f"{name}: the example Secret {secret['secretName']} lacks {item['key']}"
        mode = item.get("mode", secret.get("defaultMode", 0o644))
        assert mode & 0o007 == 0, f"{name}: {path} has mode {mode:o}, readable by any user"


@check("Kubernetes (Sentinel variant): supportd may reach the Redis nodes and the sentinels and "
       "nothing more than without them; the nodes and sentinels admit supportd and each other")
def _():
    def egress(docs):
        return find("NetworkPolicy", "supportd", docs)["spec"]["egress"]

    base_rules, rules = egress(None), egress(overlay)
    added = [r for r in rules if r not in base_rules]
    assert all(r in rules for r in base_rules), "a rule of deploy/kubernetes was dropped"
    assert len(added) == 1, f"{len(added)} egress rules added for supportd, not one (the sentinels)"
    sentinel_set = find("StatefulSet", "supportd-redis-sentinel", overlay)
    sentinel_labels = sentinel_set["spec"]["template"]["metadata"]["labels"]
    port = pod_spec(sentinel_set)["containers"][0]["ports"][0]["containerPort"]
    to = [t.get("podSelector", {}).get("matchLabels") for t in added[0]["to"]]
    assert to and all(s and matches(s, sentinel_labels) for s in to), \
        f"the added rule reaches {to}, not only the sentinels"
    assert [p["port"] for p in added[0]["ports"]] == [port], "the added rule is not the sentinel port"
    supportd_labels = find("Deployment", "supportd", overlay)["spec"]["template"]["metadata"]["labels"]
    nodes = find("StatefulSet", "supportd-redis", overlay)
    node_labels = nodes["spec"]["template"]["metadata"]["labels"]
    for policy, labels, want in (("supportd-redis", node_labels,
                                  [supportd_labels, node_labels, sentinel_labels]),
                                 ("supportd-redis-sentinel", sentinel_labels,
                                  [supportd_labels, node_labels, sentinel_labels])):
        np = find("NetworkPolicy", policy, overlay)
        assert matches(np["spec"]["podSelector"]["matchLabels"], labels), f"{policy} selects others"
        peers = [f for rule in np["spec"]["ingress"] for f in rule["from"]]
        assert all(f.get("podSelector") and not f.get("namespaceSelector") for f in peers), \
            f"{policy} admits more than pods of its namespace"
        sources = [f["podSelector"].get("matchLabels") for f in peers]
        for w in want:
            assert any(matches(s, w) for s in sources if s), f"{policy} does not admit {w}"


@check("Kubernetes (Sentinel variant): the ConfigMap of deploy/redis/ holds every template and "
       "start script, and the Redis and Sentinel pods run those scripts from it")
def _():
    cm = next(d for d in overlay if d["kind"] == "ConfigMap"
              and d["metadata"]["name"].startswith("supportd-redis-templates"))
    for name, text in cm["data"].items():
        assert text == template(name), f"{name} differs from deploy/redis/{name}"
    for w, script in (("supportd-redis", "redis-start"), ("supportd-redis-sentinel", "sentinel-start")):
        spec = pod_spec(find("StatefulSet", w, overlay))
        c = spec["containers"][0]
        assert c.get("command") == ["sh", f"/etc/redis/templates/{script}"] and not c.get("args"), \
            f"{w} runs {c.get('command')} {c.get('args')}"
        volume = next(v for v in spec["volumes"] if v.get("configMap"))
        assert volume["configMap"]["name"] == cm["metadata"]["name"], f"{w} mounts another ConfigMap"
        env = {e["name"]: e.get("value") for e in c["env"]}
        mount = next(m for m in c["volumeMounts"] if m["name"] == volume["name"])
        assert env.get("TEMPLATES") == mount["mountPath"], f"{w}: TEMPLATES is not the mount"


def compose_sentinel():
    return load_one(COMPOSE_SENTINEL)


def compose_command(service):
    command = service.get("command", [])
    return command if isinstance(command, list) else command.split()


def secrets_made():
    """{'./secrets/…': [files]} that deploy/compose-secrets makes, run in a scratch copy."""
    scratch = tempfile.mkdtemp()
    try:
        shutil.copy(os.path.join(DEPLOY, "compose-secrets"), scratch)
        run = subprocess.run(["bash", os.path.join(scratch, "compose-secrets")], capture_output=True,
                             text=True, timeout=60,
                             env={**os.environ, "STRIPE_SECRET_KEY": "sk_test_x",
                                  "STRIPE_WEBHOOK_SECRET": "whsec_x"})
        assert run.returncode == 0, f"compose-secrets: {run.stderr.strip()}"
        made = {}
        for d, _, files in os.walk(os.path.join(scratch, "secrets")):
            where = "./" + os.path.relpath(d, scratch)
            made[where] = sorted(files)
        return made
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


SECRETS_MADE = {}


@check("deploy/compose-secrets makes every secret file both Compose files mount")
def _():
    SECRETS_MADE.update(secrets_made())
    files = {os.path.join(d, f) for d, names in SECRETS_MADE.items() for f in names}
    missing = []
    for path in (os.path.join(DEPLOY, "docker-compose.yml"), COMPOSE_SENTINEL):
        compose = load_one(path)
        for name, secret in compose.get("secrets", {}).items():
            if os.path.normpath(secret["file"]) not in {os.path.normpath(f) for f in files}:
                missing.append(f"{rel(path)}: {secret['file']}")
        for service_name, service in compose["services"].items():
            for volume in service.get("volumes", []):
                source = volume.split(":", 1)[0]
                if source.startswith("./secrets") and source not in SECRETS_MADE:
                    missing.append(f"{rel(path)} {service_name}: {source}")
    assert not missing, f"not made by compose-secrets: {missing}"


@check("Compose (Sentinel variant) sets every setting each feature needs, Sentinel included, "
       "with ≥ 3 sentinels it runs, quorum ≤ their count, the pinned Redis image, the ACL user")
def _():
    compose = compose_sentinel()
    services = compose["services"]
    env = compose_supportd_env(COMPOSE_SENTINEL)
    sentinels, nodes, images, keys = {}, [], [], set()
    for name, service in services.items():
        command = compose_command(service)
        if command[-1:] == ["/etc/redis/templates/sentinel-start"]:
            sentinels[service["environment"]["SENTINEL_HOST"]] = int(
                service["environment"]["SENTINEL_PORT"])
            assert service["environment"]["SENTINEL_HOST"] == name, f"{name} announces another name"
        elif command[-1:] == ["/etc/redis/templates/redis-start"]:
            nodes.append(service["environment"]["REDIS_HOST"])
            assert service["environment"]["REDIS_HOST"] == name, f"{name} announces another name"
        else:
            continue
        images.append(service["image"])
        mounts = {v.split(":")[1]: v.split(":")[0] for v in service.get("volumes", [])}
        assert mounts.get("/etc/redis/templates") == "./redis", f"{name}: templates not mounted"
        secrets_dir = mounts.get(service["environment"]["SECRETS"])
        assert secrets_dir, f"{name}: SECRETS is not a mounted folder"
        keys |= set(SECRETS_MADE.get(secrets_dir, []))
    assert nodes, "no service runs redis-start"
    sentinel_target_checks(env, sentinels, nodes, images, keys)
    problems = compose_secret_problems(COMPOSE_SENTINEL)
    assert not problems, "; ".join(problems)


@check("docker-compose.sentinel.yml: supportd, Redis nodes and sentinels share the internal store "
       "network, Prometheus reaches none of them; bind mounts exist; the rest as docker-compose.yml")
def _():
    compose = compose_sentinel()
    services = compose["services"]
    base = load_one(os.path.join(DEPLOY, "docker-compose.yml"))
    store = {n for n, s in services.items()
             if compose_command(s)[-1:] in (["/etc/redis/templates/redis-start"],
                                            ["/etc/redis/templates/sentinel-start"])}
    for name in store:
        networks = set(services[name].get("networks", []))
        assert networks == {"store"}, f"{name} is on {sorted(networks)}, not only store"
    assert "store" in services["supportd"]["networks"], "supportd is not on the store network"
    assert compose["networks"]["store"].get("internal") is True, "the store network is not internal"
    assert "store" not in services["prometheus"].get("networks", []), "Prometheus can reach Redis"
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith(".") and not source.startswith("./secrets"):
                assert os.path.exists(os.path.join(DEPLOY, source)), \
                    f"{name}: bind mount {source} does not exist"
    for name in ("prometheus", "grafana"):
        assert services[name] == base["services"][name], f"{name} differs from docker-compose.yml"
    same = {k: v for k, v in compose_supportd_env().items()
            if not k.startswith("SUPPORTD_REDIS_")}
    differs = sorted(k for k, v in same.items() if compose_supportd_env(COMPOSE_SENTINEL).get(k) != v)
    assert not differs, f"supportd's settings differ from docker-compose.yml: {differs}"


@check("The Sentinel variants set only SUPPORTD_* variables that are settings in README.md")
def _():
    known = readme_setting_variables()
    used = set(compose_supportd_env(COMPOSE_SENTINEL))
    for d in overlay:
        if d.get("kind") == "ConfigMap" and d["metadata"]["name"] == "supportd-config":
            used |= set(d["data"])
        if d.get("kind") == "Deployment":
            used |= {e["name"] for c in pod_spec(d)["containers"] for e in c.get("env", [])}
    unknown = sorted(k for k in used if k.startswith("SUPPORTD_") and k not in known)
    assert not unknown, f"not settings in README.md: {unknown}"


@check("deploy/redis/redis.conf and sentinel.conf: AOF with appendfsync always, noeviction, "
       "min-replicas-to-write, announced host names, the failover timings")
def _():
    redis = {w[0]: w[1:] for w in conf_lines(template("redis.conf"))}
    for key, value in (("appendonly", ["yes"]), ("appendfsync", ["always"]),
                       ("maxmemory-policy", ["noeviction"]), ("masteruser", ["replica"])):
        assert redis.get(key) == value, f"redis.conf: {key} is {redis.get(key)}, not {value}"
    assert "min-replicas-to-write" in redis and "replica-announce-ip" in redis, \
        "redis.conf lacks min-replicas-to-write or replica-announce-ip"
    sentinel = {tuple(w[:2]): w[2:] for w in conf_lines(template("sentinel.conf"))}
    for key in (("sentinel", "resolve-hostnames"), ("sentinel", "announce-hostnames")):
        assert sentinel.get(key) == ["yes"], f"sentinel.conf: {' '.join(key)} is not yes"
    name, _ = sentinel_monitor()
    for key in ("down-after-milliseconds", "failover-timeout", "auth-user", "auth-pass"):
        assert sentinel.get(("sentinel", key), [None])[0] == name, \
            f"sentinel.conf: no `sentinel {key} {name}`"
    users = acl_users("users.acl")
    assert users.get("sentinel") and users.get("replica"), \
        "users.acl lacks the sentinel or replica user"


def shell_words(path):
    """The script's lines as words, with its own `name=value` assignments (and $PWD, the
    repository root both scripts cd to) expanded: enough to read which directory a command names,
    not a shell."""
    values = {"PWD": ""}
    lines = []
    with open(path, encoding="utf-8") as f:
        text = f.read().replace("\\\n", " ")
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        if line.startswith("#"):
            continue
        line = re.sub(r"\$\{?(\w+)\}?", lambda m: values.get(m.group(1), m.group(0)), line)
        line = line.replace('"', "")
        m = re.fullmatch(r"(\w+)=(\S*)", line)
        if m:
            values[m.group(1)] = m.group(2)
        lines.append(line.split())
    return lines


def repo_path(word):
    """A path as shell_words leaves it ("/build/x" from "$root/build/x"), relative to the root."""
    return os.path.normpath(word.lstrip("/"))


@check("deploy/local/run serves the API reference deploy/local/build renders, prints its URL, and "
       "the README links it")
def _():
    build = os.path.join(DEPLOY, "local", "build")
    outputs = [repo_path(w[w.index("--output") + 1]) for w in shell_words(build)
               if "build-docs" in w and "--output" in w[:-1]]
    assert outputs, "deploy/local/build runs no `redocly build-docs ... --output FILE`"
    rendered = os.path.dirname(outputs[0])
    run = os.path.join(DEPLOY, "local", "run")
    words = shell_words(run)
    ports = [w[w.index("http.server") + 1] for w in words
             if "http.server" in w and "--directory" in w[:-1]
             and repo_path(w[w.index("--directory") + 1]) == rendered]
    assert ports, f"deploy/local/run serves no static server on {rendered}/, where " \
                  "deploy/local/build renders the API reference"
    url = f"http://127.0.0.1:{ports[0]}/"
    assert any(w[:1] == ["echo"] and url in " ".join(w) for w in words), \
        f"deploy/local/run does not print the API reference's URL, {url}"
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        assert f"<{url}>" in f.read(), f"README.md does not link the API reference, <{url}>"


for ok, name, why in results:
    print(f"ok {name}" if ok else f"skip {name}: {why}" if ok is None else f"FAIL {name}: {why}")
sys.exit(1 if any(ok is False for ok, _, _ in results) else 0)
