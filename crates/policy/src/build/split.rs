//! Splitting statements across several managed policies when they do not fit
//! one: statements stay whole and in order, policies are named `-1`, `-2`, ...

use super::role::NamedPolicy;
use crate::document::{PolicyDocument, Statement};
use crate::error::{Error, Result};
use crate::lint::{Quotas, iam_size, thousands};

/// Packs `statements` into as few managed policies as the managed-policy size
/// quota allows, keeping each statement whole and the order unchanged (each
/// policy is filled before the next is started, which is optimal for an
/// ordered split). One policy keeps `base_name`; several are named
/// `{base_name}-1`, `{base_name}-2`, ...
///
/// Errors when there are no statements, when one statement alone is larger
/// than a managed policy can be, or when more policies would be needed than
/// the managed-policies-per-role quota allows.
///
/// ```
/// use studio_fed_policy::build::split::split_managed;
/// use studio_fed_policy::lint::Quotas;
/// use studio_fed_policy::Statement;
///
/// let statements = vec![Statement::allow().with_actions(["s3:GetObject"]).with_resources(["*"])];
/// let policies = split_managed("data-scientist", statements, &Quotas::default())?;
/// assert_eq!(policies[0].name, "data-scientist");
/// # Ok::<(), studio_fed_policy::Error>(())
/// ```
pub fn split_managed(base_name: &str, statements: Vec<Statement>, quotas: &Quotas) -> Result<Vec<NamedPolicy>> {
    if statements.is_empty() {
        return Err(Error::input(
            "policy",
            base_name,
            "has no statements; a policy needs at least one",
        ));
    }
    let limit = quotas.managed_policy_chars;
    // The document is `{"Version":...,"Statement":[` + statements joined by `,` + `]}`,
    // so its size is the empty document's plus each statement's plus the commas.
    let empty = iam_size(&PolicyDocument::new([]));
    let mut parts: Vec<Vec<Statement>> = Vec::new();
    let mut current: Vec<Statement> = Vec::new();
    let mut size = empty;
    for (index, statement) in statements.into_iter().enumerate() {
        let own = iam_size(&PolicyDocument::new([statement.clone()])) - empty;
        if empty + own > limit {
            let sid = statement
                .sid
                .as_deref()
                .map(|s| format!(" (Sid {s:?})"))
                .unwrap_or_default();
            return Err(Error::input(
                "policy",
                base_name,
                format!(
                    "statement {}{sid} alone makes a policy of {} characters without whitespace; a managed policy \
                     holds at most {}: split the statement's actions or resources",
                    index + 1,
                    thousands(empty + own),
                    thousands(limit)
                ),
            ));
        }
        // A statement after the first also costs its separating comma.
        if !current.is_empty() && size + 1 + own > limit {
            parts.push(std::mem::take(&mut current));
            size = empty;
        }
        size += own + usize::from(!current.is_empty());
        current.push(statement);
    }
    parts.push(current);
    if parts.len() > quotas.managed_policies_per_role {
        return Err(Error::input(
            "policy",
            base_name,
            format!(
                "needs {} managed policies of at most {} characters, more than the {} a role may have attached: \
                 remove activities, or raise the managed policies per role quota",
                parts.len(),
                thousands(limit),
                quotas.managed_policies_per_role
            ),
        ));
    }
    let single = parts.len() == 1;
    Ok(parts
        .into_iter()
        .enumerate()
        .map(|(i, statements)| {
            let name = if single {
                base_name.to_owned()
            } else {
                format!("{base_name}-{}", i + 1)
            };
            NamedPolicy::new(name, PolicyDocument::new(statements))
        })
        .collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn statement(i: usize) -> Statement {
        Statement::allow()
            .with_sid(format!("S{i}"))
            .with_actions(["s3:GetObject"])
            .with_resources([format!("arn:aws:s3:::bucket-{i}/*")])
    }

    #[test]
    fn computed_sizes_match_the_documents() {
        let statements: Vec<Statement> = (0..40).map(statement).collect();
        let quotas = Quotas {
            managed_policy_chars: 700,
            ..Quotas::default()
        };
        let policies = split_managed("p", statements.clone(), &quotas).unwrap();
        assert!(policies.len() > 1);
        let mut rejoined = Vec::new();
        for (i, policy) in policies.iter().enumerate() {
            assert_eq!(policy.name, format!("p-{}", i + 1));
            let size = iam_size(&policy.document);
            assert!(size <= 700, "{size}");
            if let Some(next) = policies.get(i + 1) {
                // Greedy: the next policy's first statement would not have fitted.
                let mut more = policy.document.statements.clone();
                more.push(next.document.statements[0].clone());
                assert!(iam_size(&PolicyDocument::new(more)) > 700);
            }
            rejoined.extend(policy.document.statements.iter().cloned());
        }
        assert_eq!(rejoined, statements, "statements kept whole and in order");
    }

    #[test]
    fn no_statements_is_an_error() {
        let e = split_managed("p", Vec::new(), &Quotas::default())
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "invalid policy \"p\": has no statements; a policy needs at least one"
        );
    }
}
