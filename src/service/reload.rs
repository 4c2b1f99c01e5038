//! Hot reload of the rule files: the ReloadRules RPC, SIGHUP and a watch on the files all
//! end in [`App::reload_rules`], which swaps in a whole new generation or nothing.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::App;
use crate::rules::RuleSet;

/// Editors save in bursts (write, rename, chmod): wait for quiet before reading.
const SETTLE: Duration = Duration::from_millis(300);

impl App {
    /// Reads every rule file again and swaps them in as one generation. On any error the
    /// rules in force stay live and the error names file, line and key.
    pub fn reload_rules(&self, trigger: &'static str) -> anyhow::Result<Arc<RuleSet>> {
        match crate::config::load_rule_set(&self.rule_paths) {
            Ok(rules) => {
                let rules = Arc::new(rules);
                self.rules.store(rules.clone());
                for file in &rules.files {
                    tracing::info!(trigger, file = file.name, source = %file.source, version = %file.version, "rules reloaded");
                }
                crate::metrics::rules_reloaded(trigger, true);
                Ok(rules)
            }
            Err(e) => {
                tracing::error!(trigger, error = %format!("{e:#}"), "rules not reloaded; the previous rules stay in force");
                crate::metrics::rules_reloaded(trigger, false);
                Err(e)
            }
        }
    }
}

/// Reloads on SIGHUP and, with `watch`, whenever a rule file in force changes on disk,
/// until shutdown.
pub fn spawn_reloaders(app: Arc<App>, watch: bool) -> anyhow::Result<()> {
    let paths = if watch {
        app.rules.load().paths()
    } else {
        Vec::new()
    };
    let stop = app.shutdown.clone();
    spawn_reload_loop(&paths, stop, move |trigger| {
        let _ = app.reload_rules(trigger);
        // A revocation takes effect at once on SIGHUP, not at the next scheduled read.
        if trigger == "sighup" {
            let app = app.clone();
            tokio::spawn(async move { app.refresh_tokens(trigger).await });
        }
    })
}

/// Calls `reload` with its trigger on SIGHUP and whenever one of `paths` changes on disk
/// (none: SIGHUP only), until `stop`. The rules and the TLS certificate each run one.
pub fn spawn_reload_loop(
    paths: &[PathBuf],
    stop: CancellationToken,
    reload: impl Fn(&'static str) + Send + 'static,
) -> anyhow::Result<()> {
    let (changed, mut changes) = mpsc::unbounded_channel::<()>();
    let watcher = watch_files(paths, changed)?;
    tokio::spawn(async move {
        // Dropping the watcher ends the watch; keep it for the task's life.
        let _watcher = watcher;
        #[cfg(unix)]
        let mut hangup =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
        loop {
            #[cfg(unix)]
            let hup = async {
                match hangup.as_mut() {
                    Some(s) => s.recv().await,
                    None => std::future::pending().await,
                }
            };
            #[cfg(not(unix))]
            let hup = std::future::pending::<Option<()>>();
            let trigger = tokio::select! {
                _ = stop.cancelled() => return,
                _ = hup => "sighup",
                Some(()) = changes.recv() => {
                    tokio::time::sleep(SETTLE).await;
                    while changes.try_recv().is_ok() {}
                    "file_watch"
                }
            };
            reload(trigger);
        }
    });
    Ok(())
}

/// Watches the directories of `paths` (editors replace files by renaming, which a watch on
/// the file itself would miss) and signals changes to those files only.
fn watch_files(
    paths: &[PathBuf],
    changed: mpsc::UnboundedSender<()>,
) -> anyhow::Result<Option<RecommendedWatcher>> {
    if paths.is_empty() {
        return Ok(None);
    }
    let absolute = |p: &PathBuf| std::path::absolute(p).unwrap_or_else(|_| p.clone());
    let files: HashSet<PathBuf> = paths.iter().map(absolute).collect();
    let dirs: HashSet<PathBuf> = files
        .iter()
        .filter_map(|f| f.parent().map(PathBuf::from))
        .collect();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && !event.kind.is_access()
            && event.paths.iter().any(|p| files.contains(p))
        {
            let _ = changed.send(());
        }
    })?;
    for dir in dirs {
        watcher.watch(&dir, RecursiveMode::NonRecursive)?;
    }
    Ok(Some(watcher))
}
