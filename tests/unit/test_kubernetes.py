"""deploy/kubernetes and deploy/Containerfile: the manifests render, match the Kubernetes schemas,
and are wired to each other and to the app's command line.

No cluster, no kustomize and no container build here: tests/kustomize_lite.py renders the
kustomizations (it refuses what it does not implement), and kubernetes-validate checks every
object against the API schemas in strict mode (an unknown field fails)."""

from __future__ import annotations

import base64
import copy
import json
import re
import shlex
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from tests.kustomize_lite import UnsupportedKustomization, render

KIT = Path(__file__).resolve().parents[2]
DEPLOY = KIT / "deploy"
BASE = DEPLOY / "kubernetes" / "base"
TRIAL = DEPLOY / "kubernetes" / "overlays" / "trial"
README = DEPLOY / "kubernetes" / "README.md"
CONTAINERFILE = DEPLOY / "Containerfile"

#: the oldest Kubernetes we claim, and the newest the installed kubernetes-validate has schemas for
OLDEST = "1.29"
NEWEST = ".".join(kubernetes_validate.latest_version().split(".")[:2])
RENDERED = {"base": render(BASE), "trial": render(TRIAL)}

#: the app's command lines (the interface the manifests are written to)
PARTICIPANTS_ARGS = ["holding-space", "serve", "participants", "--port", "8866", "--ip", "0.0.0.0", "--behind-proxy"]
CONSOLE_ARGS = ["holding-space", "serve", "console", "--port", "8867", "--ip", "0.0.0.0", "--behind-proxy", "--base-url", "/console/"]
#: measured: the server ~250 MiB, the seat template ~150 MiB, a participant's kernel up to 30 MiB; 60 a pod
ROOM_MIB = 250 + 150 + 60 * 30
AFFINITY = {
    "nginx.ingress.kubernetes.io/affinity": "cookie",
    "nginx.ingress.kubernetes.io/affinity-mode": "persistent",
    "nginx.ingress.kubernetes.io/session-cookie-name": "hs_replica",
    "nginx.ingress.kubernetes.io/session-cookie-path": "/",
    "nginx.ingress.kubernetes.io/session-cookie-secure": "true",
    "nginx.ingress.kubernetes.io/session-cookie-samesite": "Lax",
    "nginx.ingress.kubernetes.io/session-cookie-change-on-failure": "true",
}
LONG_LIVED = {
    "nginx.ingress.kubernetes.io/proxy-read-timeout": "3600",
    "nginx.ingress.kubernetes.io/proxy-send-timeout": "3600",
    "nginx.ingress.kubernetes.io/proxy-body-size": "1m",
    "nginx.ingress.kubernetes.io/ssl-redirect": "true",
    "nginx.ingress.kubernetes.io/force-ssl-redirect": "true",
}


# ---------------------------------------------------------------------------------------- helpers
def objects(which: str, kind: str) -> list[dict]:
    return [o for o in RENDERED[which] if o["kind"] == kind]


def one(which: str, kind: str, name: str) -> dict:
    found = [o for o in objects(which, kind) if o["metadata"]["name"] == name]
    assert len(found) == 1, f"{which}: expected one {kind} {name}, found {len(found)}"
    return found[0]


def workloads(which: str) -> list[dict]:
    return objects(which, "Deployment") + objects(which, "StatefulSet")


def app_container(which: str, name: str) -> dict:
    (container,) = one(which, "Deployment", name)["spec"]["template"]["spec"]["containers"]
    return container


def env(container: dict) -> dict[str, dict]:
    return {e["name"]: e for e in container.get("env", [])}


def port_number(container: dict, port: int | str) -> int:
    """A probe's or a Service's target port, by number or by the container port's name."""
    if isinstance(port, int):
        return port
    named = [p["containerPort"] for p in container["ports"] if p.get("name") == port]
    assert named, f"container {container['name']} has no port named {port!r}"
    return named[0]


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def mebibytes(quantity: str) -> float:
    units = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024}
    number, unit = re.fullmatch(r"([0-9.]+)([KMG]i)", quantity).groups()
    return float(number) * units[unit]


