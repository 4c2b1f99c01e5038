//! The Kubernetes manifests: rendered by kustomize, valid against the Kubernetes schemas,
//! carrying exactly the rule files of config/, mounted where the image reads them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::docker::DOCKERFILE;
use super::tools::{KUBECTL, KUBERNETES_VALIDATE, check, path_str, read, repo};

const KUSTOMIZATION_DIR: &str = "deploy/kubernetes";

/// Oldest Kubernetes the manifests support (`preStop: sleep` is on by default from 1.30)
/// and the newest whose schemas kubernetes-validate ships.
const KUBERNETES_VERSIONS: &[&str] = &["1.30.0", "1.37.0"];

/// `kubectl kustomize deploy/kubernetes`, written to a file in `dir`.
fn render_kustomization(dir: &Path) -> PathBuf {
    let out = check(&KUBECTL, &["kustomize", KUSTOMIZATION_DIR]);
    let file = dir.join("rendered.yaml");
    std::fs::write(&file, &out.stdout).unwrap();
    file
}

fn rendered_documents(file: &Path) -> Vec<serde_norway::Value> {
    let text = std::fs::read_to_string(file).unwrap();
    serde_norway::Deserializer::from_str(&text)
        .map(|doc| serde_norway::Value::deserialize(doc).expect("kustomize renders YAML"))
        .collect()
}

#[test]
fn manifests_match_the_schemas() {
    let dir = tempfile::tempdir().unwrap();
    let rendered = render_kustomization(dir.path());
    let secret_example = format!("{KUSTOMIZATION_DIR}/database-secret.example.yaml");
    for version in KUBERNETES_VERSIONS {
        check(
            &KUBERNETES_VALIDATE,
            &[
                "--strict",
                "--quiet",
                "--kubernetes-version",
                version,
                path_str(&rendered),
                &secret_example,
            ],
        );
    }
    let kinds: BTreeSet<String> = rendered_documents(&rendered)
        .iter()
        .map(|doc| doc["kind"].as_str().unwrap_or_default().to_string())
        .collect();
    for kind in ["Deployment", "Service", "ConfigMap", "PodDisruptionBudget"] {
        assert!(kinds.contains(kind), "no {kind} rendered: {kinds:?}");
    }
}

#[test]
fn rules_config_map_carries_every_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let documents = rendered_documents(&render_kustomization(dir.path()));
    let config_map = documents
        .iter()
        .find(|doc| {
            doc["kind"] == "ConfigMap"
                && doc["metadata"]["name"]
                    .as_str()
                    .is_some_and(|name| name.starts_with("hotline-rules"))
        })
        .expect("a hotline-rules ConfigMap");
    let shipped: BTreeMap<String, String> = config_map["data"]
        .as_mapping()
        .expect("ConfigMap data")
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().into(), v.as_str().unwrap().into()))
        .collect();
    let mut expected = BTreeMap::new();
    for entry in std::fs::read_dir(repo().join("config")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let name = path.file_name().unwrap().to_str().unwrap().to_string();
            expected.insert(name, std::fs::read_to_string(&path).unwrap());
        }
    }
    assert!(
        shipped == expected,
        "the hotline-rules ConfigMap has {:?}, config/ has {:?}, or their contents differ. \
         Copy config/*.toml to {KUSTOMIZATION_DIR}/config/ and list every file under \
         configMapGenerator in {KUSTOMIZATION_DIR}/kustomization.yaml",
        shipped.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
}

#[test]
fn rules_are_mounted_where_the_image_reads_them() {
    let workdir = read(DOCKERFILE)
        .lines()
        .filter_map(|line| line.strip_prefix("WORKDIR "))
        .next_back()
        .expect("the runtime stage sets WORKDIR")
        .trim()
        .to_string();
    let deployment = read(&format!("{KUSTOMIZATION_DIR}/deployment.yaml"));
    let deployment: serde_norway::Value = serde_norway::from_str(&deployment).unwrap();
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    let mounts = container["volumeMounts"].as_sequence().expect("mounts");
    assert!(
        mounts
            .iter()
            .any(|m| m["mountPath"].as_str() == Some(&format!("{workdir}/config"))),
        "the Deployment should mount the rules at {workdir}/config"
    );
}
