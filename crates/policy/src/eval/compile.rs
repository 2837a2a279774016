//! The policy set builder and its compilation into an [`Evaluator`]: action
//! patterns lower-cased, resource patterns and condition values pre-parsed,
//! statements indexed by exact action.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use super::condition::CompiledCondition;
use super::decision::PolicyKind;
use super::parse::{account_of, is_account_id};
use super::pattern::{NoVars, Pattern, Syntax};
use super::request::Request;
use crate::document::{Actions, Effect, PolicyDocument, Principal, Principals, Resources, Statement, Version};

/// The policies that apply to a principal's requests.
///
/// ```
/// use studio_fed_policy::PolicyDocument;
/// use studio_fed_policy::eval::{Outcome, PolicySet, Request};
///
/// let allow_all: PolicyDocument =
///     r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#.parse()?;
/// let s3_only: PolicyDocument =
///     r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#.parse()?;
/// let evaluator = PolicySet::new()
///     .identity("admin", allow_all.clone())
///     .boundary("s3-only", s3_only)
///     .scp_level([("FullAWSAccess", allow_all)])
///     .compile();
/// assert_eq!(evaluator.evaluate(&Request::new("s3:GetObject", "arn:aws:s3:::b/k")).outcome, Outcome::Allow);
/// let decision = evaluator.evaluate(&Request::new("iam:CreateUser", "*"));
/// assert_eq!(decision.outcome, Outcome::ImplicitDeny);
/// assert_eq!(decision.reason, r#"no Allow in the permissions boundary "s3-only""#);
/// # Ok::<(), studio_fed_policy::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicySet {
    identity: Vec<(String, PolicyDocument)>,
    boundary: Option<(String, PolicyDocument)>,
    scp_levels: Vec<Vec<(String, PolicyDocument)>>,
    session: Vec<(String, PolicyDocument)>,
}

impl PolicySet {
    /// An empty set: every request is implicitly denied.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an identity-based policy (inline or managed, attached to the
    /// principal or its groups). A resource or trust policy can be evaluated
    /// here too: its `Principal` is matched against the request's principal.
    pub fn identity(mut self, name: impl Into<String>, document: PolicyDocument) -> Self {
        self.identity.push((name.into(), document));
        self
    }

    /// Sets the permissions boundary (an entity has at most one; a second
    /// call replaces the first).
    pub fn boundary(mut self, name: impl Into<String>, document: PolicyDocument) -> Self {
        self.boundary = Some((name.into(), document));
        self
    }

    /// Adds one organization level (root, then each OU, then the account) with
    /// the SCPs attached there. A request must be allowed by an SCP at every
    /// level; with no levels, SCPs do not apply (a management account or no
    /// organization).
    pub fn scp_level<I, S>(mut self, policies: I) -> Self
    where
        I: IntoIterator<Item = (S, PolicyDocument)>,
        S: Into<String>,
    {
        self.scp_levels
            .push(policies.into_iter().map(|(name, doc)| (name.into(), doc)).collect());
        self
    }

    /// Adds a session policy; when any is set, a request must also be allowed
    /// by one of them.
    pub fn session(mut self, name: impl Into<String>, document: PolicyDocument) -> Self {
        self.session.push((name.into(), document));
        self
    }