def cores(quantity: str) -> float:
    return float(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def secret_keys(which: str, name: str) -> set[str]:
    """The keys of Secret ``name``: rendered (the trial), or the README's `kubectl create secret` (the base)."""
    rendered = [o for o in objects(which, "Secret") if o["metadata"]["name"] == name]
    if rendered:
        return set(rendered[0]["data"])
    command = re.search(rf"create secret generic {name} (.*?)\n\s*```", README.read_text(encoding="utf-8"), re.S)
    assert command, f"README has no `kubectl create secret generic {name}` command"
    return set(re.findall(r"--from-literal=([-._a-zA-Z0-9]+)=", command.group(1)))


def containerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of deploy/Containerfile, with continued lines joined and comments dropped."""
    lines = [line for line in CONTAINERFILE.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1].strip()) for line in joined.splitlines() if line.strip()]


def instructions(word: str) -> list[str]:
    return [rest for name, rest in containerfile() if name == word]


# ----------------------------------------------------------------------------- 1. the schemas
def test_the_schemas_are_new_enough():
    """Does the installed kubernetes-validate have schemas for Kubernetes 1.29 or newer?"""
    assert tuple(int(x) for x in NEWEST.split(".")) >= (1, 29)


@pytest.mark.parametrize("version", [OLDEST, NEWEST])
@pytest.mark.parametrize(
    "which, index",
    [(which, i) for which in RENDERED for i in range(len(RENDERED[which]))],
    ids=[f"{which}:{o['kind']}/{o['metadata']['name']}" for which in RENDERED for o in RENDERED[which]],
)
def test_every_object_matches_the_kubernetes_schema(which: str, index: int, version: str):
    """Does this rendered object validate, strictly (no unknown field), against the Kubernetes API schema?"""
    obj = RENDERED[which][index]
    assert kubernetes_validate.validate(obj, version, strict=True) == version


def test_strict_validation_rejects_a_misspelt_field():
    """Would the schema check catch a misspelt field or a number where Kubernetes wants a string?"""
    deployment = copy.deepcopy(one("base", "Deployment", "holding-space-participants"))
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, NEWEST, strict=True)
    deployment = copy.deepcopy(one("base", "Deployment", "holding-space-participants"))
    deployment["spec"]["template"]["spec"]["containers"][0]["args"][4] = 8866
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, NEWEST, strict=True)


def test_the_base_and_the_trial_render_what_they_should():
    """Does each kustomization render the expected objects, each in its namespace?"""
    base = {(o["kind"], o["metadata"]["name"]) for o in RENDERED["base"]}
    assert base == {
        ("Deployment", "holding-space-participants"), ("Service", "holding-space-participants"),
        ("HorizontalPodAutoscaler", "holding-space-participants"), ("PodDisruptionBudget", "holding-space-participants"),
        ("Ingress", "holding-space-participants"), ("Deployment", "holding-space-console"),
        ("Service", "holding-space-console"), ("Ingress", "holding-space-console"),
    }
    trial = {(o["kind"], o["metadata"]["name"]) for o in RENDERED["trial"]}
    assert trial == base | {("StatefulSet", "holding-space-postgres"), ("Service", "holding-space-postgres"),
                            ("Secret", "holding-space"), ("Secret", "holding-space-postgres")}
    assert {o["metadata"]["namespace"] for o in RENDERED["base"]} == {"holding-space"}
    assert {o["metadata"]["namespace"] for o in RENDERED["trial"]} == {"holding-space-trial"}


def test_the_base_makes_no_secret():
    """Does the base leave the Secret to the operator (an applied placeholder would overwrite the real one)?"""
    assert objects("base", "Secret") == []


# ------------------------------------------------------------------------------- 2. the wiring
@pytest.mark.parametrize("which", RENDERED)
def test_each_workload_selects_its_own_pods(which: str):
    """Does every Deployment's and StatefulSet's selector match its pod labels, and no other workload's pods?"""
    for workload in workloads(which):
        selector = workload["spec"]["selector"]["matchLabels"]
        assert selects(selector, workload["spec"]["template"]["metadata"]["labels"]), workload["metadata"]["name"]
        for other in workloads(which):
            if other is not workload:
                assert not selects(selector, other["spec"]["template"]["metadata"]["labels"]), (workload["metadata"]["name"], other["metadata"]["name"])


@pytest.mark.parametrize("which", RENDERED)
def test_each_service_reaches_exactly_one_workload_on_a_real_port(which: str):
    """Does every Service select the pods of exactly one workload, and target a port its container has?"""
    for service in objects(which, "Service"):
        matched = [w for w in workloads(which) if selects(service["spec"]["selector"], w["spec"]["template"]["metadata"]["labels"])]
        assert len(matched) == 1, f"{service['metadata']['name']} selects {[w['metadata']['name'] for w in matched]}"
        (container,) = matched[0]["spec"]["template"]["spec"]["containers"]
        for port in service["spec"]["ports"]:
            number = port_number(container, port["targetPort"])
            assert number in [p["containerPort"] for p in container["ports"]], (service["metadata"]["name"], number)


def test_the_participant_service_leaves_affinity_to_the_ingress():
    """Does the participants' Service balance freely (sessionAffinity None), the Ingress pinning by cookie?"""
    assert one("base", "Service", "holding-space-participants")["spec"]["sessionAffinity"] == "None"


@pytest.mark.parametrize("which", RENDERED)
def test_ingress_backends_name_existing_services_and_ports(which: str):
    """Does every Ingress path lead to a Service that exists, on a port that Service has?"""
    services = {s["metadata"]["name"]: s for s in objects(which, "Service")}
    routes = {}
    for ingress in objects(which, "Ingress"):
        assert ingress["spec"]["ingressClassName"] == "nginx"
        hosts = {h for tls in ingress["spec"]["tls"] for h in tls["hosts"]}
        for rule in ingress["spec"]["rules"]:
            assert rule["host"] in hosts, f"{rule['host']} is served without TLS"
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                assert backend["name"] in services, backend["name"]
                ports = services[backend["name"]]["spec"]["ports"]
                assert any(backend["port"] in ({"name": p.get("name")}, {"number": p["port"]}) for p in ports), backend
                routes[path["path"]] = backend["name"]
    assert routes == {"/": "holding-space-participants", "/console": "holding-space-console"}


def test_the_participant_ingress_is_sticky_and_lets_websockets_live():
    """Has the participants' Ingress the ingress-nginx cookie affinity, hour-long timeouts, 1 MiB bodies and HTTPS?"""
    annotations = one("base", "Ingress", "holding-space-participants")["metadata"]["annotations"]
    assert {k: annotations.get(k) for k in AFFINITY} == AFFINITY
    assert {k: annotations.get(k) for k in LONG_LIVED} == LONG_LIVED
    assert "http_503" in annotations["nginx.ingress.kubernetes.io/proxy-next-upstream"].split()


def test_the_console_ingress_sets_no_affinity_cookie():
    """Does the console's Ingress leave hs_replica alone (a facilitator's participant tab keeps its pod)?"""
    annotations = one("base", "Ingress", "holding-space-console")["metadata"]["annotations"]
    assert not [k for k in annotations if "affinity" in k or "session-cookie" in k]
    assert {k: annotations.get(k) for k in LONG_LIVED} == LONG_LIVED


@pytest.mark.parametrize("which", RENDERED)
@pytest.mark.parametrize("name, args, prefix", [
    ("holding-space-participants", PARTICIPANTS_ARGS, ""),
    ("holding-space-console", CONSOLE_ARGS, "/console"),
])
def test_the_app_runs_its_command_and_probes_its_health(which: str, name: str, args: list[str], prefix: str):
    """Does each app container run its `holding-space serve` command and probe health and ready on that port?"""
    container = app_container(which, name)
    assert "command" not in container, "the image's ENTRYPOINT (tini) must stay"
    assert container["args"] == args
    port = int(args[args.index("--port") + 1])
    assert [p["containerPort"] for p in container["ports"]] == [port]
    probes = {kind: container[kind]["httpGet"] for kind in ("startupProbe", "livenessProbe", "readinessProbe")}
    assert probes["startupProbe"]["path"] == probes["livenessProbe"]["path"] == f"{prefix}/holding-space/health"
    assert probes["readinessProbe"]["path"] == f"{prefix}/holding-space/ready"
    for probe in probes.values():
        assert port_number(container, probe["port"]) == port


@pytest.mark.parametrize("which", RENDERED)
def test_every_secret_the_containers_read_exists_with_that_key(which: str):
    """Does every secretKeyRef name a Secret key that exists (rendered, or in the README's create command)?"""
    refs = [(c["name"], e["valueFrom"]["secretKeyRef"]) for w in workloads(which) for c in w["spec"]["template"]["spec"]["containers"]
            for e in c.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})]
    assert len(refs) >= 8
    for container, ref in refs:
        assert ref["key"] in secret_keys(which, ref["name"]), f"{container} reads {ref['name']}/{ref['key']}, which is not there"


