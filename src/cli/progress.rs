//! Progress bars for long work (pack, verify, extract): bytes done, total,
//! throughput and time left, drawn on stderr only when stderr is a terminal
//! and neither `--quiet` nor `--json` was given. Piped or redirected runs
//! print nothing extra.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{json_mode, quiet_mode, t};

/// A progress bar, or nothing when progress is not to be shown.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// Whether progress would be drawn in this run.
    pub fn wanted() -> bool {
        !json_mode() && !quiet_mode() && std::io::stderr().is_terminal()
    }

    /// A bar labelled with the message `label` (a catalog id) counting bytes
    /// up to `total` (a spinner with bytes and throughput when the total is
    /// not known).
    pub fn new(label: &str, total: Option<u64>) -> Progress {
        if !Self::wanted() {
            return Progress { bar: None };
        }
        let left = t("msg-progress-left", &[]);
        let template = match total {
            Some(_) => {
                format!("{{msg}} [{{wide_bar}}] {{bytes}}/{{total_bytes}} {{binary_bytes_per_sec}} {left} {{eta}}")
            }
            None => "{msg} {spinner} {bytes} {binary_bytes_per_sec}".to_string(),
        };
        let style = ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr())
            .with_style(style)
            .with_message(t(label, &[]));
        bar.enable_steady_tick(Duration::from_millis(200));
        // Drawn at once, so that even work that ends before the first tick
        // has said what it was doing.
        bar.tick();
        Progress { bar: Some(bar) }
    }

    /// Records that `done` bytes of file data are through.
    pub fn set(&self, done: u64) {
        if let Some(b) = &self.bar {
            b.set_position(done);
        }
    }
}

impl Drop for Progress {
    /// The bar disappears when the work ends, however it ends, so that the
    /// report or the error line is what remains on the screen.
    fn drop(&mut self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
