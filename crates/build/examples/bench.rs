//! Benchmark: `glidepath-build` against `kubectl kustomize` on a generated overlay.
//!
//! Run with `cargo run --profile dist -p glidepath-build --example bench [N...]` (default N = 100, 700,
//! 2000). For each N it writes, in a temporary directory, a base of N Deployment + Service +
//! ConfigMap triples and an overlay applying namespace, namePrefix, labels, commonAnnotations,
//! images, a configMapGenerator, a strategic merge patch on every Deployment (target by kind) and
//! a JSON 6902 patch with a regex name target. It prints the median glidepath build time (build
//! plus YAML output) and, when `kubectl` is on PATH, the `kubectl kustomize` time measured in the
//! same run, the ratio and whether both outputs are byte-identical. It never asserts timings.
//!
//! `kubectl` is skipped for an N whose estimated time (from the previous N, assuming quadratic
//! growth) exceeds `BENCH_KUBECTL_MAX_SECS` (default 300); each kubectl run is killed after that
//! many seconds. `BENCH_RUNS` sets the number of glidepath runs per N (default 5).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result<()> {
    let sizes: Vec<usize> = {
        let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
        if args.is_empty() { vec![100, 700, 2000] } else { args }
    };
    let runs: usize = env_or("BENCH_RUNS", 5);
    let kubectl_max = Duration::from_secs(env_or("BENCH_KUBECTL_MAX_SECS", 300));
    let kubectl = kubectl_available();
    if !kubectl {
        println!("kubectl not found on PATH: glidepath times only");
    }
    println!(
        "{:>6} {:>8} {:>14} {:>14} {:>9} {:>10}",
        "N", "objects", "glidepath ms", "kubectl ms", "ratio", "identical"
    );
    let mut last_kubectl: Option<(usize, Duration)> = None;
    for n in sizes {
        let root = std::env::temp_dir().join(format!("glidepath-bench-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let overlay = generate(&root, n)?;

        let mut times = Vec::with_capacity(runs);
        let mut output = String::new();
        let mut objects = 0;
        for _ in 0..runs.max(1) {
            let start = Instant::now();
            let built = glidepath_build::build_dir(&overlay)?;
            output = glidepath_build::to_yaml_stream(&built)?;
            times.push(start.elapsed());
            objects = built.len();
        }
        times.sort();
        let ours = times[times.len() / 2];

        let estimate = last_kubectl.map(|(m, t)| t.mul_f64((n as f64 / m as f64).powi(2)));
        let theirs = if !kubectl {
            None
        } else if estimate.is_some_and(|e| e > kubectl_max) {
            println!("(skipping kubectl for N={n}: estimated {:.0} s)", estimate.map_or(0.0, |e| e.as_secs_f64()));
            None
        } else {
            run_kubectl(&overlay, kubectl_max)?
        };
        if let Some((t, _)) = &theirs {
            last_kubectl = Some((n, *t));
        }
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        match theirs {
            Some((t, text)) => println!(
                "{n:>6} {objects:>8} {:>14.1} {:>14.1} {:>8.1}x {:>10}",
                ms(ours),
                ms(t),
                t.as_secs_f64() / ours.as_secs_f64(),
                if text == output { "yes" } else { "NO" }
            ),
            None => println!("{n:>6} {objects:>8} {:>14.1} {:>14} {:>9} {:>10}", ms(ours), "-", "-", "-"),
        }
        let _ = std::fs::remove_dir_all(&root);
    }
    Ok(())
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn kubectl_available() -> bool {
    Command::new("kubectl")
        .args(["version", "--client"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `kubectl kustomize DIR`, killed after `limit`; `None` when it fails or times out.
fn run_kubectl(dir: &Path, limit: Duration) -> Result<Option<(Duration, String)>> {
    let out_path = dir.with_extension("kubectl.out");
    let start = Instant::now();
    let mut child = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .stdout(std::fs::File::create(&out_path)?)
        .stderr(Stdio::null())
        .spawn()?;
    loop {
        if let Some(status) = child.try_wait()? {
            let elapsed = start.elapsed();
            if !status.success() {
                println!("kubectl kustomize failed: {status}");
                return Ok(None);
            }
            return Ok(Some((elapsed, std::fs::read_to_string(&out_path)?)));
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            println!("kubectl kustomize killed after {} s", limit.as_secs());
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Writes `root/base` (n triples) and `root/overlay`; returns the overlay directory.
fn generate(root: &Path, n: usize) -> Result<PathBuf> {
    let base = root.join("base");
    let overlay = root.join("overlay");
    std::fs::create_dir_all(&base)?;
    std::fs::create_dir_all(&overlay)?;
    let mut kust = String::from("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n");
    for i in 0..n {
        let file = format!("app-{i}.yaml");
        writeln!(kust, "- {file}")?;
        std::fs::write(base.join(file), triple(i))?;
    }
    std::fs::write(base.join("kustomization.yaml"), kust)?;
    std::fs::write(overlay.join("kustomization.yaml"), OVERLAY)?;
    Ok(overlay)
}

fn triple(i: usize) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  labels:
    app: app-{i}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: app-{i}
  template:
    metadata:
      labels:
        app: app-{i}
    spec:
      serviceAccountName: default
      containers:
      - name: app
        image: ghcr.io/example/app:1.0.0
        ports:
        - containerPort: 8080
          name: http
        envFrom:
        - configMapRef:
            name: app-{i}-config
        env:
        - name: SHARED
          valueFrom:
            configMapKeyRef:
              name: shared-config
              key: level
        volumeMounts:
        - name: config
          mountPath: /etc/app
      - name: sidecar
        image: busybox:1.36
        args: [sleep, infinity]
      volumes:
      - name: config
        configMap:
          name: app-{i}-config
---
apiVersion: v1
kind: Service
metadata:
  name: app-{i}
  labels:
    app: app-{i}
spec:
  selector:
    app: app-{i}
  ports:
  - name: http
    port: 80
    targetPort: http
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-{i}-config
data:
  index: \"{i}\"
  greeting: hello from app {i}
"
    )
}

const OVERLAY: &str = r#"apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: bench
namePrefix: prod-
resources:
- ../base
labels:
- pairs:
    env: production
  includeSelectors: true
- pairs:
    team: platform
  includeTemplates: true
commonAnnotations:
  owner: platform-team
images:
- name: ghcr.io/example/app
  newName: registry.example.com/app
  newTag: 2.0.0
- name: busybox
  digest: sha256:0000000000000000000000000000000000000000000000000000000000000000
configMapGenerator:
- name: shared-config
  literals:
  - level=info
  - mode=production
patches:
- target:
    kind: Deployment
  patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: not-used
    spec:
      replicas: 3
      template:
        spec:
          containers:
          - name: app
            resources:
              limits:
                memory: 256Mi
              requests:
                cpu: 100m
- target:
    kind: Service
    name: app-1.*
  patch: |-
    - op: add
      path: /metadata/labels/exposed
      value: "true"
    - op: replace
      path: /spec/ports/0/port
      value: 8080
"#;