def test_the_readme_secret_has_exactly_the_keys_the_base_reads():
    """Does the README's `kubectl create secret` make every key the base reads, and none it does not?"""
    read = {e["valueFrom"]["secretKeyRef"]["key"] for d in objects("base", "Deployment") for c in d["spec"]["template"]["spec"]["containers"]
            for e in c["env"] if "secretKeyRef" in e.get("valueFrom", {})}
    assert read == secret_keys("base", "holding-space") == {"token", "cookie-secret", "workshop-id", "db-url", "join-base"}


@pytest.mark.parametrize("which", RENDERED)
def test_the_app_gets_the_environment_it_needs(which: str):
    """Do the participant servers and the console get the HOLDING_SPACE_* variables of the interface,
    with HOLDING_SPACE_DATA on a writable volume?"""
    needs = {
        "holding-space-participants": {"HOLDING_SPACE_DB", "HOLDING_SPACE_TOKEN", "HOLDING_SPACE_COOKIE_SECRET", "HOLDING_SPACE_WORKSHOP_ID", "HOLDING_SPACE_DATA"},
        "holding-space-console": {"HOLDING_SPACE_DB", "HOLDING_SPACE_COOKIE_SECRET", "HOLDING_SPACE_DATA", "HOLDING_SPACE_JOIN_BASE"},
    }
    for name, names in needs.items():
        container = app_container(which, name)
        variables = env(container)
        assert names <= set(variables), f"{name} lacks {names - set(variables)}"
        assert variables["HOLDING_SPACE_DATA"]["value"] in {m["mountPath"] for m in container["volumeMounts"]}
    participants, console = (env(app_container(which, n)) for n in needs)
    for shared in ("HOLDING_SPACE_COOKIE_SECRET", "HOLDING_SPACE_WORKSHOP_ID", "HOLDING_SPACE_DB"):
        assert participants[shared] == console[shared], f"{shared} differs between the replicas and the console"


