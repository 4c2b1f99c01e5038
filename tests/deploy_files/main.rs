//! The files under deploy/, checked by the tools that will read them: promtool (Prometheus
//! configs, rules, the rules' unit tests and every dashboard query), hadolint,
//! systemd-analyze, kubectl kustomize with kubernetes-validate, and docker compose. A
//! missing tool fails its test with how to install it (`.ci/run` installs them all):
//! nothing here is skipped.

mod compose;
mod docker;
mod grafana;
mod kubernetes;
mod metric_names;
mod prometheus;
mod systemd;
mod tools;
