//! Events per second through the file path's pipeline (decode, every
//! built-in rule, deduplication, a JSON-lines sink to nowhere), on one
//! core, over synthetic traffic with a realistic mix of event sizes.
//!
//! `cargo bench -p kaegis-detect --bench throughput`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kaegis_detect::{Detector, JsonLines, Pipeline, Settings, State};
use kaegis_testcluster::audit::Traffic;

fn lines(requests: usize) -> Vec<String> {
    let mut t = Traffic::new(42);
    (0..requests)
        .flat_map(|_| t.next_request().lines())
        .collect()
}

fn throughput(c: &mut Criterion) {
    let lines = lines(20_000);
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    eprintln!(
        "{} events, {:.1} MB, mean {} bytes",
        lines.len(),
        bytes as f64 / 1e6,
        bytes / lines.len()
    );
    let mut g = c.benchmark_group("detect");
    g.throughput(Throughput::Elements(lines.len() as u64));
    g.sample_size(20);
    g.bench_function("file-path/builtin-rules", |b| {
        b.iter(|| {
            let detector = Detector::new(
                kaegis_detect::rules::builtin(),
                Settings::default(),
                State::default(),
            );
            let mut p = Pipeline::new(detector, vec![Box::new(JsonLines::new(std::io::sink()))]);
            for l in &lines {
                let _ = p.line(l.as_bytes());
            }
            p.emitted
        })
    });
    g.bench_function("decode-only", |b| {
        b.iter(|| {
            let mut n = 0;
            for l in &lines {
                n += kaegis_detect::event::for_each(l.as_bytes(), |_| {}).unwrap_or(0);
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, throughput);
criterion_main!(benches);