def test_the_hpa_scales_the_participant_deployment_gently():
    """Does the HPA target the participants' Deployment on CPU, from 2 pods, and scale down slowly?"""
    hpa = one("base", "HorizontalPodAutoscaler", "holding-space-participants")
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["apiVersion"], target["kind"]) == ("apps/v1", "Deployment")
    one("base", "Deployment", target["name"])
    assert target["name"] == "holding-space-participants"
    assert hpa["spec"]["minReplicas"] == 2 and hpa["spec"]["maxReplicas"] >= 4
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
    assert hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 600
    assert "replicas" not in one("base", "Deployment", "holding-space-participants")["spec"], "the HPA owns the count"


def test_the_participant_pods_have_a_disruption_budget_and_time_to_stop():
    """Does a PodDisruptionBudget keep one participant pod, and does each pod get time to stop its kernels?"""
    pdb = one("base", "PodDisruptionBudget", "holding-space-participants")
    deployment = one("base", "Deployment", "holding-space-participants")
    assert pdb["spec"]["minAvailable"] == 1
    assert selects(pdb["spec"]["selector"]["matchLabels"], deployment["spec"]["template"]["metadata"]["labels"])
    assert not selects(pdb["spec"]["selector"]["matchLabels"], one("base", "Deployment", "holding-space-console")["spec"]["template"]["metadata"]["labels"])
    assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] >= 30


