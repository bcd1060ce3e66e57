//! The cluster around a request, from watches (kube-rs reflectors), never
//! from a call per request: Namespaces (their labels choose levels),
//! NetworkPolicies, ServiceAccounts, ResourceQuotas, LimitRanges,
//! PodDisruptionBudgets, HorizontalPodAutoscalers and RBAC. Whenever a watch
//! changes a store, the [`Inventory`] the cross-object checks read is rebuilt
//! (at most twice a second) and swapped in; requests read the current one.
//!
//! The webhook is ready when every watch has listed its kind once. A kind
//! the cluster lacks or the webhook may not list keeps it unready, with the
//! reason logged, so a half-blind webhook never takes traffic.

use std::fmt::Debug;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{LimitRange, Namespace, ResourceQuota, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use kaegis_core::{Inventory, Labels, Object, Origin};
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::decide::ClusterView;
use crate::server::Views;

/// The kinds watched, as `kubectl` names them (for logs and docs).
pub const WATCHED: &[&str] = &[
    "namespaces",
    "serviceaccounts",
    "resourcequotas",
    "limitranges",
    "networkpolicies.networking.k8s.io",
    "poddisruptionbudgets.policy",
    "horizontalpodautoscalers.autoscaling",
    "roles.rbac.authorization.k8s.io",
    "clusterroles.rbac.authorization.k8s.io",
    "rolebindings.rbac.authorization.k8s.io",
    "clusterrolebindings.rbac.authorization.k8s.io",
];

type Snapshot = Box<dyn Fn() -> Vec<serde_json::Value> + Send + Sync>;

/// The watch cache.
pub struct ClusterCache {
    inventory: RwLock<Arc<Inventory>>,
    synced: AtomicUsize,
    kinds: usize,
    dirty: Arc<AtomicBool>,
    /// An inventory built after every kind was listed is in place.
    primed: AtomicBool,
}

impl ClusterCache {
    /// Starts a watch per kind on the runtime and returns at once; `ready()`
    /// turns true when every kind has been listed.
    pub fn start(client: Client) -> Arc<Self> {
        let dirty = Arc::new(AtomicBool::new(true));
        let cache = Arc::new(Self {
            inventory: RwLock::new(Arc::new(Inventory::default())),
            synced: AtomicUsize::new(0),
            kinds: WATCHED.len(),
            dirty: dirty.clone(),
            primed: AtomicBool::new(false),
        });
        let snapshots: Vec<Snapshot> = vec![
            watch::<Namespace>(&client, &cache),
            watch::<ServiceAccount>(&client, &cache),
            watch::<ResourceQuota>(&client, &cache),
            watch::<LimitRange>(&client, &cache),
            watch::<NetworkPolicy>(&client, &cache),
            watch::<PodDisruptionBudget>(&client, &cache),
            watch::<HorizontalPodAutoscaler>(&client, &cache),
            watch::<Role>(&client, &cache),
            watch::<ClusterRole>(&client, &cache),
            watch::<RoleBinding>(&client, &cache),
            watch::<ClusterRoleBinding>(&client, &cache),
        ];
        let weak = Arc::downgrade(&cache);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                let Some(cache) = weak.upgrade() else { return };
                if !cache.dirty.swap(false, Ordering::SeqCst) {
                    continue;
                }
                let synced = cache.synced.load(Ordering::SeqCst) >= cache.kinds;
                let objects: Vec<Object> = snapshots
                    .iter()
                    .flat_map(|s| s())
                    .filter_map(|v| {
                        kaegis_inputs::json::object_from_value(
                            &v,
                            Origin::Other(Arc::from("cluster")),
                        )
                    })
                    .collect();
                let inventory = Inventory::build(&objects);
                if let Ok(mut cur) = cache.inventory.write() {
                    *cur = Arc::new(inventory);
                }
                if synced {
                    cache.primed.store(true, Ordering::SeqCst);
                }
            }
        });
        cache
    }

    fn current(&self) -> Arc<Inventory> {
        self.inventory.read().map(|i| i.clone()).unwrap_or_default()
    }
}

fn watch<K>(client: &Client, cache: &Arc<ClusterCache>) -> Snapshot
where
    K: Resource + Clone + DeserializeOwned + Serialize + Debug + Send + Sync + 'static,
    K::DynamicType: Default + Eq + Hash + Clone,
{
    let api: Api<K> = Api::all(client.clone());
    let (reader, writer) = reflector::store::<K>();
    let dirty = cache.dirty.clone();
    let name = K::plural(&K::DynamicType::default()).to_string();
    let stream =
        reflector::reflector(writer, watcher(api, watcher::Config::default())).default_backoff();
    tokio::spawn(async move {
        let mut errors = 0usize;
        futures_util::pin_mut!(stream);
        while let Some(event) = stream.next().await {
            match event {
                Ok(_) => {
                    errors = 0;
                    dirty.store(true, Ordering::SeqCst);
                }
                Err(e) => {
                    errors += 1;
                    // Every error once, then every tenth: a forbidden list
                    // retries with backoff for as long as it lasts.
                    if errors == 1 || errors.is_multiple_of(10) {
                        eprintln!("kaegis admission: watching {name}: {e}");
                    }
                }
            }
        }
    });
    {
        let reader: Store<K> = reader.clone();
        let weak = Arc::downgrade(cache);
        tokio::spawn(async move {
            if reader.wait_until_ready().await.is_ok()
                && let Some(c) = weak.upgrade()
            {
                c.synced.fetch_add(1, Ordering::SeqCst);
                c.dirty.store(true, Ordering::SeqCst);
            }
        });
    }
    Box::new(move || {
        reader
            .state()
            .iter()
            .filter_map(|o| serde_json::to_value(&**o).ok())
            .collect()
    })
}

impl Views for ClusterCache {
    fn view(&self, namespace: &str) -> ClusterView {
        let inventory = self.current();
        let namespace_labels = if namespace.is_empty() {
            None
        } else {
            inventory
                .namespaces
                .get(namespace)
                .cloned()
                .or_else(|| Some(Labels::default()))
        };
        ClusterView {
            namespace_labels,
            inventory,
        }
    }

    fn ready(&self) -> bool {
        self.primed.load(Ordering::SeqCst)
    }
}