    /// Compiles the set into an [`Evaluator`], once, for many requests.
    pub fn compile(&self) -> Evaluator {
        let span = tracing::debug_span!(
            "eval.compile",
            identity = self.identity.len(),
            boundary = self.boundary.is_some(),
            scp_levels = self.scp_levels.len(),
            session = self.session.len()
        );
        let _entered = span.enter();

        let mut builder = Builder::default();
        for (name, doc) in &self.identity {
            builder.add(PolicyKind::Identity, None, name, doc);
        }
        if let Some((name, doc)) = &self.boundary {
            builder.add(PolicyKind::PermissionsBoundary, None, name, doc);
        }
        for (level, policies) in self.scp_levels.iter().enumerate() {
            for (name, doc) in policies {
                builder.add(PolicyKind::Scp, Some(level), name, doc);
            }
        }
        for (name, doc) in &self.session {
            builder.add(PolicyKind::Session, None, name, doc);
        }

        let mut required = Vec::new();
        for (level, policies) in self.scp_levels.iter().enumerate() {
            let names = names(policies.iter().map(|(name, _)| name.as_str()));
            let missing = if policies.is_empty() {
                format!("no SCP attached at organization level {level}")
            } else {
                format!("no Allow in the SCPs of organization level {level} ({names})")
            };
            required.push(Requirement {
                group: Group::Scp(level),
                missing,
            });
        }
        let identity_names = names(self.identity.iter().map(|(name, _)| name.as_str()));
        required.push(Requirement {
            group: Group::Identity,
            missing: match self.identity.len() {
                0 => "no identity policies".to_owned(),
                1 => format!("no Allow in the identity policy {identity_names}"),
                _ => format!("no Allow in the identity policies ({identity_names})"),
            },
        });
        if let Some((name, _)) = &self.boundary {
            required.push(Requirement {
                group: Group::Boundary,
                missing: format!("no Allow in the permissions boundary {name:?}"),
            });
        }
        if !self.session.is_empty() {
            let session_names = names(self.session.iter().map(|(name, _)| name.as_str()));
            required.push(Requirement {
                group: Group::Session,
                missing: if self.session.len() == 1 {
                    format!("no Allow in the session policy {session_names}")
                } else {
                    format!("no Allow in the session policies ({session_names})")
                },
            });
        }

        let mut allowed_by = vec!["the identity policies".to_owned()];
        if !self.scp_levels.is_empty() {
            allowed_by.push("the SCPs at every organization level".to_owned());
        }
        if let Some((name, _)) = &self.boundary {
            allowed_by.push(format!("the permissions boundary {name:?}"));
        }
        if !self.session.is_empty() {
            allowed_by.push("the session policy".to_owned());
        }
        let allow_reason = match allowed_by.split_last() {
            Some((last, rest)) if !rest.is_empty() => {
                format!("allowed by {} and {last}, and no explicit Deny", rest.join(", "))
            }
            _ => format!("allowed by {}, and no explicit Deny", allowed_by.join("")),
        };

        let evaluator = Evaluator {
            deny: ActionIndex::build(&builder.statements, Effect::Deny),
            allow: ActionIndex::build(&builder.statements, Effect::Allow),
            statements: builder.statements,
            policies: builder.policies,
            required,
            allow_reason,
        };
        tracing::debug!(
            statements = evaluator.statements.len(),
            exact_actions = evaluator.deny.exact.len() + evaluator.allow.exact.len(),
            wildcard_statements = evaluator.deny.wildcard.len() + evaluator.allow.wildcard.len(),
            "compiled policy set"
        );
        evaluator
    }
}

/// `"a", "b"` for messages.
fn names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names.map(|name| format!("{name:?}")).collect::<Vec<_>>().join(", ")
}

/// Which allowance a statement counts toward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Group {
    Identity,
    Boundary,
    Session,
    Scp(usize),
}

/// A policy type that must contain an `Allow`, and what to say when it does not.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Requirement {
    pub(crate) group: Group,
    pub(crate) missing: String,
}

/// A policy of the set, for reporting.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PolicyMeta {
    pub(crate) kind: PolicyKind,
    pub(crate) name: Arc<str>,
    pub(crate) scp_level: Option<usize>,
}

/// A compiled policy set, ready to evaluate requests. Build it with
/// [`PolicySet::compile`]; it is immutable and can be shared between threads.
#[derive(Debug, Clone)]
pub struct Evaluator {
    pub(crate) policies: Vec<PolicyMeta>,
    pub(crate) statements: Vec<CompiledStatement>,
    pub(crate) deny: ActionIndex,
    pub(crate) allow: ActionIndex,
    /// The policy types that must allow, in AWS's evaluation order.
    pub(crate) required: Vec<Requirement>,
    pub(crate) allow_reason: String,
}