def test_participant_resources_follow_the_measured_room():
    """Is the participant pod's memory request at least 250 + 150 + 60 x 30 MiB, under its limit, with 1-2 CPUs?"""
    resources = app_container("base", "holding-space-participants")["resources"]
    assert ROOM_MIB <= mebibytes(resources["requests"]["memory"]) < mebibytes(resources["limits"]["memory"]) <= 4096
    assert (cores(resources["requests"]["cpu"]), cores(resources["limits"]["cpu"])) == (1, 2)


@pytest.mark.parametrize("which", RENDERED)
def test_every_container_has_requests_and_limits(which: str):
    """Does every container request and limit both CPU and memory (the limit never below the request)?"""
    for workload in workloads(which):
        for container in workload["spec"]["template"]["spec"]["containers"]:
            resources = container["resources"]
            for resource, parse in (("cpu", cores), ("memory", mebibytes)):
                assert parse(resources["requests"][resource]) <= parse(resources["limits"][resource]), (container["name"], resource)


@pytest.mark.parametrize("which", RENDERED)
def test_every_pod_is_locked_down(which: str):
    """Does every pod run as non-root under RuntimeDefault seccomp, every container without privileges or
    capabilities on a read-only root, writing only to emptyDir or claimed volumes it mounts?"""
    for workload in workloads(which):
        pod = workload["spec"]["template"]["spec"]
        name = workload["metadata"]["name"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] > 0, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert pod["automountServiceAccountToken"] is False, name
        volumes = {v["name"] for v in pod.get("volumes", []) if "emptyDir" in v}
        volumes |= {t["metadata"]["name"] for t in workload["spec"].get("volumeClaimTemplates", [])}
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert context.get("privileged", False) is False, name
            assert context["capabilities"]["drop"] == ["ALL"] and "add" not in context["capabilities"], name
            assert {m["name"] for m in container["volumeMounts"]} <= volumes, name
            assert "/tmp" in {m["mountPath"] for m in container["volumeMounts"]}, f"{name} has no writable /tmp"


def test_the_app_pods_run_as_the_image_user():
    """Do the app pods run as the uid the Containerfile's USER names?"""
    (user,) = instructions("USER")
    uid, _, gid = user.partition(":")
    for name in ("holding-space-participants", "holding-space-console"):
        context = one("base", "Deployment", name)["spec"]["template"]["spec"]["securityContext"]
        assert (context["runAsUser"], context["runAsGroup"]) == (int(uid), int(gid))


def test_the_trial_points_the_app_at_its_own_postgres():
    """In the trial, does HOLDING_SPACE_DB name the StatefulSet's Service, port, user and database,
    with the password from the Secret the PostgreSQL container reads?"""
    statefulset = one("trial", "StatefulSet", "holding-space-postgres")
    service = one("trial", "Service", statefulset["spec"]["serviceName"])
    assert selects(service["spec"]["selector"], statefulset["spec"]["template"]["metadata"]["labels"])
    (postgres,) = statefulset["spec"]["template"]["spec"]["containers"]
    assert postgres["image"].rsplit("/", 1)[-1] == "postgres:15"
    pg = env(postgres)
    password_ref = pg["POSTGRES_PASSWORD"]["valueFrom"]["secretKeyRef"]
    assert password_ref["key"] in secret_keys("trial", password_ref["name"])
    assert statefulset["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"]
    for name in ("holding-space-participants", "holding-space-console"):
        variables = app_container("trial", name)["env"]
        names = [e["name"] for e in variables]
        url = env(app_container("trial", name))["HOLDING_SPACE_DB"]["value"]
        parts = urlsplit(url)
        assert parts.scheme == "postgresql+psycopg"
        assert parts.hostname == service["metadata"]["name"]
        assert parts.port in [p["port"] for p in service["spec"]["ports"]]
        assert parts.username == pg["POSTGRES_USER"]["value"] and parts.path == "/" + pg["POSTGRES_DB"]["value"]
        variable = re.fullmatch(r"\$\((\w+)\)", parts.password).group(1)
        assert names.index(variable) < names.index("HOLDING_SPACE_DB"), "Kubernetes expands only variables defined before"
        assert env(app_container("trial", name))[variable]["valueFrom"]["secretKeyRef"] == password_ref


