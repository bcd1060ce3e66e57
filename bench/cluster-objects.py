#!/usr/bin/env python3
"""Writes the objects bench/cluster-audit.sh loads into its throw-away API
server: NAMESPACES namespaces of exactly 200 objects each (the Namespace
included) plus 49 cluster-scoped objects, as multi-document YAML (one JSON
document a line, which is YAML too), one file per namespace.

    python3 bench/cluster-objects.py OUTDIR NAMESPACES

The mix is what a team's namespace in a real cluster holds, with the security
posture varying the way it does in real clusters: half of the workloads
hardened (non-root, seccomp, no capabilities, read-only root, limits,
probes), a quarter ordinary (no securityContext, requests only), a quarter
insecure (root, :latest, host namespaces or privileged, hostPath, secrets in
plain env). Deployments come with the ReplicaSet and Pods a controller would
have made (ownerReferences set), which kaegis rolls up to the Deployment.
Deterministic: the same arguments give the same bytes.

Per namespace: 1 Namespace, 16 Deployments, 16 ReplicaSets, 16 Pods owned
by them, 14 Pods created directly, 3 StatefulSets, 1 DaemonSet, 2 Jobs,
2 CronJobs, 22 Services, 39 ConfigMaps, 28 Secrets, 12 ServiceAccounts,
6 Roles, 6 RoleBindings, 2 NetworkPolicies, 4 PersistentVolumeClaims,
3 PodDisruptionBudgets, 3 HorizontalPodAutoscalers, 2 Ingresses,
1 ResourceQuota, 1 LimitRange = 200.
Cluster-scoped: 20 ClusterRoles, 20 ClusterRoleBindings, 2 StorageClasses,
5 PersistentVolumes, 1 Validating- and 1 MutatingWebhookConfiguration = 49.
"""

import base64
import hashlib
import json
import os
import sys

APPS = ["cart", "checkout", "catalog", "search", "payments", "users", "auth",
        "orders", "shipping", "billing", "notify", "reviews", "inventory",
        "pricing", "media", "gateway", "reports", "ledger", "profile", "feed"]
TEAMS = ["shop", "platform", "data", "growth", "risk", "ml", "infra", "mobile",
         "web", "core"]
IMAGES = ["registry.example.com/{team}/{app}:1.{n}.{m}",
          "registry.example.com/{team}/{app}@sha256:{digest}",
          "ghcr.io/example/{app}:v2.{n}.{m}",
          "docker.io/library/nginx:latest"]


def h(*parts, n=10):
    """A stable pseudo-random hex string."""
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:n]


def uid(*parts):
    x = h(*parts, n=32)
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def labels(app, team, component="server", extra=None):
    out = {
        "app.kubernetes.io/name": app,
        "app.kubernetes.io/instance": f"{app}-prod",
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": team,
        "app.kubernetes.io/managed-by": "Helm",
        "team": team,
    }
    out.update(extra or {})
    return out