impl Evaluator {
    /// Number of compiled statements.
    pub fn statement_count(&self) -> usize {
        self.statements.len()
    }
}

#[derive(Default)]
struct Builder {
    policies: Vec<PolicyMeta>,
    statements: Vec<CompiledStatement>,
}

impl Builder {
    fn add(&mut self, kind: PolicyKind, scp_level: Option<usize>, name: &str, doc: &PolicyDocument) {
        let policy = self.policies.len();
        self.policies.push(PolicyMeta {
            kind,
            name: name.into(),
            scp_level,
        });
        let variables = doc.version == Some(Version::V2012_10_17);
        for (index, statement) in doc.statements.iter().enumerate() {
            self.statements
                .push(CompiledStatement::compile(statement, policy, index, variables));
        }
    }
}

/// `Action` / `NotAction`, lower-cased.
#[derive(Debug, Clone, PartialEq)]
struct ActionMatcher {
    negated: bool,
    patterns: Vec<Pattern>,
}

impl ActionMatcher {
    fn matches(&self, action: &str) -> bool {
        self.patterns.iter().any(|p| p.matches(action, &NoVars)) != self.negated
    }
}

/// `Resource` / `NotResource`.
#[derive(Debug, Clone, PartialEq)]
struct ResourceMatcher {
    negated: bool,
    patterns: Vec<Pattern>,
}

/// One entry of a `Principal` / `NotPrincipal` element.
#[derive(Debug, Clone, PartialEq)]
enum PrincipalId {
    /// `"*"`: everyone.
    Any,
    /// An account id or `arn:...:iam::ACCOUNT:root`: every principal of the account.
    Account(Box<str>),
    /// Exactly this principal.
    Exact(Box<str>),
}

/// `Principal` / `NotPrincipal`.
#[derive(Debug, Clone, PartialEq)]
struct PrincipalMatcher {
    negated: bool,
    ids: Vec<PrincipalId>,
}

impl PrincipalMatcher {
    fn compile(principals: &Principals) -> Self {
        let (negated, principal) = match principals {
            Principals::Principal(p) => (false, p),
            Principals::NotPrincipal(p) => (true, p),
        };
        let ids = match principal {
            Principal::Any => vec![PrincipalId::Any],
            Principal::Map(kinds) => kinds
                .values()
                .flatten()
                .map(|id| {
                    if id == "*" {
                        PrincipalId::Any
                    } else if is_account_id(id) {
                        PrincipalId::Account(id.as_str().into())
                    } else if id.starts_with("arn:")
                        && id.ends_with(":root")
                        && let Some(account) = account_of(id)
                    {
                        PrincipalId::Account(account.into())
                    } else {
                        PrincipalId::Exact(id.as_str().into())
                    }
                })
                .collect(),
        };
        PrincipalMatcher { negated, ids }
    }

    fn matches(&self, request: &Request) -> bool {
        let principal = request.principal();
        let account = request.principal_account();
        let listed = self.ids.iter().any(|id| match id {
            PrincipalId::Any => true,
            PrincipalId::Account(a) => account == Some(&**a),
            PrincipalId::Exact(p) => principal == Some(&**p),
        });
        listed != self.negated
    }
}

/// A statement, compiled.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CompiledStatement {
    /// Index into `Evaluator::policies`.
    pub(crate) policy: usize,
    /// Index in the policy's `Statement` list.
    pub(crate) index: usize,
    pub(crate) sid: Option<Arc<str>>,
    pub(crate) effect: Effect,
    actions: ActionMatcher,
    resources: Option<ResourceMatcher>,
    principal: Option<PrincipalMatcher>,
    conditions: Vec<CompiledCondition>,
}

