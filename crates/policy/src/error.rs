//! The crate's error type.

/// Everything that can go wrong in `studio-fed-policy`.
///
/// Each variant names the place (a JSON path, an input field or a context key)
/// and says what was expected, so the message alone tells the user what to fix.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The text is not JSON at all.
    #[error("policy is not valid JSON: {0}; check the file is a JSON policy document")]
    Json(#[from] serde_json::Error),

    /// The JSON is well formed but is not a valid IAM policy document.
    #[error("{path}: {message}")]
    Invalid {
        /// Where in the document, e.g. `Statement[1].Condition.StringEqual`.
        path: String,
        /// What is wrong and what is expected instead.
        message: String,
    },

    /// An input to a policy builder is not acceptable.
    #[error("invalid {field} {value:?}: {reason}")]
    Input {
        /// The input's name, e.g. `s3 bucket` or `account`.
        field: &'static str,
        /// The value given.
        value: String,
        /// Why it is refused and what is expected.
        reason: String,
    },

    /// A request-context value cannot be read as the type its key requires.
    #[error("context key {key:?}: value {value:?} is not {expected}")]
    Context {
        /// The context key, e.g. `aws:SourceIp`.
        key: String,
        /// The value given.
        value: String,
        /// The type the key needs, e.g. `an IP address`.
        expected: &'static str,
    },
}

impl Error {
    pub(crate) fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid {
            path: path.into(),
            message: message.into(),
        }
    }

    pub(crate) fn input(field: &'static str, value: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Input {
            field,
            value: value.into(),
            reason: reason.into(),
        }
    }
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
