//! The request being authorized: action, resource, principal and context.

use std::ops::Range;

use super::context::Context;
use super::parse::account_of;

/// A request to authorize.
///
/// The action is lower-cased once here, so matching it against the
/// (pre-lower-cased) policy patterns is a plain comparison.
///
/// ```
/// use studio_fed_policy::eval::{Context, Request};
///
/// let request = Request::new("SageMaker:CreatePresignedDomainUrl", "arn:aws:sagemaker:us-east-1:111122223333:user-profile/d-1/alice")
///     .with_principal("arn:aws:sts::111122223333:assumed-role/DataScientist/alice")
///     .with_context(Context::new().with_string("sagemaker:DomainId", "d-1"));
/// assert_eq!(request.action(), "sagemaker:createpresigneddomainurl");
/// assert_eq!(request.principal_account(), Some("111122223333"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    action: Box<str>,
    resource: Box<str>,
    principal: Option<Box<str>>,
    /// Where the account id is in `principal`.
    account: Option<Range<usize>>,
    context: Context,
}

impl Request {
    /// A request for `action` (such as `s3:GetObject`, any letter case) on
    /// `resource` (an ARN, or `*` for actions without resource-level permissions).
    pub fn new(action: impl AsRef<str>, resource: impl Into<String>) -> Self {
        let action = action.as_ref();
        let action = if action.is_ascii() {
            action.to_ascii_lowercase()
        } else {
            action.to_lowercase()
        };
        Request {
            action: action.into(),
            resource: resource.into().into(),
            principal: None,
            account: None,
            context: Context::new(),
        }
    }

    /// Sets the principal making the request: an IAM or STS ARN, an account
    /// id, or a service or federated principal name. Only statements with a
    /// `Principal` or `NotPrincipal` look at it.
    pub fn with_principal(mut self, principal: impl Into<String>) -> Self {
        let principal: Box<str> = principal.into().into();
        self.account = account_of(&principal).map(|account| {
            let start = account.as_ptr() as usize - principal.as_ptr() as usize;
            start..start + account.len()
        });
        self.principal = Some(principal);
        self
    }

    /// Sets the request context (condition keys and policy variables).
    pub fn with_context(mut self, context: Context) -> Self {
        self.context = context;
        self
    }

    /// The action, lower-cased.
    pub fn action(&self) -> &str {
        &self.action
    }

    /// The resource.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The principal, if set.
    pub fn principal(&self) -> Option<&str> {
        self.principal.as_deref()
    }

    /// The principal's account id: the account of an ARN, or the principal
    /// itself when it is a 12-digit account id.
    pub fn principal_account(&self) -> Option<&str> {
        let principal = self.principal.as_deref()?;
        principal.get(self.account.clone()?)
    }

    /// The request context.
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// The request context, to change it between evaluations.
    pub fn context_mut(&mut self) -> &mut Context {
        &mut self.context
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn action_is_lower_cased_once() {
        assert_eq!(Request::new("S3:GetObject", "*").action(), "s3:getobject");
    }

    #[test]
    fn principal_account() {
        let role = Request::new("a:b", "*").with_principal("arn:aws:iam::111122223333:role/x");
        assert_eq!(role.principal_account(), Some("111122223333"));
        let account = Request::new("a:b", "*").with_principal("111122223333");
        assert_eq!(account.principal_account(), Some("111122223333"));
        let service = Request::new("a:b", "*").with_principal("sagemaker.amazonaws.com");
        assert_eq!(service.principal_account(), None);
        assert_eq!(Request::new("a:b", "*").principal(), None);
    }
}