impl CompiledStatement {
    fn compile(statement: &Statement, policy: usize, index: usize, variables: bool) -> Self {
        let action_syntax = Syntax {
            wildcards: true,
            variables: false,
            fold_case: false,
        };
        let (negated, list) = match &statement.actions {
            Actions::Action(list) => (false, list),
            Actions::NotAction(list) => (true, list),
        };
        let actions = ActionMatcher {
            negated,
            patterns: list
                .iter()
                .map(|a| Pattern::compile(&a.to_lowercase(), action_syntax))
                .collect(),
        };
        let resource_syntax = Syntax {
            wildcards: true,
            variables,
            fold_case: false,
        };
        let resources = statement.resources.as_ref().map(|resources| {
            let (negated, list) = match resources {
                Resources::Resource(list) => (false, list),
                Resources::NotResource(list) => (true, list),
            };
            ResourceMatcher {
                negated,
                patterns: list.iter().map(|r| Pattern::compile(r, resource_syntax)).collect(),
            }
        });
        let conditions = statement
            .condition
            .iter()
            .flat_map(|(operator, keys)| {
                keys.iter()
                    .map(|(key, values)| CompiledCondition::compile(*operator, key, values, variables))
            })
            .collect();
        CompiledStatement {
            policy,
            index,
            sid: statement.sid.as_deref().map(Arc::from),
            effect: statement.effect,
            actions,
            resources,
            principal: statement.principals.as_ref().map(PrincipalMatcher::compile),
            conditions,
        }
    }

    /// True when the statement applies to `request`. `action_known` is true
    /// when the action index already established that the action matches.
    pub(crate) fn applies(&self, request: &Request, action_known: bool) -> bool {
        if !action_known && !self.actions.matches(request.action()) {
            return false;
        }
        let context = request.context();
        if let Some(resources) = &self.resources {
            let resource = request.resource();
            let listed = resources.patterns.iter().any(|p| p.matches(resource, context));
            if listed == resources.negated {
                return false;
            }
        }
        if let Some(principal) = &self.principal
            && !principal.matches(request)
        {
            return false;
        }
        self.conditions.iter().all(|c| c.holds(context))
    }
}

/// FNV-1a: a fast hasher for the short, trusted action names of the index.
#[derive(Default)]
pub(crate) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for &byte in bytes {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }
}

/// The statements of one effect, found by action: statements whose `Action`
/// list is all exact names are filed under each name; the others (wildcards,
/// `NotAction`) are always candidates.
#[derive(Debug, Clone, Default)]
pub(crate) struct ActionIndex {
    pub(crate) exact: HashMap<Box<str>, Vec<u32>, BuildHasherDefault<Fnv>>,
    pub(crate) wildcard: Vec<u32>,
}

impl ActionIndex {
    fn build(statements: &[CompiledStatement], effect: Effect) -> Self {
        let mut index = ActionIndex::default();
        for (id, statement) in statements.iter().enumerate() {
            if statement.effect != effect {
                continue;
            }
            // Statement ids fit in u32: a policy set that large would not fit in memory.
            let id = u32::try_from(id).unwrap_or(u32::MAX);
            let exact: Option<Vec<&str>> = if statement.actions.negated {
                None
            } else {
                statement.actions.patterns.iter().map(Pattern::as_exact).collect()
            };
            match exact {
                Some(actions) => {
                    for action in actions {
                        let ids = index.exact.entry(action.into()).or_default();
                        if ids.last() != Some(&id) {
                            ids.push(id);
                        }
                    }
                }
                None => index.wildcard.push(id),
            }
        }
        index
    }

    /// The candidate statements for a (lower-case) action, in statement order,
    /// each with whether the index already matched its action.
    pub(crate) fn candidates<'a>(&'a self, action: &str) -> Candidates<'a> {
        Candidates {
            exact: self.exact.get(action).map_or(&[], Vec::as_slice),
            wildcard: &self.wildcard,
        }
    }
}

/// A merge of the exact and wildcard candidate lists, in statement order.
pub(crate) struct Candidates<'a> {
    exact: &'a [u32],
    wildcard: &'a [u32],
}

