//! The docker-compose stack: valid for docker compose, and its parts wired to each other
//! (mounts, health checks, Prometheus target, Grafana provisioning).

use std::path::Path;
use std::process::Command;

use serde::Deserialize;
use serde_json::Value as Json;

use super::docker::{DOCKERFILE, dockerfile_healthcheck};
use super::prometheus::PROMETHEUS_CONFIGS;
use super::tools::{
    DOCKER_COMPOSE_PLUGIN, DOCKER_COMPOSE_STANDALONE, Tool, check, read, repo, yaml,
};

const COMPOSE_FILE: &str = "deploy/compose/docker-compose.yml";
const GRAFANA_DASHBOARD_PROVIDER: &str = "deploy/grafana/provisioning/dashboards/hotline.yml";
const GRAFANA_DATASOURCE: &str = "deploy/grafana/provisioning/datasources/prometheus.yml";

/// Docker's compose plugin where it is installed, else the standalone `docker-compose`.
fn compose() -> &'static Tool {
    let plugin = Command::new("docker").args(["compose", "version"]).output();
    if plugin.is_ok_and(|out| out.status.success()) {
        &DOCKER_COMPOSE_PLUGIN
    } else {
        &DOCKER_COMPOSE_STANDALONE
    }
}

#[derive(Deserialize)]
struct DashboardProviders {
    providers: Vec<DashboardProvider>,
}

#[derive(Deserialize)]
struct DashboardProvider {
    options: DashboardProviderOptions,
}

#[derive(Deserialize)]
struct DashboardProviderOptions {
    path: String,
}

#[derive(Deserialize)]
struct Datasources {
    datasources: Vec<Datasource>,
}

#[derive(Deserialize)]
struct Datasource {
    url: String,
}

/// The host part of `http://host:port` or `host:port`.
fn host_of(address: &str) -> &str {
    let without_scheme = address.split_once("://").map_or(address, |(_, rest)| rest);
    without_scheme.split([':', '/']).next().unwrap()
}

#[test]
fn file_is_valid_and_wires_the_stack_together() {
    let compose = compose();
    check(compose, &["-f", COMPOSE_FILE, "config", "--quiet"]);
    let out = check(compose, &["-f", COMPOSE_FILE, "config", "--format", "json"]);
    let config: Json = serde_json::from_slice(&out.stdout).expect("compose prints JSON");
    let services = config["services"].as_object().expect("services");

    for name in ["hotline", "postgres", "prometheus", "grafana"] {
        let service = services
            .get(name)
            .unwrap_or_else(|| panic!("no {name} service"));
        assert!(
            service["healthcheck"]["test"].is_array(),
            "{name} has no healthcheck"
        );
        for volume in service["volumes"].as_array().into_iter().flatten() {
            if volume["type"] == "bind" {
                let source = volume["source"].as_str().unwrap();
                assert!(Path::new(source).exists(), "{name} mounts missing {source}");
            }
        }
    }
    assert_eq!(
        services["hotline"]["depends_on"]["postgres"]["condition"],
        "service_healthy"
    );
    assert_eq!(
        services["grafana"]["depends_on"]["prometheus"]["condition"],
        "service_healthy"
    );
    let mut healthcheck = vec!["CMD".to_string()];
    healthcheck.extend(dockerfile_healthcheck());
    assert_eq!(
        services["hotline"]["healthcheck"]["test"],
        serde_json::json!(healthcheck),
        "compose should check hotline as the image does"
    );
    let dockerfile = Path::new(services["hotline"]["build"]["context"].as_str().unwrap())
        .join(services["hotline"]["build"]["dockerfile"].as_str().unwrap());
    assert_eq!(dockerfile, repo().join(DOCKERFILE));

    // Prometheus scrapes the hotline service; Grafana reads that Prometheus and loads the
    // dashboards from where compose mounts them.
    let prometheus_config = read(PROMETHEUS_CONFIGS[0]);
    assert!(
        prometheus_config.contains("targets: [\"hotline:9464\"]"),
        "{} should scrape hotline:9464",
        PROMETHEUS_CONFIGS[0]
    );
    let datasources: Datasources = yaml(GRAFANA_DATASOURCE);
    for datasource in &datasources.datasources {
        let host = host_of(&datasource.url);
        assert!(services.contains_key(host), "no service {host} for Grafana");
    }
    let providers: DashboardProviders = yaml(GRAFANA_DASHBOARD_PROVIDER);
    let grafana_mounts = services["grafana"]["volumes"].as_array().unwrap();
    for provider in &providers.providers {
        let mounted = grafana_mounts.iter().find(|v| {
            v["target"].as_str() == Some(provider.options.path.as_str())
                && Path::new(v["source"].as_str().unwrap())
                    == repo().join("deploy/grafana/dashboards")
        });
        assert!(
            mounted.is_some(),
            "Grafana loads dashboards from {} but compose mounts none there",
            provider.options.path
        );
    }
}
