"""A small stand-in for `kubectl kustomize`, for the tests of deploy/kubernetes/ (no kustomize here).

It implements only the kustomization keys that deploy/kubernetes uses, the way kustomize does,
and raises ``UnsupportedKustomization`` on anything else. So it can refuse a kustomization, but
it cannot quietly render one differently from kustomize.

What it does:

``resources``
    relative YAML files (one or more documents) and folders holding a ``kustomization.yaml``
    (a base, rendered first, whole). No URLs, no absolute paths.
``namespace``
    set on every object. Only the kinds listed in ``KINDS`` are allowed: for them kustomize sets
    ``metadata.namespace`` and nothing else (it also rewrites fields of RoleBindings, webhooks
    and the like, which this renderer does not model).
``secretGenerator`` and ``generatorOptions``
    ``name``, ``type: Opaque`` and ``literals`` (``KEY=VALUE``), only with
    ``generatorOptions.disableNameSuffixHash: true``: kustomize's name hash, and the rewriting of
    references to the hashed name, are not implemented.
``patches``
    inline JSON 6902 operations (add, remove, replace, test) on the objects chosen by ``kind``
    and optionally ``name``. Strategic-merge patches, patch files and other selectors are refused.
    A patch that matches no object is refused too (kustomize would let it pass).
"""

from __future__ import annotations

import base64
import copy
import re
from pathlib import Path
from typing import Any

import yaml

