//! In-process cost of one admission decision: parse the AdmissionReview,
//! read the object, run the enforce/warn/audit levels, build the response
//! (and, for /mutate, the patch). `cargo bench -p kaegis-admission`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kaegis_admission::{Admission, ClusterView, review};
use kaegis_core::{Labels, Selection};
use kaegis_policy::AdmissionSpec;

const DEPLOYMENT: &str = r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"3f2a","kind":{"group":"apps","version":"v1","kind":"Deployment"},"resource":{"group":"apps","version":"v1","resource":"deployments"},"namespace":"shop","operation":"CREATE","userInfo":{"username":"ci","groups":["system:authenticated"]},"object":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"frontend","namespace":"shop","labels":{"app.kubernetes.io/name":"frontend","app.kubernetes.io/instance":"frontend-prod"}},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"frontend"}},"template":{"metadata":{"labels":{"app":"frontend"}},"spec":{"serviceAccountName":"frontend","automountServiceAccountToken":false,"securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"web","image":"registry.example.com/shop/frontend:1.4.2","ports":[{"containerPort":8080}],"env":[{"name":"MODE","value":"production"}],"resources":{"requests":{"cpu":"100m","memory":"128Mi"},"limits":{"memory":"256Mi"}},"readinessProbe":{"httpGet":{"path":"/ready","port":8080}},"livenessProbe":{"httpGet":{"path":"/live","port":8080}},"securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"capabilities":{"drop":["ALL"]}}}]}}}}}}"#;

const PRIVILEGED: &str = r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"9c1d","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"namespace":"shop","operation":"CREATE","userInfo":{"username":"dev"},"object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"debug"},"spec":{"hostPID":true,"containers":[{"name":"sh","image":"busybox","securityContext":{"privileged":true}}]}}}}"#;

fn bench(c: &mut Criterion) {
    let admission = Admission::new(
        &kaegis_checks::CATALOG,
        &Selection::default(),
        AdmissionSpec::default(),
    )
    .unwrap();
    let mutating = ClusterView {
        namespace_labels: Some(Labels(vec![("kaegis.dev/mutate".into(), "true".into())])),
        ..ClusterView::default()
    };
    let mut g = c.benchmark_group("admission");
    g.throughput(Throughput::Elements(1));
    for (name, body) in [
        ("validate/hardened-deployment", DEPLOYMENT),
        ("validate/privileged-pod", PRIVILEGED),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let req = review::parse(body.as_bytes()).unwrap();
                let d = admission.validate(&req, &ClusterView::default());
                serde_json::to_vec(&d.response.to_review()).unwrap()
            })
        });
    }
    g.bench_function("mutate/privileged-pod", |b| {
        b.iter(|| {
            let req = review::parse(PRIVILEGED.as_bytes()).unwrap();
            let d = admission.mutate(&req, &mutating);
            serde_json::to_vec(&d.response.to_review()).unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