def container(ns, app, team, i, posture, enforced):
    """One container; posture: hardened | ordinary | insecure."""
    n, m = i % 9, (i * 7) % 13
    image = IMAGES[0 if posture != "insecure" else 3]
    if posture == "hardened" and i % 2:
        image = IMAGES[1]
    c = {
        "name": app,
        "image": image.format(team=team, app=app, n=n, m=m, digest=h(ns, app, i, n=64)),
        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"},
                  {"name": "metrics", "containerPort": 9090, "protocol": "TCP"}],
        "env": [
            {"name": "APP_NAME", "value": app},
            {"name": "LOG_LEVEL", "value": "info"},
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            {"name": "DB_HOST", "value": f"{app}-db.{ns}.svc.cluster.local"},
            {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": f"{app}-db", "key": "password"}}},
        ],
        "envFrom": [{"configMapRef": {"name": f"{app}-config"}}],
        "volumeMounts": [{"name": "config", "mountPath": "/etc/app", "readOnly": True},
                         {"name": "tmp", "mountPath": "/tmp"}],
    }
    if posture == "hardened":
        c["resources"] = {"requests": {"cpu": "100m", "memory": "128Mi"},
                          "limits": {"cpu": "500m", "memory": "256Mi"}}
        c["securityContext"] = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                "runAsNonRoot": True, "runAsUser": 10001,
                                "capabilities": {"drop": ["ALL"]},
                                "seccompProfile": {"type": "RuntimeDefault"}}
        c["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10}
        c["readinessProbe"] = {"httpGet": {"path": "/readyz", "port": "http"}, "periodSeconds": 5}
        c["imagePullPolicy"] = "IfNotPresent"
    elif posture == "ordinary":
        c["resources"] = {"requests": {"cpu": "250m", "memory": "256Mi"}}
        c["livenessProbe"] = {"tcpSocket": {"port": 8080}}
    else:
        c["env"].append({"name": "API_TOKEN", "value": "ghp_" + h(ns, app, i, "token", n=36)})
        c["env"].append({"name": "AWS_SECRET_ACCESS_KEY", "value": h(ns, app, i, "aws", n=40)})
        c["securityContext"] = {"runAsUser": 0}
        if not enforced:
            c["securityContext"].update({"privileged": i % 2 == 0,
                                         "capabilities": {"add": ["NET_ADMIN", "SYS_PTRACE"]}})
    return c


def pod_spec(ns, app, team, i, posture, enforced):
    spec = {
        "serviceAccountName": f"{app}-sa" if posture != "insecure" else "default",
        "containers": [container(ns, app, team, i, posture, enforced)],
        "volumes": [{"name": "config", "configMap": {"name": f"{app}-config"}},
                    {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
        "terminationGracePeriodSeconds": 30,
        "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 100, "podAffinityTerm": {
                "topologyKey": "kubernetes.io/hostname",
                "labelSelector": {"matchLabels": {"app.kubernetes.io/name": app}}}}]}},
    }
    if posture == "hardened":
        spec["automountServiceAccountToken"] = False
        spec["securityContext"] = {"runAsNonRoot": True, "fsGroup": 10001,
                                   "seccompProfile": {"type": "RuntimeDefault"}}
        spec["containers"].append({
            "name": "envoy", "image": f"registry.example.com/platform/envoy:1.3{i % 4}.1",
            "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
            "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}}})
    elif posture == "insecure" and not enforced:
        spec["hostNetwork"] = i % 3 == 0
        spec["hostPID"] = i % 5 == 0
        spec["volumes"].append({"name": "host", "hostPath": {"path": "/var/run/docker.sock"}})
        spec["containers"][0]["volumeMounts"].append({"name": "host", "mountPath": "/var/run/docker.sock"})
    return spec


def meta(name, ns=None, lbl=None, annotations=None, **extra):
    m = {"name": name}
    if ns:
        m["namespace"] = ns
    if lbl:
        m["labels"] = lbl
    if annotations:
        m["annotations"] = annotations
    m.update(extra)
    return m


def posture_of(i):
    return ("hardened", "hardened", "ordinary", "insecure")[i % 4]


def namespace_objects(k):
    team = TEAMS[k % len(TEAMS)]
    ns = f"{team}-{k:03d}"
    # A third of the namespaces enforce Pod Security baseline (the API
    # server then refuses privileged pods there: their insecure workloads
    # are only "restricted"-insecure), a third warn on restricted.
    enforced = k % 3 == 0
    ns_labels = {"team": team, "kubernetes.io/metadata.name": ns}
    if enforced:
        ns_labels["pod-security.kubernetes.io/enforce"] = "baseline"
        ns_labels["pod-security.kubernetes.io/warn"] = "restricted"
    elif k % 3 == 1:
        ns_labels["pod-security.kubernetes.io/warn"] = "restricted"
        ns_labels["pod-security.kubernetes.io/audit"] = "restricted"
    out = [{"apiVersion": "v1", "kind": "Namespace",
            "metadata": meta(ns, lbl=ns_labels, annotations={"owner": f"{team}@example.com"})}]
    ann = {"meta.helm.sh/release-name": team, "meta.helm.sh/release-namespace": ns,
           "deployment.kubernetes.io/revision": "3"}

    for i in range(16):
        app = APPS[i % len(APPS)] + ("" if i < len(APPS) else f"-{i}")
        posture = posture_of(i + k)
        lbl = labels(app, team)
        spec = pod_spec(ns, app, team, i + k, posture, enforced)
        dep_uid = uid(ns, "deploy", app)
        out.append({"apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": meta(app, ns, lbl, ann),
                    "spec": {"replicas": 1 + (i % 3) * (posture == "hardened"),
                             "revisionHistoryLimit": 5,
                             "selector": {"matchLabels": {"app.kubernetes.io/name": app}},
                             "strategy": {"type": "RollingUpdate",
                                          "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
                             "template": {"metadata": {"labels": lbl,
                                                       "annotations": {"prometheus.io/scrape": "true"}},
                                          "spec": spec}}})
        hash_ = h(ns, app, "rs", n=10)
        rs_name = f"{app}-{hash_}"
        rs_lbl = dict(lbl, **{"pod-template-hash": hash_})
        out.append({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "metadata": meta(rs_name, ns, rs_lbl, {"deployment.kubernetes.io/revision": "3"},
                                     ownerReferences=[{"apiVersion": "apps/v1", "kind": "Deployment",
                                                       "name": app, "uid": dep_uid, "controller": True}]),
                    "spec": {"replicas": 1,
                             "selector": {"matchLabels": {"app.kubernetes.io/name": app,
                                                          "pod-template-hash": hash_}},
                             "template": {"metadata": {"labels": rs_lbl}, "spec": spec}}})
        out.append({"apiVersion": "v1", "kind": "Pod",
                    "metadata": meta(f"{rs_name}-{h(ns, app, 'pod', n=5)}", ns, rs_lbl,
                                     ownerReferences=[{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                                       "name": rs_name, "uid": uid(ns, "rs", rs_name),
                                                       "controller": True}]),
                    "spec": spec})

    for i in range(14):
        app = ["debug", "toolbox", "migrate", "netshoot", "psql", "redis-cli", "curl"][i % 7]
        posture = posture_of(i + k + 1)
        out.append({"apiVersion": "v1", "kind": "Pod",
                    "metadata": meta(f"{app}-{i}", ns, labels(app, team, "tool")),
                    "spec": dict(pod_spec(ns, app, team, i + k, posture, enforced),
                                 restartPolicy="Never")})

    for i in range(3):
        app = ["postgres", "redis", "kafka"][i]
        posture = posture_of(i + k + 2)
        spec = pod_spec(ns, app, team, i + k, posture, enforced)
        spec["containers"][0]["volumeMounts"].append({"name": "data", "mountPath": "/var/lib/data"})
        out.append({"apiVersion": "apps/v1", "kind": "StatefulSet",
                    "metadata": meta(app, ns, labels(app, team, "database"), ann),
                    "spec": {"replicas": 3, "serviceName": f"{app}-headless",
                             "selector": {"matchLabels": {"app.kubernetes.io/name": app}},
                             "template": {"metadata": {"labels": labels(app, team, "database")},
                                          "spec": spec},
                             "volumeClaimTemplates": [{
                                 "metadata": {"name": "data"},
                                 "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "fast",
                                          "resources": {"requests": {"storage": "20Gi"}}}}]}})

    agent = pod_spec(ns, "log-agent", team, k, "insecure" if k % 2 else "ordinary", enforced)
    agent["tolerations"] = [{"operator": "Exists"}]
    out.append({"apiVersion": "apps/v1", "kind": "DaemonSet",
                "metadata": meta("log-agent", ns, labels("log-agent", team, "agent"), ann),
                "spec": {"selector": {"matchLabels": {"app.kubernetes.io/name": "log-agent"}},
                         "template": {"metadata": {"labels": labels("log-agent", team, "agent")},
                                      "spec": agent}}})

    for i in range(2):
        app = ["db-migrate", "reindex"][i]
        spec = dict(pod_spec(ns, app, team, i + k, posture_of(i + k), enforced), restartPolicy="OnFailure")
        out.append({"apiVersion": "batch/v1", "kind": "Job",
                    "metadata": meta(f"{app}-{h(ns, app, n=5)}", ns, labels(app, team, "job")),
                    "spec": {"backoffLimit": 3, "ttlSecondsAfterFinished": 3600,
                             "template": {"metadata": {"labels": labels(app, team, "job")}, "spec": spec}}})
        app = ["backup", "report"][i]
        spec = dict(pod_spec(ns, app, team, i + k + 1, posture_of(i + k + 1), enforced), restartPolicy="OnFailure")
        out.append({"apiVersion": "batch/v1", "kind": "CronJob",
                    "metadata": meta(app, ns, labels(app, team, "cron")),
                    "spec": {"schedule": f"{(i * 17 + k) % 60} {i + 2} * * *", "concurrencyPolicy": "Forbid",
                             "jobTemplate": {"spec": {"template": {
                                 "metadata": {"labels": labels(app, team, "cron")}, "spec": spec}}}}})

    for i in range(22):
        app = APPS[i % len(APPS)] + ("" if i < len(APPS) else f"-{i}")
        svc = {"selector": {"app.kubernetes.io/name": app},
               "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]}
        if i == 20:
            svc["type"] = "NodePort"
        elif i == 21:
            svc["type"] = "LoadBalancer"
            svc["loadBalancerSourceRanges"] = ["0.0.0.0/0"] if k % 2 else ["10.0.0.0/8"]
        name = app if i < 19 else f"{app}-ext"
        out.append({"apiVersion": "v1", "kind": "Service",
                    "metadata": meta(name, ns, labels(app, team)), "spec": svc})

    for i in range(39):
        app = APPS[i % len(APPS)]
        name = f"{app}-config" if i < len(APPS) else f"{app}-extra-{i}"
        data = {"application.properties": "\n".join(
                    f"{app}.setting{j}={h(ns, app, i, j, n=12)}" for j in range(12)),
                "LOG_FORMAT": "json", "FEATURE_FLAGS": "new-checkout,fast-search"}
        if i % 13 == 5:  # the credential someone pasted into a ConfigMap
            data["DATABASE_URL"] = f"postgres://admin:{h(ns, i, 'pw', n=16)}@db:5432/{app}"
        out.append({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": meta(name, ns, labels(app, team, "config")), "data": data})

    for i in range(28):
        app = APPS[i % len(APPS)]
        b64 = lambda s: base64.b64encode(s.encode()).decode()  # noqa: E731
        if i % 7 == 3:
            sec = {"type": "kubernetes.io/tls",
                   "data": {"tls.crt": b64("-----BEGIN CERTIFICATE-----\n" + h(ns, i, n=64) * 12),
                            "tls.key": b64("-----BEGIN PRIVATE KEY-----\n" + h(ns, i, 'k', n=64) * 8)}}
            name = f"{app}-tls"
        elif i % 7 == 5:
            sec = {"type": "kubernetes.io/dockerconfigjson",
                   "data": {".dockerconfigjson": b64(json.dumps(
                       {"auths": {"registry.example.com": {"auth": b64("ci:" + h(ns, i, n=20))}}}))}}
            name = f"{app}-pull"
        else:
            sec = {"type": "Opaque",
                   "data": {"username": b64(app), "password": b64(h(ns, i, "pw", n=24))}}
            name = f"{app}-db" if i < len(APPS) else f"{app}-creds-{i}"
        out.append(dict({"apiVersion": "v1", "kind": "Secret",
                         "metadata": meta(name, ns, labels(app, team, "secret"))}, **sec))

    for i in range(12):
        app = APPS[i % len(APPS)]
        sa = {"apiVersion": "v1", "kind": "ServiceAccount",
              "metadata": meta(f"{app}-sa" if i < 11 else "default", ns, labels(app, team))}
        if i % 2 == 0:
            sa["automountServiceAccountToken"] = False
        out.append(sa)

    for i in range(6):
        app = APPS[i]
        rules = [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}]
        if i == 4:
            rules.append({"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]})
        if i == 5 and k % 2:
            rules = [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]
        out.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                    "metadata": meta(f"{app}-reader", ns, labels(app, team)), "rules": rules})
        out.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                    "metadata": meta(f"{app}-reader", ns, labels(app, team)),
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                "name": f"{app}-reader"},
                    "subjects": [{"kind": "ServiceAccount", "name": f"{app}-sa", "namespace": ns}]})

    if k % 2 == 0:
        first = {"metadata": meta("default-deny", ns),
                 "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}
    else:
        first = {"metadata": meta("allow-monitoring", ns),
                 "spec": {"podSelector": {}, "policyTypes": ["Ingress"],
                          "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {
                              "kubernetes.io/metadata.name": "monitoring"}}}]}]}}
    second = {"metadata": meta("allow-frontend", ns),
              "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "gateway"}},
                       "policyTypes": ["Ingress"],
                       "ingress": [{"ports": [{"port": 8080, "protocol": "TCP"}]}]}}
    for np in (first, second):
        out.append(dict({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy"}, **np))

    for i in range(4):
        out.append({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                    "metadata": meta(f"uploads-{i}", ns, labels("uploads", team, "storage")),
                    "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "fast",
                             "resources": {"requests": {"storage": f"{5 * (i + 1)}Gi"}}}})
    for i in range(3):
        app = APPS[i]
        out.append({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                    "metadata": meta(app, ns, labels(app, team)),
                    "spec": {"minAvailable": 1 if i else "100%",
                             "selector": {"matchLabels": {"app.kubernetes.io/name": app}}}})
        out.append({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                    "metadata": meta(app, ns, labels(app, team)),
                    "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": app},
                             "minReplicas": 2, "maxReplicas": 10,
                             "metrics": [{"type": "Resource", "resource": {
                                 "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]}})
    for i in range(2):
        app = APPS[15 + i]
        ing = {"ingressClassName": "nginx",
               "rules": [{"host": f"{app}.{ns}.example.com", "http": {"paths": [{
                   "path": "/", "pathType": "Prefix",
                   "backend": {"service": {"name": app, "port": {"number": 80}}}}]}}]}
        if i == 0:
            ing["tls"] = [{"hosts": [f"{app}.{ns}.example.com"], "secretName": f"{app}-tls"}]
        out.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                    "metadata": meta(app, ns, labels(app, team)), "spec": ing})
    out.append({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": meta("compute", ns),
                "spec": {"hard": {"requests.cpu": "40", "requests.memory": "80Gi",
                                  "limits.memory": "160Gi", "pods": "200"}}})
    out.append({"apiVersion": "v1", "kind": "LimitRange", "metadata": meta("defaults", ns),
                "spec": {"limits": [{"type": "Container",
                                     "default": {"memory": "512Mi"},
                                     "defaultRequest": {"cpu": "100m", "memory": "128Mi"}}]}})
    assert len(out) == 200, len(out)
    return ns, out


def cluster_objects(namespaces):
    out = []
    rbac = "rbac.authorization.k8s.io/v1"
    for i in range(20):
        name = f"example:{APPS[i]}-operator"
        rules = [{"apiGroups": ["apps"], "resources": ["deployments", "statefulsets"],
                  "verbs": ["get", "list", "watch", "update", "patch"]},
                 {"apiGroups": [""], "resources": ["configmaps", "services"],
                  "verbs": ["get", "list", "watch", "create", "update"]}]
        if i % 5 == 0:
            rules.append({"apiGroups": [""], "resources": ["secrets"], "verbs": ["*"]})
        if i % 7 == 3:
            rules.append({"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]})
        out.append({"apiVersion": rbac, "kind": "ClusterRole",
                    "metadata": meta(name, lbl={"app.kubernetes.io/part-of": "operators"}), "rules": rules})
        ns = namespaces[i % len(namespaces)]
        role = "cluster-admin" if i % 6 == 1 else name
        out.append({"apiVersion": rbac, "kind": "ClusterRoleBinding",
                    "metadata": meta(f"example:{APPS[i]}-operator"),
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
                    "subjects": [{"kind": "ServiceAccount", "name": f"{APPS[i % 11]}-sa", "namespace": ns}]})
    for name, default in (("standard", True), ("fast", False)):
        sc = {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
              "metadata": meta(name, annotations={"storageclass.kubernetes.io/is-default-class": str(default).lower()}),
              "provisioner": "ebs.csi.aws.com", "reclaimPolicy": "Delete",
              "volumeBindingMode": "WaitForFirstConsumer", "allowVolumeExpansion": True,
              "parameters": {"type": "gp3" if default else "io2", "encrypted": "true" if default else "false"}}
        out.append(sc)
    for i in range(5):
        out.append({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": meta(f"legacy-nfs-{i}"),
                    "spec": {"capacity": {"storage": "100Gi"}, "accessModes": ["ReadWriteMany"],
                             "persistentVolumeReclaimPolicy": "Retain",
                             **({"hostPath": {"path": f"/srv/data{i}"}} if i % 2 else
                                {"nfs": {"server": "10.1.2.3", "path": f"/exports/{i}"}})}})
    # Rules match a group nothing here creates: the API server never calls
    # these webhooks while the benchmark loads its objects.
    hook = {"name": "policy.example.com", "admissionReviewVersions": ["v1"], "sideEffects": "None",
            "failurePolicy": "Ignore", "timeoutSeconds": 5,
            "clientConfig": {"service": {"name": "policy-webhook", "namespace": namespaces[0], "path": "/validate"}},
            "rules": [{"apiGroups": ["example.com"], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"],
                       "resources": ["widgets"]}]}
    out.append({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
                "metadata": meta("policy.example.com"), "webhooks": [hook]})
    mhook = dict(hook, name="defaults.example.com",
                 clientConfig={"service": {"name": "policy-webhook", "namespace": namespaces[0], "path": "/mutate"}},
                 reinvocationPolicy="Never")
    out.append({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
                "metadata": meta("defaults.example.com"), "webhooks": [mhook]})
    assert len(out) == 49, len(out)
    return out


def write(path, docs):
    with open(path, "w") as f:
        f.write("\n---\n".join(json.dumps(d, separators=(",", ":")) for d in docs))
        f.write("\n")


def main():
    outdir, count = sys.argv[1], int(sys.argv[2])
    os.makedirs(outdir, exist_ok=True)
    names, namespaced = [], []
    for k in range(count):
        ns, objs = namespace_objects(k)
        names.append(ns)
        namespaced.append((ns, objs))
    # Namespaces (and cluster-scoped objects) first: the rest lives in them.
    write(os.path.join(outdir, "00-cluster.yaml"), [objs[0] for _, objs in namespaced] + cluster_objects(names))
    for ns, objs in namespaced:
        write(os.path.join(outdir, f"ns-{ns}.yaml"), objs[1:])


if __name__ == "__main__":
    main()