API_VERSION = "kustomize.config.k8s.io/v1beta1"
KEYS = {"apiVersion", "kind", "resources", "namespace", "secretGenerator", "generatorOptions", "patches"}
#: namespaced kinds for which kustomize's namespace transformer only sets metadata.namespace
KINDS = {
    ("v1", "Secret"),
    ("v1", "ConfigMap"),
    ("v1", "Service"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("networking.k8s.io/v1", "Ingress"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("policy/v1", "PodDisruptionBudget"),
}
OPS = {"add", "remove", "replace", "test"}
# kustomize reads a target's kind and name as regular expressions: plain words mean themselves
PLAIN_KIND = re.compile(r"[A-Za-z]+")
PLAIN_NAME = re.compile(r"[a-z0-9-]+")
SECRET_KEY = re.compile(r"[-._a-zA-Z0-9]+")


class UnsupportedKustomization(ValueError):
    """The kustomization uses something this renderer does not implement (or is wrong)."""


def render(folder: Path | str) -> list[dict[str, Any]]:
    """The objects ``kubectl kustomize folder`` would print, as dicts (refuses what it does not implement)."""
    return _render(Path(folder).resolve(), depth=0)


def _render(folder: Path, depth: int) -> list[dict[str, Any]]:
    if depth > 10:
        raise UnsupportedKustomization(f"{folder}: bases nested more than 10 deep (a cycle?)")
    spec = _kustomization(folder)
    objects: list[dict[str, Any]] = []
    for entry in _list(spec, "resources", folder):
        objects.extend(_resource(folder, entry, depth))
    objects.extend(_secrets(spec, folder))
    for patch in _list(spec, "patches", folder):
        _patch(objects, patch, folder)
    if "namespace" in spec:
        namespace = spec["namespace"]
        if not isinstance(namespace, str) or not PLAIN_NAME.fullmatch(namespace):
            raise UnsupportedKustomization(f"{folder}: namespace must be a plain name, not {namespace!r}")
        for obj in objects:
            obj["metadata"]["namespace"] = namespace
    seen = set()
    for obj in objects:
        key = (obj["apiVersion"], obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"])
        if key in seen:
            raise UnsupportedKustomization(f"{folder}: {key} is defined twice (kustomize refuses that too)")
        seen.add(key)
    return objects


def _kustomization(folder: Path) -> dict[str, Any]:
    path = folder / "kustomization.yaml"
    others = [name for name in ("kustomization.yml", "Kustomization") if (folder / name).exists()]
    if not path.is_file():
        raise UnsupportedKustomization(f"{folder}: no kustomization.yaml (other names are not implemented)")
    if others:
        raise UnsupportedKustomization(f"{folder}: kustomization.yaml and {others} (kustomize refuses that too)")
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(spec, dict):
        raise UnsupportedKustomization(f"{path}: not a mapping")
    unknown = set(spec) - KEYS
    if unknown:
        raise UnsupportedKustomization(f"{path}: {sorted(unknown)} not implemented by tests/kustomize_lite.py")
    if spec.get("apiVersion", API_VERSION) != API_VERSION or spec.get("kind", "Kustomization") != "Kustomization":
        raise UnsupportedKustomization(f"{path}: only {API_VERSION} Kustomization is implemented")
    return spec


def _list(spec: dict[str, Any], key: str, folder: Path) -> list[Any]:
    value = spec.get(key, [])
    if not isinstance(value, list):
        raise UnsupportedKustomization(f"{folder}: {key} must be a list")
    return value


def _resource(folder: Path, entry: Any, depth: int) -> list[dict[str, Any]]:
    if not isinstance(entry, str) or "://" in entry or entry.startswith(("/", "github.com", "git@")):
        raise UnsupportedKustomization(f"{folder}: resource {entry!r}: only relative files and folders are implemented")
    path = (folder / entry).resolve()
    if path.is_dir():
        return _render(path, depth + 1)
    if not path.is_file():
        raise UnsupportedKustomization(f"{folder}: resource {entry!r} does not exist")
    objects = []
    for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
        if doc is None:
            continue
        if not isinstance(doc, dict) or not isinstance(doc.get("metadata"), dict) or not doc["metadata"].get("name"):
            raise UnsupportedKustomization(f"{path}: every document must be an object with metadata.name")
        if (doc.get("apiVersion"), doc.get("kind")) not in KINDS:
            raise UnsupportedKustomization(f"{path}: {doc.get('apiVersion')} {doc.get('kind')} is not implemented")
        objects.append(doc)
    return objects


def _secrets(spec: dict[str, Any], folder: Path) -> list[dict[str, Any]]:
    generators = _list(spec, "secretGenerator", folder)
    options = spec.get("generatorOptions", {})
    if not isinstance(options, dict) or set(options) - {"disableNameSuffixHash"}:
        raise UnsupportedKustomization(f"{folder}: generatorOptions other than disableNameSuffixHash are not implemented")
    if generators and options.get("disableNameSuffixHash") is not True:
        raise UnsupportedKustomization(f"{folder}: secretGenerator needs generatorOptions.disableNameSuffixHash: true "
                                       "(the name hash is not implemented)")
    secrets = []
    for generator in generators:
        if not isinstance(generator, dict) or set(generator) - {"name", "type", "literals"} or "name" not in generator:
            raise UnsupportedKustomization(f"{folder}: a secretGenerator may only have name, type and literals: {generator!r}")
        if generator.get("type", "Opaque") != "Opaque":
            raise UnsupportedKustomization(f"{folder}: secretGenerator type {generator['type']!r} is not implemented")
        data = {}
        for literal in generator.get("literals", []):
            key, sep, value = str(literal).partition("=")
            if not sep or not SECRET_KEY.fullmatch(key) or key in data:
                raise UnsupportedKustomization(f"{folder}: literal {literal!r} is not KEY=VALUE with a new, valid key")
            if value and value[0] in "\"'":
                raise UnsupportedKustomization(f"{folder}: literal {literal!r}: kustomize strips quotes, which is not implemented")
            data[key] = base64.b64encode(value.encode("utf-8")).decode("ascii")
        secrets.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": generator["name"]}, "type": "Opaque", "data": data})
    return secrets


def _patch(objects: list[dict[str, Any]], entry: Any, folder: Path) -> None:
    if not isinstance(entry, dict) or set(entry) != {"target", "patch"}:
        raise UnsupportedKustomization(f"{folder}: only patches with a target and an inline patch are implemented: {entry!r}")
    target = entry["target"]
    if not isinstance(target, dict) or set(target) - {"kind", "name"} or "kind" not in target:
        raise UnsupportedKustomization(f"{folder}: a patch target may only have kind and name: {target!r}")
    if not PLAIN_KIND.fullmatch(str(target["kind"])) or ("name" in target and not PLAIN_NAME.fullmatch(str(target["name"]))):
        raise UnsupportedKustomization(f"{folder}: target {target!r}: kustomize reads it as a regular expression; use plain words")
    operations = yaml.safe_load(entry["patch"]) if isinstance(entry["patch"], str) else None
    if not isinstance(operations, list):
        raise UnsupportedKustomization(f"{folder}: only JSON 6902 patches (a list of operations) are implemented")
    chosen = [o for o in objects if o["kind"] == target["kind"] and target.get("name", o["metadata"]["name"]) == o["metadata"]["name"]]
    if not chosen:
        raise UnsupportedKustomization(f"{folder}: the patch for {target!r} matches nothing")
    for obj in chosen:
        for operation in operations:
            _apply(obj, operation, folder)


def _apply(document: dict[str, Any], operation: Any, folder: Path) -> None:
    if not isinstance(operation, dict) or operation.get("op") not in OPS or not str(operation.get("path", "")).startswith("/"):
        raise UnsupportedKustomization(f"{folder}: operation {operation!r}: only add, remove, replace and test are implemented")
    op = operation["op"]
    if set(operation) != ({"op", "path"} if op == "remove" else {"op", "path", "value"}):
        raise UnsupportedKustomization(f"{folder}: operation {operation!r} has the wrong fields")
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in operation["path"][1:].split("/")]
    parent: Any = document
    for token in tokens[:-1]:
        parent = _step(parent, token, operation, folder)
    last = tokens[-1]
    value = copy.deepcopy(operation.get("value"))
    if isinstance(parent, list):
        size = len(parent) + 1 if op == "add" else len(parent)
        index = size - 1 if (op == "add" and last == "-") else _index(last, size, operation, folder)
        if op == "add":
            parent.insert(index, value)
        elif op == "remove":
            del parent[index]
        elif op == "replace":
            parent[index] = value
        elif parent[index] != value:
            raise UnsupportedKustomization(f"{folder}: test failed: {operation!r} found {parent[index]!r}")
    elif isinstance(parent, dict):
        if op != "add" and last not in parent:
            raise UnsupportedKustomization(f"{folder}: operation {operation!r}: no such field")
        if op in ("add", "replace"):
            parent[last] = value
        elif op == "remove":
            del parent[last]
        elif parent[last] != value:
            raise UnsupportedKustomization(f"{folder}: test failed: {operation!r} found {parent[last]!r}")
    else:
        raise UnsupportedKustomization(f"{folder}: operation {operation!r}: the path runs through a scalar")


def _step(node: Any, token: str, operation: Any, folder: Path) -> Any:
    if isinstance(node, dict) and token in node:
        return node[token]
    if isinstance(node, list):
        return node[_index(token, len(node), operation, folder)]
    raise UnsupportedKustomization(f"{folder}: operation {operation!r}: the path does not exist")


def _index(token: str, size: int, operation: Any, folder: Path) -> int:
    if not re.fullmatch(r"0|[1-9][0-9]*", token) or int(token) >= size:
        raise UnsupportedKustomization(f"{folder}: operation {operation!r}: {token!r} is not an index here")
    return int(token)
