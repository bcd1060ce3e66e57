//! Parse and parse+check throughput over the real-world corpus
//! (../shared/corpus/realworld), single-threaded, bytes per second.
//!
//! `cargo bench -p kaegis-checks --bench scan`

use std::path::{Path, PathBuf};
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kaegis_core::{Engine, Inventory, Selection};
use kaegis_inputs::{Syntax, load};

fn corpus() -> Vec<(PathBuf, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/realworld");
    let (inputs, _) = kaegis_inputs::discover(&[root], &[]);
    inputs
        .into_iter()
        .filter_map(|i| match i {
            kaegis_inputs::Input::File(p) => std::fs::read(&p).ok().map(|b| (p, b)),
            kaegis_inputs::Input::Stdin => None,
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let files = corpus();
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    let engine = Engine::new(&kaegis_checks::CATALOG, &Selection::default()).unwrap();
    let mut g = c.benchmark_group("corpus");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("parse", |b| {
        b.iter(|| {
            let mut objects = 0;
            for (p, data) in &files {
                objects += load(Arc::from(p.as_path()), data, Syntax::for_path(p))
                    .objects
                    .len();
            }
            objects
        })
    });
    // As `kaegis scan` runs it: object-scope checks as each file is parsed,
    // the inventory built along the way, inventory-scope checks over the
    // objects kept for them.
    g.bench_function("parse+check", |b| {
        b.iter(|| {
            let mut findings = 0;
            let mut inventory = Inventory::default();
            let mut kept = Vec::new();
            for (p, data) in &files {
                for obj in load(Arc::from(p.as_path()), data, Syntax::for_path(p)).objects {
                    findings += engine.run_object(&obj).findings.len();
                    inventory.add(&obj);
                    if engine.keeps(&obj) {
                        kept.push(obj);
                    }
                }
            }
            let inventory = inventory.finish();
            for obj in &kept {
                findings += engine.run_inventory(obj, &inventory).findings.len();
            }
            findings
        })
    });
    g.finish();

    // The engine alone, on objects parsed once.
    let objects: Vec<_> = files
        .iter()
        .flat_map(|(p, data)| load(Arc::from(p.as_path()), data, Syntax::for_path(p)).objects)
        .collect();
    let mut g = c.benchmark_group("engine");
    g.throughput(Throughput::Elements(objects.len() as u64));
    let inventory = Inventory::build(&objects);
    g.bench_function("check-all-objects", |b| {
        b.iter(|| {
            objects
                .iter()
                .map(|o| engine.run_all(o, &inventory).findings.len())
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
