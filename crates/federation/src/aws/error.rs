//! [`Error`]: what went wrong talking to AWS, naming the resource, the AWS
//! error code and what to do about it.

use aws_sdk_iam::config::http::HttpResponse;
use aws_sdk_iam::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use studio_fed_policy::lint::Violation;

/// Why an AWS federation operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input was rejected before anything was sent to AWS.
    #[error("invalid {what} {value:?}: {reason}")]
    Invalid {
        /// What the input is, e.g. `SAML metadata`.
        what: &'static str,
        /// The rejected value (shortened when long).
        value: String,
        /// Why, and what is expected.
        reason: String,
    },
    /// A policy could not be built, e.g. a trust policy from bad inputs.
    #[error("cannot build the {what} of {resource}: {source}")]
    Policy {
        /// The role or policy it was for.
        resource: String,
        /// Which policy.
        what: &'static str,
        /// The policy library's reason.
        #[source]
        source: studio_fed_policy::Error,
    },
    /// The policies of a role exceed IAM quotas; nothing was sent.
    #[error("role {role:?} exceeds IAM quotas, nothing was sent: {}", join_violations(.violations))]
    OverQuota {
        /// The role.
        role: String,
        /// Every exceeded quota, each saying how to fix it.
        violations: Vec<Violation>,
    },
    /// A policy document returned by IAM could not be parsed.
    #[error("the {what} of {resource} returned by IAM is not a policy document studio-fed can read: {source}")]
    UnreadablePolicy {
        /// The resource.
        resource: String,
        /// Which document.
        what: String,
        /// The parse error.
        #[source]
        source: studio_fed_policy::Error,
    },
    /// An AWS call failed.
    #[error("{action} on {resource} failed: {code}: {message}; {}", hint(.action, .resource, .code))]
    Aws {
        /// The API action, which is also the IAM action to allow, e.g. `iam:CreateRole`.
        action: &'static str,
        /// The resource the call was about.
        resource: String,
        /// The AWS error code, e.g. `AccessDenied`, or the kind of client-side failure.
        code: String,
        /// AWS's message.
        message: String,
        /// The SDK error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// AWS answered without something it always sends, or in a state studio-fed will not change by itself.
    #[error("{action} on {resource}: {detail}")]
    Unexpected {
        /// The API action.
        action: &'static str,
        /// The resource.
        resource: String,
        /// What was wrong and what to do.
        detail: String,
    },
    /// Temporary credentials could not be obtained.
    #[error("credentials for {role_arn}: {detail}")]
    Credentials {
        /// The role.
        role_arn: String,
        /// What failed.
        detail: String,
    },
}

fn join_violations(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl Error {
    /// What to do about an [`Error::Aws`] (also part of its message).
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Aws {
                action, resource, code, ..
            } => Some(hint(action, resource, code)),
            _ => None,
        }
    }

    /// The AWS error code, for [`Error::Aws`].
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Aws { code, .. } => Some(code),
            _ => None,
        }
    }

    pub(crate) fn invalid(what: &'static str, value: &str, reason: impl Into<String>) -> Error {
        let value = if value.chars().count() > 80 {
            format!("{}…", value.chars().take(80).collect::<String>())
        } else {
            value.to_owned()
        };
        Error::Invalid {
            what,
            value,
            reason: reason.into(),
        }
    }

    /// An [`Error::Unexpected`]: AWS's answer lacked something, or a resource is in a state studio-fed will not change.
    pub fn unexpected(action: &'static str, resource: impl Into<String>, detail: impl Into<String>) -> Error {
        Error::Unexpected {
            action,
            resource: resource.into(),
            detail: detail.into(),
        }
    }

    /// An SDK error of `action` on `resource` (any `aws-sdk-*` crate's error).
    pub fn aws<E>(action: &'static str, resource: impl Into<String>, err: SdkError<E, HttpResponse>) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let resource = resource.into();
        let (code, message) = match (&err, err.code()) {
            (_, Some(code)) => (code.to_owned(), err.message().unwrap_or("no message").to_owned()),
            (SdkError::ConstructionFailure(_), None) => ("ConstructionFailure".to_owned(), context(&err)),
            (SdkError::TimeoutError(_), None) => ("Timeout".to_owned(), context(&err)),
            (SdkError::DispatchFailure(_), None) => ("DispatchFailure".to_owned(), context(&err)),
            (SdkError::ResponseError(_), None) => ("ResponseError".to_owned(), context(&err)),
            (SdkError::ServiceError(service), None) => {
                let status = service.raw().status().as_u16();
                (
                    format!("HTTP {status}"),
                    format!("an answer without an AWS error code: {}", context(&err)),
                )
            }
            (_, None) => ("Unknown".to_owned(), context(&err)),
        };
        tracing::debug!(action, %resource, %code, %message, "AWS call failed");
        Error::Aws {
            action,
            resource,
            code,
            message,
            source: Box::new(err),
        }
    }
}