impl Iterator for Candidates<'_> {
    type Item = (usize, bool);

    fn next(&mut self) -> Option<(usize, bool)> {
        match (self.exact.first(), self.wildcard.first()) {
            (Some(&e), Some(&w)) if e < w => {
                self.exact = &self.exact[1..];
                Some((e as usize, true))
            }
            (_, Some(&w)) => {
                self.wildcard = &self.wildcard[1..];
                Some((w as usize, false))
            }
            (Some(&e), None) => {
                self.exact = &self.exact[1..];
                Some((e as usize, true))
            }
            (None, None) => None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn doc(json: &str) -> PolicyDocument {
        json.parse().unwrap()
    }

    #[test]
    fn index_files_exact_actions_and_keeps_wildcards_aside() {
        let evaluator = PolicySet::new()
            .identity(
                "p",
                doc(r#"{"Version":"2012-10-17","Statement":[
                    {"Effect":"Allow","Action":["S3:GetObject","s3:PutObject"],"Resource":"*"},
                    {"Effect":"Allow","Action":["s3:Get*"],"Resource":"*"},
                    {"Effect":"Allow","NotAction":["iam:*"],"Resource":"*"},
                    {"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}
                ]}"#),
            )
            .compile();
        assert_eq!(evaluator.allow.exact.get("s3:getobject"), Some(&vec![0]));
        assert_eq!(evaluator.allow.exact.get("s3:putobject"), Some(&vec![0]));
        assert_eq!(evaluator.allow.wildcard, vec![1, 2]);
        assert_eq!(evaluator.deny.exact.get("s3:getobject"), Some(&vec![3]));
        let candidates: Vec<_> = evaluator.allow.candidates("s3:getobject").collect();
        assert_eq!(candidates, vec![(0, true), (1, false), (2, false)]);
        let candidates: Vec<_> = evaluator.allow.candidates("ec2:runinstances").collect();
        assert_eq!(candidates, vec![(1, false), (2, false)]);
    }

    #[test]
    fn principal_matching() {
        let statement = |principal: &str| {
            let policy = doc(&format!(
                r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{principal},"Action":"sts:AssumeRole"}}}}"#
            ));
            let compiled = CompiledStatement::compile(&policy.statements[0], 0, 0, true);
            move |who: Option<&str>| {
                let mut request = Request::new("sts:AssumeRole", "*");
                if let Some(who) = who {
                    request = request.with_principal(who);
                }
                compiled.applies(&request, false)
            }
        };
        let role = "arn:aws:iam::111122223333:role/r";
        let any = statement(r#""*""#);
        assert!(any(Some(role)) && any(None));
        let account = statement(r#"{"AWS":"111122223333"}"#);
        assert!(account(Some(role)) && !account(Some("arn:aws:iam::999999999999:role/r")) && !account(None));
        let root = statement(r#"{"AWS":"arn:aws:iam::111122223333:root"}"#);
        assert!(root(Some(role)) && root(Some("111122223333")));
        let exact = statement(r#"{"AWS":"arn:aws:iam::111122223333:role/r"}"#);
        assert!(exact(Some(role)) && !exact(Some("arn:aws:iam::111122223333:role/other")));
        let service = statement(r#"{"Service":"sagemaker.amazonaws.com"}"#);
        assert!(service(Some("sagemaker.amazonaws.com")) && !service(Some(role)));
        let federated = statement(r#"{"Federated":"arn:aws:iam::111122223333:saml-provider/idp"}"#);
        assert!(federated(Some("arn:aws:iam::111122223333:saml-provider/idp")) && !federated(Some(role)));
    }

    #[test]
    fn not_principal_matches_everyone_else() {
        let policy = doc(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:role/admin"},"Action":"*","Resource":"*"}}"#,
        );
        let compiled = CompiledStatement::compile(&policy.statements[0], 0, 0, true);
        let by = |who: &str| compiled.applies(&Request::new("s3:GetObject", "*").with_principal(who), false);
        assert!(!by("arn:aws:iam::111122223333:role/admin"));
        assert!(by("arn:aws:iam::111122223333:role/other"));
    }
}