def test_the_trial_secrets_are_obvious_placeholders():
    """Are the trial's generated Secret values placeholders that say "change-me" (none pass for real)?"""
    for secret in objects("trial", "Secret"):
        for key, value in secret["data"].items():
            assert "change-me" in base64.b64decode(value).decode(), f"{secret['metadata']['name']}/{key}"


def test_the_trial_scales_within_a_small_cluster():
    """Does the trial's HPA allow one or two participant pods (the patch applied)?"""
    hpa = one("trial", "HorizontalPodAutoscaler", "holding-space-participants")
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (1, 2)


def test_the_readme_says_plainly_what_was_not_run():
    """Does the README say that no cluster and no image build were tried here, and how to add a facilitator?"""
    text = " ".join(README.read_text(encoding="utf-8").split())
    assert "No cluster" in text and "No image was built" in text
    assert re.search(r"kubectl [^`]*\bexec -i deployment/holding-space-console [^`]*holding-space facilitator add", text)


# ---------------------------------------------------------------------------- 3. the renderer
def kustomization(folder: Path, spec: dict, files: dict[str, object] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kustomization.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    for name, content in (files or {}).items():
        (folder / name).write_text(yaml.safe_dump_all(content) if isinstance(content, list) else yaml.safe_dump(content), encoding="utf-8")
    return folder


SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}}


def test_the_renderer_does_what_kustomize_does_for_the_keys_it_knows(tmp_path: Path):
    """Does the renderer read a base, set the namespace, generate a base64 Secret and apply JSON 6902 operations?"""
    kustomization(tmp_path / "base", {"resources": ["service.yaml"]}, {"service.yaml": [SERVICE]})
    patch = "- {op: test, path: /spec/ports/0/port, value: 80}\n- {op: add, path: /spec/ports/-, value: {port: 443}}\n- {op: replace, path: /spec/ports/0/port, value: 8080}"
    overlay = kustomization(tmp_path / "overlay", {
        "namespace": "n", "resources": ["../base"], "generatorOptions": {"disableNameSuffixHash": True},
        "secretGenerator": [{"name": "s", "literals": ["k=v=w"]}],
        "patches": [{"target": {"kind": "Service", "name": "web"}, "patch": patch}],
    })
    service, secret = render(overlay)
    assert service["metadata"]["namespace"] == secret["metadata"]["namespace"] == "n"
    assert service["spec"]["ports"] == [{"port": 8080}, {"port": 443}]
    assert secret == {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "n"}, "type": "Opaque",
                      "data": {"k": base64.b64encode(b"v=w").decode()}}


