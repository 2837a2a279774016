//! The deployment error: where (file, line, column, field) and what.

use std::fmt;
use std::path::{Path, PathBuf};

/// A deployment that cannot be read or is not valid.
///
/// Displayed like a compiler message: `deployment.toml:12:5: teams[1].domain.subnets: message`.
/// The file is shown only for [`Deployment::from_file`](super::Deployment::from_file),
/// the line and column only for TOML input (the builder has neither).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", Rendered(self))]
pub struct DeploymentError {
    /// The file, when read from one.
    pub file: Option<PathBuf>,
    /// The 1-based line, when read from TOML.
    pub line: Option<usize>,
    /// The 1-based column (in characters), when read from TOML.
    pub column: Option<usize>,
    /// The field path, e.g. `teams[1].domain.subnets`; empty for the whole document.
    pub field: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl DeploymentError {
    /// An error at `offset` (bytes) in `text`.
    pub(crate) fn at(text: &str, offset: Option<usize>, field: String, message: String) -> Self {
        let (line, column) = match offset {
            Some(offset) => {
                let (line, column) = line_column(text, offset);
                (Some(line), Some(column))
            }
            None => (None, None),
        };
        DeploymentError {
            file: None,
            line,
            column,
            field,
            message,
        }
    }

    pub(crate) fn in_file(mut self, path: &Path) -> Self {
        self.file = Some(path.to_path_buf());
        self
    }
}

/// The 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

struct Rendered<'a>(&'a DeploymentError);

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.0;
        let mut located = false;
        if let Some(file) = &e.file {
            write!(f, "{}", file.display())?;
            located = true;
        }
        if let (Some(line), Some(column)) = (e.line, e.column) {
            if located {
                f.write_str(":")?;
            }
            write!(f, "{line}:{column}")?;
            located = true;
        }
        if located {
            f.write_str(": ")?;
        }
        if !e.field.is_empty() {
            write!(f, "{}: ", e.field)?;
        }
        f.write_str(&e.message)
    }
}
