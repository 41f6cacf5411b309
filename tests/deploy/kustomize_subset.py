"""Renders a kustomization with the subset of kustomize that deploy/kubernetes-sentinel uses, so
tests/deploy/validate.py can check the Sentinel variant where kubectl is not installed (Debian
12's kubectl is too old for `components:`). It refuses what it does not implement instead of
rendering something else; validate.py compares it with `kubectl kustomize` where kubectl exists.

What it implements, as kustomize documents it (https://kubectl.docs.kubernetes.io/references/
kustomize/kustomization/):
  - resources: YAML files, and folders holding a kustomization (rendered first, recursively);
  - components: folders whose Component has a configMapGenerator of files (`files:` and
    `options.labels`); the ConfigMap's name gets kustomize's content hash, and the pod specs
    that name the ConfigMap are made to name it with the hash;
  - patches: strategic-merge patches (a file or inline) aimed at their own kind and name, with
    `$patch: delete` of a whole resource; JSON patches (RFC 6902) aimed by `target:` kind and
    name, `add` operations only;
  - namespace, and images (newName, newTag) for containers.

A strategic-merge patch merges maps key by key (a null removes the key) and replaces lists,
except the lists Kubernetes declares merged by a key (containers and volumes by name, env by
name, volumeMounts by mountPath, ports by containerPort): an element of the patch is merged
into the element with the same key, and the patch's elements come first, as kustomize orders
them (https://kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/).
"""
import copy
import hashlib
import os

import yaml

# Kinds that have no namespace, among those deploy/ uses.
CLUSTER_SCOPED = {"Namespace"}

# List fields merged by a key in a strategic-merge patch, by where they are: in a pod spec
# (spec.template.spec of a workload) or in one of its containers. Every other list is replaced.
POD_SPEC_MERGE_KEYS = {"containers": "name", "initContainers": "name", "volumes": "name",
                       "imagePullSecrets": "name"}
CONTAINER_MERGE_KEYS = {"env": "name", "volumeMounts": "mountPath", "ports": "containerPort"}
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}

KUSTOMIZATION_FIELDS = {"apiVersion", "kind", "namespace", "resources", "components", "patches",
                        "images"}
COMPONENT_FIELDS = {"apiVersion", "kind", "configMapGenerator"}


class Unsupported(Exception):
    """The kustomization uses a feature this renderer does not implement."""


def render(folder):
    """The documents `kubectl kustomize folder` would print (in another order)."""
    kustomization = _load_kustomization(folder, "Kustomization", KUSTOMIZATION_FIELDS)
    docs = []
    for entry in kustomization.get("resources", []):
        path = os.path.normpath(os.path.join(folder, entry))
        docs.extend(render(path) if os.path.isdir(path) else _load(path))
    generated = {}  # ConfigMap name -> the name with its hash
    for entry in kustomization.get("components", []):
        for cm in _component_config_maps(os.path.normpath(os.path.join(folder, entry))):
            generated[cm["metadata"]["name"]] = cm["metadata"]["name"] + "-" + _hash(cm)
            docs.append(cm)
    for entry in kustomization.get("patches", []):
        docs = _apply_patch(folder, entry, docs)
    if "namespace" in kustomization:
        for d in docs:
            if d["kind"] not in CLUSTER_SCOPED:
                d["metadata"]["namespace"] = kustomization["namespace"]
    for image in kustomization.get("images", []):
        _set_image(docs, image)
    for d in docs:
        if d["kind"] == "ConfigMap" and d["metadata"]["name"] in generated:
            d["metadata"]["name"] = generated[d["metadata"]["name"]]
        if d["kind"] in WORKLOADS:
            _rename_config_map_references(d["spec"]["template"]["spec"], generated)
    ids = [_id(d) for d in docs]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"{folder}: resources defined twice: {duplicates}")
    return docs


def _load(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def _load_kustomization(folder, kind, fields):
    (k,) = _load(os.path.join(folder, "kustomization.yaml"))
    if k.get("kind", "Kustomization") != kind:
        raise Unsupported(f"{folder}: a {k.get('kind')}, where a {kind} was expected")
    unknown = sorted(set(k) - fields)
    if unknown:
        raise Unsupported(f"{folder}/kustomization.yaml: {unknown} not implemented")
    return k


def _id(doc):
    return doc["kind"], doc["metadata"]["name"]


def _component_config_maps(folder):
    component = _load_kustomization(folder, "Component", COMPONENT_FIELDS)
    maps = []
    for generator in component.get("configMapGenerator", []):
        unknown = sorted(set(generator) - {"name", "files", "options"}
                         | set(generator.get("options", {})) - {"labels"})
        if unknown:
            raise Unsupported(f"{folder}: configMapGenerator {unknown} not implemented")
        data = {}
        for entry in generator.get("files", []):
            if "=" in entry:
                raise Unsupported(f"{folder}: configMapGenerator key=path files not implemented")
            with open(os.path.join(folder, entry), encoding="utf-8") as f:
                data[os.path.basename(entry)] = f.read()
        metadata = {"name": generator["name"]}
        if generator.get("options", {}).get("labels"):
            metadata["labels"] = dict(generator["options"]["labels"])
        maps.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data})
    return maps