@pytest.mark.parametrize("spec, why", [
    ({"resources": ["service.yaml"], "commonLabels": {"a": "b"}}, "commonLabels"),
    ({"resources": ["service.yaml"], "images": [{"name": "x", "newTag": "1"}]}, "images"),
    ({"resources": ["https://github.com/example/repo//deploy"]}, "only relative files"),
    ({"secretGenerator": [{"name": "s", "literals": ["k=v"]}]}, "disableNameSuffixHash"),
    ({"generatorOptions": {"disableNameSuffixHash": True}, "secretGenerator": [{"name": "s", "envs": ["x.env"]}]}, "name, type and literals"),
    ({"generatorOptions": {"disableNameSuffixHash": True}, "secretGenerator": [{"name": "s", "literals": ["k='v'"]}]}, "strips quotes"),
    ({"resources": ["service.yaml"], "patches": [{"path": "patch.yaml"}]}, "inline patch"),
    ({"resources": ["service.yaml"], "patches": [{"target": {"kind": "Service"}, "patch": "spec: {type: NodePort}"}]}, "JSON 6902"),
    ({"resources": ["service.yaml"], "patches": [{"target": {"kind": "Service", "labelSelector": "a=b"}, "patch": "[]"}]}, "kind and name"),
    ({"resources": ["service.yaml"], "patches": [{"target": {"kind": "Serv.*"}, "patch": "[]"}]}, "regular expression"),
    ({"resources": ["service.yaml"], "patches": [{"target": {"kind": "Deployment"}, "patch": "[]"}]}, "matches nothing"),
    ({"resources": ["service.yaml"], "patches": [{"target": {"kind": "Service"}, "patch": "[{op: move, from: /a, path: /b}]"}]}, "only add, remove"),
    ({"resources": ["service.yaml"], "patches": [{"target": {"kind": "Service"}, "patch": "[{op: test, path: /spec/ports/0/port, value: 81}]"}]}, "test failed"),
    ({"resources": ["service.yaml", "service.yaml"]}, "defined twice"),
    ({"resources": ["namespace.yaml"]}, "not implemented"),
])
def test_the_renderer_refuses_what_it_does_not_implement(tmp_path: Path, spec: dict, why: str):
    """Does the renderer raise, naming the reason, on a key, generator, patch or kind it does not implement?"""
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}}
    folder = kustomization(tmp_path, spec, {"service.yaml": [SERVICE], "namespace.yaml": [namespace]})
    with pytest.raises(UnsupportedKustomization, match=re.escape(why)):
        render(folder)


# ------------------------------------------------------------------------ 4. the Containerfile
def test_the_image_starts_the_participant_server_under_tini():
    """Is the image's command `holding-space serve participants ...` as the Deployment runs it, behind tini?"""
    (entrypoint,) = instructions("ENTRYPOINT")
    (cmd,) = instructions("CMD")
    assert json.loads(entrypoint) == ["/usr/bin/tini", "--"]
    assert json.loads(cmd) == PARTICIPANTS_ARGS == app_container("base", "holding-space-participants")["args"]
    assert any("tini" in shlex.split(run) for run in instructions("RUN")), "tini is never installed"


def test_the_image_installs_the_checkout_editable_with_its_folders():
    """Does the image copy the kit's run-time folders to /app (never data/) and install /app editable, with psycopg?"""
    copied = set()
    for rest in instructions("COPY"):
        *sources, destination = shlex.split(rest)
        assert destination.startswith("/app"), rest
        copied |= {s.rstrip("/") for s in sources}
    assert {"pyproject.toml", "README.md", "workshop", "widgets", "notebooks", "facilitator_guide"} <= copied
    assert "." not in copied and "data" not in copied, "a COPY of the whole checkout would take data/ (a session database) along"
    installs = [shlex.split(run) for run in instructions("RUN") if "pip" in shlex.split(run)]
    assert any("--editable" in words and words[words.index("--editable") + 1] == "/app" for words in installs)
    assert any(any(w.startswith("psycopg") for w in words) for words in installs), "HOLDING_SPACE_DB=postgresql+psycopg needs psycopg"


def test_the_image_runs_as_a_numeric_non_root_user():
    """Is the image's last USER a numeric uid:gid other than root (so runAsNonRoot can check it)?"""
    users = instructions("USER")
    assert users, "no USER: the image would run as root"
    assert re.fullmatch(r"[1-9][0-9]*:[1-9][0-9]*", users[-1]), users[-1]
    assert [name for name, _ in containerfile()].index("USER") > max(i for i, (name, _) in enumerate(containerfile()) if name == "RUN")


def test_the_image_uses_a_python_the_project_accepts():
    """Is the base image a Python at least as new as pyproject's requires-python, and does it expose both ports?"""
    (base,) = instructions("FROM")
    image = tuple(int(x) for x in re.search(r"python:(\d+)\.(\d+)", base).groups())
    required = tomllib.loads((KIT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    assert image >= tuple(int(x) for x in required.removeprefix(">=").split(".")[:2]), (base, required)
    assert instructions("EXPOSE") == ["8866 8867"]
    assert "HOLDING_SPACE_DATA=/data" in " ".join(instructions("ENV"))
