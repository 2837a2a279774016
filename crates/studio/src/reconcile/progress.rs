//! Apply's progress: one bar per step on a terminal, plain lines otherwise.

use std::io::IsTerminal;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::change::{PlannedChange, Step};

/// How apply shows progress.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProgressMode {
    /// Bars when stderr is a terminal, lines otherwise.
    #[default]
    Auto,
    /// One line per change on stderr.
    Lines,
    /// Nothing.
    Quiet,
}

/// Progress of a whole apply.
pub(crate) struct Progress {
    multi: Option<MultiProgress>,
    lines: bool,
}

/// Progress of one step.
pub(crate) struct StepProgress {
    bar: Option<ProgressBar>,
    lines: bool,
    label: &'static str,
    total: usize,
}

impl Progress {
    pub(crate) fn new(mode: ProgressMode) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        match mode {
            ProgressMode::Auto if terminal => Progress {
                multi: Some(MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
                lines: false,
            },
            ProgressMode::Auto | ProgressMode::Lines => Progress {
                multi: None,
                lines: true,
            },
            ProgressMode::Quiet => Progress {
                multi: None,
                lines: false,
            },
        }
    }

    pub(crate) fn step(&self, step: Step, total: usize) -> StepProgress {
        let bar = self.multi.as_ref().map(|multi| {
            let bar = multi.add(ProgressBar::new(total as u64));
            if let Ok(style) = ProgressStyle::with_template("{prefix:>24} [{bar:30}] {pos}/{len} {wide_msg}") {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_prefix(step.label());
            bar
        });
        StepProgress {
            bar,
            lines: self.lines,
            label: step.label(),
            total,
        }
    }
}

impl StepProgress {
    pub(crate) fn done(&self, done: usize, change: &PlannedChange) {
        if let Some(bar) = &self.bar {
            bar.set_message(change.resource.to_string());
            bar.inc(1);
        } else if self.lines {
            eprintln!("[{}] {done}/{} {change}", self.label, self.total);
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_with_message("done");
        }
    }
}