def _go_json_string(text):
    """A string as Go's encoding/json writes it (kustomize hashes that encoding)."""
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        elif ord(ch) < 0x20 or ch in "<>&\u2028\u2029":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _hash(config_map):
    """kustomize's name suffix for a generated ConfigMap: SHA-256 of the JSON of its kind, name
    and data (keys sorted), the first 10 hex digits with 0 1 3 a e spelled g h k m t. The name
    kustomize v5 hashes is empty: ConfigMaps with the same data get the same suffix whatever
    their names, as `kubectl kustomize` shows."""
    data = ",".join(f"{_go_json_string(k)}:{_go_json_string(v)}"
                    for k, v in sorted(config_map["data"].items()))
    encoded = f'{{"data":{{{data}}},"kind":"ConfigMap","name":""}}'
    digest = hashlib.sha256(encoded.encode("utf-8")).hexdigest()[:10]
    return digest.translate(str.maketrans("013ae", "ghkmt"))


def _rename_config_map_references(pod_spec, renamed):
    for volume in pod_spec.get("volumes", []):
        ref = volume.get("configMap")
        if ref and ref.get("name") in renamed:
            ref["name"] = renamed[ref["name"]]
        for source in volume.get("projected", {}).get("sources", []):
            ref = source.get("configMap")
            if ref and ref.get("name") in renamed:
                ref["name"] = renamed[ref["name"]]
    for c in pod_spec.get("containers", []) + pod_spec.get("initContainers", []):
        refs = [s.get("configMapRef") for s in c.get("envFrom", [])]
        refs += [e.get("valueFrom", {}).get("configMapKeyRef") for e in c.get("env", [])]
        for ref in refs:
            if ref and ref.get("name") in renamed:
                ref["name"] = renamed[ref["name"]]


def _set_image(docs, image):
    unknown = sorted(set(image) - {"name", "newName", "newTag"})
    if unknown:
        raise Unsupported(f"images: {unknown} not implemented")
    for d in docs:
        if d["kind"] not in WORKLOADS:
            continue
        spec = d["spec"]["template"]["spec"]
        for c in spec.get("containers", []) + spec.get("initContainers", []):
            name, _, tag = c["image"].partition(":")
            if name == image["name"]:
                new_tag = image.get("newTag", tag)
                c["image"] = image.get("newName", name) + (f":{new_tag}" if new_tag else "")


def _apply_patch(folder, entry, docs):
    unknown = sorted(set(entry) - {"path", "patch", "target"})
    if unknown:
        raise Unsupported(f"patches: {unknown} not implemented")
    if "path" in entry:
        patches = _load(os.path.join(folder, entry["path"]))
    else:
        patches = [p for p in yaml.safe_load_all(entry["patch"]) if p is not None]
    where = entry.get("path", "an inline patch")
    if len(patches) == 1 and isinstance(patches[0], list):
        return _apply_json_patch(where, entry.get("target"), patches[0], docs)
    if "target" in entry:
        raise Unsupported(f"{where}: strategic-merge patches with a target not implemented")
    for patch in patches:
        matching = [d for d in docs if _id(d) == _id(patch)
                    and d.get("apiVersion") == patch.get("apiVersion")]
        if not matching:
            raise ValueError(f"{where}: no {patch['kind']} {patch['metadata']['name']} to patch")
        if patch.get("$patch") == "delete":
            docs = [d for d in docs if d not in matching]
            continue
        for d in matching:
            docs[docs.index(d)] = _merge(d, patch, [d["kind"]])
    return docs


def _apply_json_patch(where, target, operations, docs):
    unknown = sorted(set(target or {}) - {"kind", "name"})
    if not target or unknown:
        raise Unsupported(f"{where}: a JSON patch needs a target by kind and name only")
    matching = [d for d in docs
                if all(d[k] == target[k] if k == "kind" else d["metadata"]["name"] == target[k]
                       for k in target)]
    if not matching:
        raise ValueError(f"{where}: no resource matches {target}")
    for d in matching:
        for op in operations:
            if op.get("op") != "add":
                raise Unsupported(f"{where}: JSON patch op {op.get('op')!r} not implemented")
            *parents, last = [t.replace("~1", "/").replace("~0", "~")
                              for t in op["path"].split("/")[1:]]
            node = d
            for token in parents:
                node = node[int(token)] if isinstance(node, list) else node[token]
            value = copy.deepcopy(op["value"])
            if isinstance(node, list):
                node.insert(len(node) if last == "-" else int(last), value)
            else:
                node[last] = value
    return docs


def _merge_keys(path):
    """The merge keys of the lists in the map at `path` (field names from the kind down)."""
    if path[0] in WORKLOADS and path[1:] == ["spec", "template", "spec"]:
        return POD_SPEC_MERGE_KEYS
    if (path[0] in WORKLOADS and path[1:4] == ["spec", "template", "spec"]
            and len(path) == 5 and path[4] in ("containers", "initContainers")):
        return CONTAINER_MERGE_KEYS
    return {}


def _merge(base, patch, path):
    """A strategic-merge patch of the map `base` by the map `patch`; `path` says where they are."""
    directives = sorted(k for k in patch if k.startswith("$"))
    if directives:
        raise Unsupported(f"{'.'.join(path)}: {directives} not implemented")
    merged = copy.deepcopy(base)
    keys = _merge_keys(path)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value, path + [key])
        elif isinstance(value, list) and key in keys and isinstance(merged.get(key), list):
            merged[key] = _merge_list(merged[key], value, keys[key], path + [key])
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _merge_list(base, patch, key, path):
    by_key = {item[key]: item for item in base}
    out = [_merge(by_key[item[key]], item, path) if item[key] in by_key else copy.deepcopy(item)
           for item in patch]
    patched = {item[key] for item in patch}
    return out + [copy.deepcopy(item) for item in base if item[key] not in patched]
