//! Progress bars on stderr, for people only: hidden with --json or when stderr is not a
//! terminal, so scripts and logs see the result alone.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// A bar of `len` steps, shown only when `visible` and stderr is a terminal.
pub fn bar(len: u64, visible: bool, template: &str) -> ProgressBar {
    if !visible || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(template)
            .expect("the templates are constants")
            .progress_chars("=> "),
    );
    bar
}

/// Counting work items: "preparing backlog [=====>    ] 1200/5000 (35s)".
pub const COUNT: &str = "{msg:>20} [{bar:40}] {pos}/{len} ({eta})";
/// The measured run, by time: "[=====>   ] 12s/30s  1,234 calls, 0 errors".
pub const CLOCK: &str = "{prefix:>8} [{bar:40}] {msg}";
