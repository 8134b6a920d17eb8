//! Progress bars for long work (pack, verify, extract): bytes done, total,
//! throughput and time left, drawn on stderr only when stderr is a terminal
//! and neither `--quiet` nor `--json` was given. Piped or redirected runs
//! print nothing extra.
//!
//! The time left is the work left at the pace of the last [`WINDOW`] of
//! the run (not of the last moment, which swings with every burst and
//! pause), said only once the work has moved for [`WARMUP`], rounded up:
//! never "0s" before the end. Pack counts bytes compressed, not bytes read
//! (see `kura::vault::tally`), so the bar is not full while zstd still works.

use std::collections::VecDeque;
use std::fmt;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::style::ProgressTracker;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

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
                format!(
                    "{{msg}} [{{wide_bar}}] {{bytes}}/{{total_bytes}} {{binary_bytes_per_sec}} {left} {{time_left}}"
                )
            }
            None => "{msg} {spinner} {bytes} {binary_bytes_per_sec}".to_string(),
        };
        let style = ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key("time_left", TimeLeft::new())
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

/// How much of the recent run the estimate of the time left looks at.
const WINDOW: Duration = Duration::from_secs(30);
/// How long the work must have moved before there is an estimate.
const WARMUP: Duration = Duration::from_secs(3);

/// Where the work stood when it moved, over the last [`WINDOW`]: (time
/// since the start, position).
#[derive(Clone, Default, Debug)]
struct Pace {
    samples: VecDeque<(Duration, u64)>,
}

impl Pace {
    /// The work stands at `pos` at time `at`.
    fn record(&mut self, at: Duration, pos: u64) {
        if self.samples.back().is_some_and(|&(_, p)| p == pos) {
            return;
        }
        self.samples.push_back((at, pos));
        // Keep the newest sample from before the window, as its start.
        while self.samples.len() > 1 && at.saturating_sub(self.samples[1].0) >= WINDOW {
            self.samples.pop_front();
        }
    }

    /// Whole seconds left at time `now` (rounded up, so at least 1 until
    /// the end), or `None` while the pace is not known.
    fn left(&self, now: Duration, pos: u64, len: u64) -> Option<u64> {
        if pos >= len {
            return Some(0);
        }
        let &(since, from) = self.samples.front()?;
        let span = now.saturating_sub(since);
        if span < WARMUP || pos <= from {
            return None;
        }
        let per_sec = (pos - from) as f64 / span.as_secs_f64();
        let secs = ((len - pos) as f64 / per_sec).ceil();
        Some((secs as u64).max(1))
    }
}

/// A time left as the bar shows it: `?` while unknown, `45s`, `12m`,
/// `2h05m`.
fn show_left(secs: Option<u64>) -> String {
    match secs {
        None => "?".to_string(),
        Some(s) if s < 100 => format!("{s}s"),
        Some(s) if s < 100 * 60 => format!("{}m", s.div_ceil(60)),
        Some(s) => {
            let m = s.div_ceil(60);
            format!("{}h{:02}m", m / 60, m % 60)
        }
    }
}

/// The `{time_left}` of the bar's template.
#[derive(Clone)]
struct TimeLeft {
    start: Instant,
    pace: Pace,
}

impl TimeLeft {
    fn new() -> Self {
        TimeLeft {
            start: Instant::now(),
            pace: Pace::default(),
        }
    }
}

impl ProgressTracker for TimeLeft {
    fn clone_box(&self) -> Box<dyn ProgressTracker> {
        Box::new(self.clone())
    }

    fn tick(&mut self, state: &ProgressState, now: Instant) {
        self.pace.record(now.saturating_duration_since(self.start), state.pos());
    }

    fn reset(&mut self, _: &ProgressState, now: Instant) {
        *self = TimeLeft::new();
        self.start = now;
    }

    fn write(&self, state: &ProgressState, w: &mut dyn fmt::Write) {
        let len = state.len().unwrap_or(u64::MAX);
        let left = self.pace.left(self.start.elapsed(), state.pos(), len);
        let _ = w.write_str(&show_left(left));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn no_estimate_until_the_work_has_moved_for_a_while() {
        let mut p = Pace::default();
        assert_eq!(p.left(secs(10.0), 0, 100 * MIB), None);
        p.record(secs(0.0), 0);
        p.record(secs(1.0), MIB);
        assert_eq!(p.left(secs(1.0), MIB, 100 * MIB), None, "one second is no pace");
        assert_eq!(show_left(p.left(secs(1.0), MIB, 100 * MIB)), "?");
        p.record(secs(4.0), 4 * MIB);
        assert_eq!(p.left(secs(4.0), 4 * MIB, 100 * MIB), Some(96));
    }

    #[test]
    fn never_zero_seconds_before_the_end() {
        let mut p = Pace::default();
        for t in 0..=10 {
            p.record(secs(t as f64), t * 10 * MIB);
        }
        // A byte left at 10 MiB/s: still a second to go, not "0s".
        assert_eq!(p.left(secs(10.0), 100 * MIB, 100 * MIB + 1), Some(1));
        assert_eq!(show_left(p.left(secs(10.0), 100 * MIB, 100 * MIB + 1)), "1s");
        assert_eq!(p.left(secs(10.0), 100 * MIB, 100 * MIB), Some(0));
    }

    #[test]
    fn bursts_and_pauses_do_not_swing_the_estimate() {
        // 1 MiB/s for a minute, arriving in 8 MiB bursts every 8 s (zstd's
        // jobs at high levels), of 200 MiB.
        let mut p = Pace::default();
        let len = 200 * MIB;
        let mut estimates = Vec::new();
        for t in 0..=60u64 {
            let pos = (t / 8) * 8 * MIB;
            p.record(secs(t as f64), pos);
            if t >= 16 {
                estimates.push(p.left(secs(t as f64), pos, len).unwrap());
            }
        }
        let (lo, hi) = (estimates.iter().min().unwrap(), estimates.iter().max().unwrap());
        // The truth is about 150 s; the old estimate ran from 1 s to hours.
        assert!(*lo >= 100 && *hi <= 300, "{estimates:?}");
    }

    #[test]
    fn the_pace_follows_the_recent_run() {
        let mut p = Pace::default();
        // Slow for two minutes, then ten times faster for a minute.
        for t in 0..=120u64 {
            p.record(secs(t as f64), t * MIB / 10);
        }
        for t in 121..=180u64 {
            p.record(secs(t as f64), 12 * MIB + (t - 120) * MIB);
        }
        let pos = 72 * MIB;
        assert_eq!(p.left(secs(180.0), pos, pos + 30 * MIB), Some(30));
        assert!(p.samples.len() <= 32, "only the window is kept: {}", p.samples.len());
    }

    #[test]
    fn times_left_read_shortly() {
        assert_eq!(show_left(Some(0)), "0s");
        assert_eq!(show_left(Some(99)), "99s");
        assert_eq!(show_left(Some(100)), "2m");
        assert_eq!(show_left(Some(3600)), "60m");
        assert_eq!(show_left(Some(6000)), "1h40m");
        assert_eq!(show_left(Some(7201)), "2h01m");
    }
}