fn context<E: std::error::Error + 'static>(err: &E) -> String {
    DisplayErrorContext(err).to_string()
}

fn hint(action: &str, resource: &str, code: &str) -> String {
    match code {
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" | "NotAuthorizedException" => format!(
            "allow the caller the action {action} on {resource} (identity policy, permissions boundary and SCPs)"
        ),
        "InvalidClientTokenId" | "UnrecognizedClientException" | "SignatureDoesNotMatch" | "ExpiredToken" => {
            "the caller's AWS credentials are invalid or expired: refresh them".to_owned()
        }
        "LimitExceeded" | "LimitExceededException" => {
            format!("an account quota was reached for {resource}: remove unused resources or request a quota increase")
        }
        "EntityAlreadyExists" | "ConcurrentModification" | "ConcurrentModificationException" => {
            format!("{resource} was changed concurrently: run the operation again")
        }
        "NoSuchEntity" | "ResourceNotFoundException" => {
            format!("{resource} (or something it refers to) does not exist: create it first, or check the name/ARN")
        }
        "MalformedPolicyDocument" | "MalformedPolicyDocumentException" => {
            "IAM rejected the policy document: fix the statements it names".to_owned()
        }
        "InvalidInput" | "ValidationError" | "InvalidParameterException" | "InvalidParameterValue" => {
            format!("AWS rejected an input for {resource}: correct the value named in the message")
        }
        "Throttling" | "ThrottlingException" | "TooManyRequestsException" => {
            "AWS throttled the request: retry later or with fewer parallel calls".to_owned()
        }
        "InvalidIdentityToken" | "IDPRejectedClaim" | "IDPCommunicationError" => format!(
            "STS did not accept the identity token or SAML response: check that the IAM identity provider exists, \
             that its audience/client id and thumbprint match, that the token is unexpired, and that the trust \
             policy of {resource} allows it"
        ),
        "ExpiredTokenException" => "the identity token expired: obtain a fresh one".to_owned(),
        code if code.starts_with("HTTP 5") => {
            format!("the service failed internally (or does not implement {action}, e.g. an emulator): retry later")
        }
        "DispatchFailure" | "Timeout" | "ResponseError" => {
            "AWS could not be reached: check the endpoint, region, network and proxy settings".to_owned()
        }
        _ => format!("see AWS's message; the operation was {action}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_say_what_to_do() {
        assert_eq!(
            hint("iam:CreateRole", "role ml", "AccessDenied"),
            "allow the caller the action iam:CreateRole on role ml (identity policy, permissions boundary and SCPs)"
        );
        assert!(hint("iam:CreatePolicy", "policy p", "LimitExceeded").contains("quota"));
        assert!(
            hint("sts:AssumeRoleWithWebIdentity", "arn:r", "InvalidIdentityToken").contains("trust policy of arn:r")
        );
        assert!(hint("iam:AddClientIDToOpenIDConnectProvider", "p", "HTTP 500").contains("retry later"));
    }

    #[test]
    fn long_invalid_values_are_shortened() {
        let e = Error::invalid("SAML metadata", &"x".repeat(500), "too short");
        let text = e.to_string();
        assert!(text.len() < 150, "{text}");
        assert!(text.ends_with("…\": too short"), "{text}");
        assert_eq!(e.code(), None);
        assert_eq!(e.hint(), None);
    }
}
