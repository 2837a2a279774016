//! Compiled match patterns: `*` / `?` wildcards and `${...}` policy variables.
//!
//! A pattern is compiled once into literal, wildcard and variable tokens and is
//! matched directly against the request text: variables are looked up while
//! matching, so nothing is substituted into a new string.

/// Where policy variables take their values from (the request context).
pub(crate) trait VarSource {
    /// The single value of the lower-case `key`, if it has exactly one.
    fn resolve(&self, key: &str) -> Option<&str>;
}

/// A source with no values, for patterns that have no variables.
pub(crate) struct NoVars;

impl VarSource for NoVars {
    fn resolve(&self, _key: &str) -> Option<&str> {
        None
    }
}

/// One element of a compiled pattern.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// Text that must appear as is (never contains wildcards).
    Lit(Box<str>),
    /// `*`: any run of characters, including none.
    Star,
    /// `?`: exactly one character.
    One,
    /// `${key}` or `${key, 'default'}`.
    Var { key: Box<str>, default: Option<Box<str>> },
}

#[derive(Debug, Clone, PartialEq)]
enum Shape {
    /// `*`.
    Any,
    /// No wildcards or variables.
    Exact(Box<str>),
    /// `literal*`.
    Prefix(Box<str>),
    /// `*literal`.
    Suffix(Box<str>),
    /// Anything else.
    Glob(Box<[Token]>),
}

/// How a pattern's text is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Syntax {
    /// `*` and `?` are wildcards (otherwise literal characters).
    pub wildcards: bool,
    /// `${...}` are policy variables (otherwise literal text).
    pub variables: bool,
    /// Matching ignores letter case.
    pub fold_case: bool,
}

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pattern {
    shape: Shape,
    fold_case: bool,
}

impl Pattern {
    /// Compiles `text` under `syntax`.
    pub(crate) fn compile(text: &str, syntax: Syntax) -> Pattern {
        let mut tokens = tokenize(text, syntax);
        if syntax.fold_case {
            for token in &mut tokens {
                if let Token::Lit(lit) = token {
                    *lit = lit.to_lowercase().into();
                }
            }
        }
        let shape = match tokens.as_slice() {
            [] => Shape::Exact("".into()),
            [Token::Lit(lit)] => Shape::Exact(lit.clone()),
            [Token::Star] => Shape::Any,
            [Token::Lit(lit), Token::Star] if !syntax.fold_case => Shape::Prefix(lit.clone()),
            [Token::Star, Token::Lit(lit)] if !syntax.fold_case => Shape::Suffix(lit.clone()),
            _ => Shape::Glob(tokens.into_boxed_slice()),
        };
        Pattern {
            shape,
            fold_case: syntax.fold_case,
        }
    }

    /// The literal text when the pattern has no wildcards or variables.
    pub(crate) fn as_exact(&self) -> Option<&str> {
        match &self.shape {
            Shape::Exact(lit) => Some(lit),
            _ => None,
        }
    }

    /// True when the whole of `text` matches. A variable that does not resolve
    /// (absent or multivalued key, no default) makes the pattern not match.
    pub(crate) fn matches(&self, text: &str, vars: &dyn VarSource) -> bool {
        match &self.shape {
            Shape::Any => true,
            Shape::Exact(lit) if self.fold_case => eq_fold(text, lit),
            Shape::Exact(lit) => text == &**lit,
            Shape::Prefix(lit) => text.starts_with(&**lit),
            Shape::Suffix(lit) => text.ends_with(&**lit),
            Shape::Glob(tokens) => glob(tokens, text, self.fold_case, vars),
        }
    }
}

/// Splits `text` into tokens, merging adjacent literal text.
fn tokenize(text: &str, syntax: Syntax) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if syntax.variables
            && rest.starts_with("${")
            && let Some(end) = rest.find('}')
        {
            let inner = &rest[2..end];
            rest = &rest[end + 1..];
            match inner {
                "*" | "?" | "$" => literal.push_str(inner),
                _ => {
                    flush(&mut tokens, &mut literal);
                    tokens.push(variable(inner));
                }
            }
            continue;
        }
        rest = &rest[c.len_utf8()..];
        match c {
            '*' if syntax.wildcards => {
                flush(&mut tokens, &mut literal);
                if tokens.last() != Some(&Token::Star) {
                    tokens.push(Token::Star);
                }
            }
            '?' if syntax.wildcards => {
                flush(&mut tokens, &mut literal);
                tokens.push(Token::One);
            }
            _ => literal.push(c),
        }
    }
    flush(&mut tokens, &mut literal);
    tokens
}

fn flush(tokens: &mut Vec<Token>, literal: &mut String) {
    if !literal.is_empty() {
        tokens.push(Token::Lit(std::mem::take(literal).into()));
    }
}

/// `key` or `key, 'default'` (the inside of `${...}`).
fn variable(inner: &str) -> Token {
    let (key, default) = match inner.split_once(',') {
        Some((key, default)) => {
            let default = default.trim();
            let default = default
                .strip_prefix('\'')
                .and_then(|d| d.strip_suffix('\''))
                .unwrap_or(default);
            (key, Some(default.into()))
        }
        None => (inner, None),
    };
    Token::Var {
        key: super::context::normalize_key(key.trim()),
        default,
    }
}

/// Length in bytes of the character starting at `at`.
fn char_len(text: &str, at: usize) -> usize {
    text[at..].chars().next().map_or(1, char::len_utf8)
}

/// Wildcard matching over tokens, backtracking only to the last `*`.
fn glob(tokens: &[Token], text: &str, fold_case: bool, vars: &dyn VarSource) -> bool {
    let (mut t, mut p) = (0, 0);
    // (token after the last `*`, text position that `*` currently stops at)
    let mut star: Option<(usize, usize)> = None;
    loop {
        if let Some(token) = tokens.get(t) {
            let advanced = match token {
                Token::Star => {
                    if t + 1 == tokens.len() {
                        return true;
                    }
                    star = Some((t + 1, p));
                    Some(0)
                }
                Token::One => (p < text.len()).then(|| char_len(text, p)),
                Token::Lit(lit) => match_literal(&text[p..], lit, fold_case),
                Token::Var { key, default } => match vars.resolve(key).or(default.as_deref()) {
                    Some(value) => match_literal(&text[p..], value, fold_case),
                    None => return false,
                },
            };
            if let Some(n) = advanced {
                p += n;
                t += 1;
                continue;
            }
        } else if p == text.len() {
            return true;
        }
        match star {
            Some((after, from)) if from < text.len() => {
                let from = from + char_len(text, from);
                star = Some((after, from));
                t = after;
                p = from;
            }
            _ => return false,
        }
    }
}

/// The length of `lit` at the start of `text`, if it is there.
fn match_literal(text: &str, lit: &str, fold_case: bool) -> Option<usize> {
    if fold_case {
        starts_with_fold(text, lit)
    } else {
        text.starts_with(lit).then_some(lit.len())
    }
}

/// Case-insensitive prefix test; returns the bytes of `text` consumed.
fn starts_with_fold(text: &str, lit: &str) -> Option<usize> {
    if lit.is_ascii() {
        let head = text.as_bytes().get(..lit.len())?;
        if head.is_ascii() {
            return head.eq_ignore_ascii_case(lit.as_bytes()).then_some(lit.len());
        }
    }
    let mut want = lit.chars().flat_map(char::to_lowercase).peekable();
    if want.peek().is_none() {
        return Some(0);
    }
    for (i, c) in text.char_indices() {
        for lower in c.to_lowercase() {
            if want.next() != Some(lower) {
                return None;
            }
        }
        if want.peek().is_none() {
            return Some(i + c.len_utf8());
        }
    }
    None
}

/// Case-insensitive equality.
pub(crate) fn eq_fold(a: &str, b: &str) -> bool {
    starts_with_fold(a, b) == Some(a.len())
}

/// An ARN pattern for the ARN condition operators: the six colon-separated
/// components are matched separately, so a `*` never spans a `:` outside the
/// resource component.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ArnPattern {
    /// The six component patterns.
    Components(Box<[Pattern; 6]>),
    /// A pattern that is not six components (such as `*`), matched as a whole.
    Whole(Pattern),
}

impl ArnPattern {
    /// Compiles an ARN pattern (wildcards always on; variables per `variables`).
    pub(crate) fn compile(text: &str, variables: bool) -> ArnPattern {
        let syntax = Syntax {
            wildcards: true,
            variables,
            fold_case: false,
        };
        match split_arn(text, variables) {
            Some(parts) => ArnPattern::Components(Box::new(parts.map(|part| Pattern::compile(part, syntax)))),
            None => ArnPattern::Whole(Pattern::compile(text, syntax)),
        }
    }

    /// True when the ARN `text` matches.
    pub(crate) fn matches(&self, text: &str, vars: &dyn VarSource) -> bool {
        match self {
            ArnPattern::Whole(pattern) => pattern.matches(text, vars),
            ArnPattern::Components(patterns) => match split_arn(text, false) {
                Some(parts) => patterns.iter().zip(parts).all(|(p, part)| p.matches(part, vars)),
                None => false,
            },
        }
    }
}

/// The six components of an ARN (the last keeps any further colons); colons
/// inside `${...}` do not split when `variables` is on.
fn split_arn(text: &str, variables: bool) -> Option<[&str; 6]> {
    let mut parts = [""; 6];
    let bytes = text.as_bytes();
    let (mut start, mut at, mut found) = (0, 0, 0);
    while at < bytes.len() && found < 5 {
        if variables && bytes[at] == b'$' && bytes.get(at + 1) == Some(&b'{') {
            match text[at..].find('}') {
                Some(end) => {
                    at += end + 1;
                    continue;
                }
                None => break,
            }
        }
        if bytes[at] == b':' {
            parts[found] = &text[start..at];
            found += 1;
            start = at + 1;
        }
        at += 1;
    }
    if found < 5 {
        return None;
    }
    parts[5] = &text[start..];
    Some(parts)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const LIKE: Syntax = Syntax {
        wildcards: true,
        variables: true,
        fold_case: false,
    };
    const EQUALS: Syntax = Syntax {
        wildcards: false,
        variables: true,
        fold_case: false,
    };
    const IGNORE_CASE: Syntax = Syntax {
        wildcards: false,
        variables: true,
        fold_case: true,
    };

    struct Vars(HashMap<&'static str, &'static str>);

    impl VarSource for Vars {
        fn resolve(&self, key: &str) -> Option<&str> {
            self.0.get(key).copied()
        }
    }

    fn vars() -> Vars {
        Vars(HashMap::from([
            ("aws:username", "alice"),
            ("aws:principaltag/team", "yellow"),
            ("sagemaker:domainid", "d-abc"),
            ("sagemaker:userprofilename", "alice-profile"),
        ]))
    }

    fn like(pattern: &str, text: &str) -> bool {
        Pattern::compile(pattern, LIKE).matches(text, &vars())
    }

    #[test]
    fn wildcards() {
        assert!(like("*", ""));
        assert!(like("*", "anything:at/all"));
        assert!(like("s3:Get*", "s3:GetObject"));
        assert!(like("*Object", "s3:GetObject"));
        assert!(like("iam:*AccessKey*", "iam:CreateAccessKey"));
        assert!(like("iam:*AccessKey*", "iam:AccessKey"));
        assert!(!like("iam:*AccessKey*", "iam:CreateUser"));
        assert!(like("a?c", "abc"));
        assert!(!like("a?c", "ac"));
        assert!(!like("a?c", "abbc"));
        assert!(like("a*b*c", "aXbYbZc"));
        assert!(!like("a*b*c", "aXbYbZ"));
        assert!(like("arn:aws:s3:::*log*", "arn:aws:s3:::carlossalazar-logs/file"));
        assert!(like("??", "éa"), "? is one character, not one byte");
        assert!(!like("abc", "ABC"), "case-sensitive");
        assert!(like("", ""));
        assert!(!like("", "x"));
    }

    #[test]
    fn star_spans_colons_and_slashes() {
        assert!(like(
            "arn:aws:someservice:*:111122223333:finance/*",
            "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
        ));
    }

    #[test]
    fn equals_treats_wildcards_literally() {
        let p = Pattern::compile("a*", EQUALS);
        assert!(p.matches("a*", &NoVars));
        assert!(!p.matches("abc", &NoVars));
    }

    #[test]
    fn ignore_case() {
        let p = Pattern::compile("PreProd", IGNORE_CASE);
        assert!(p.matches("preprod", &NoVars));
        assert!(p.matches("PREPROD", &NoVars));
        assert!(!p.matches("preprod2", &NoVars));
        assert!(Pattern::compile("STRASSE-Ä", IGNORE_CASE).matches("strasse-ä", &NoVars));
        let v = Pattern::compile("home/${aws:username}", IGNORE_CASE);
        assert!(v.matches("HOME/ALICE", &vars()));
    }

    #[test]
    fn variables() {
        assert!(like(
            "arn:aws:s3:::bucket/${aws:username}/*",
            "arn:aws:s3:::bucket/alice/notes.txt"
        ));
        assert!(!like(
            "arn:aws:s3:::bucket/${aws:username}/*",
            "arn:aws:s3:::bucket/bob/notes.txt"
        ));
        assert!(like("${AWS:UserName}", "alice"), "variable keys are case-insensitive");
        assert!(like(
            "arn:aws:sagemaker:*:*:user-profile/${sagemaker:DomainId}/${sagemaker:UserProfileName}",
            "arn:aws:sagemaker:us-east-1:111122223333:user-profile/d-abc/alice-profile"
        ));
        // Variable values are literal text, not wildcards.
        let v = Vars(HashMap::from([("k", "a*")]));
        assert!(Pattern::compile("${k}", LIKE).matches("a*", &v));
        assert!(!Pattern::compile("${k}", LIKE).matches("abc", &v));
    }

    #[test]
    fn missing_variables_never_match() {
        assert!(!like("${aws:userid}", ""));
        assert!(!like("*${aws:userid}*", "anything"));
        assert!(!like("home/${aws:userid}/*", "home//x"));
    }

    #[test]
    fn variable_defaults() {
        assert!(like("bucket-${aws:PrincipalTag/team, 'company-wide'}", "bucket-yellow"));
        assert!(like(
            "bucket-${aws:PrincipalTag/dept, 'company-wide'}",
            "bucket-company-wide"
        ));
        assert!(!like(
            "bucket-${aws:PrincipalTag/dept, 'company-wide'}",
            "bucket-yellow"
        ));
        assert!(like("${aws:userid,'anonymous'}", "anonymous"));
    }

    #[test]
    fn special_characters() {
        assert!(like("a${*}b", "a*b"));
        assert!(!like("a${*}b", "axb"));
        assert!(like("what${?}", "what?"));
        assert!(!like("what${?}", "whatx"));
        assert!(like("${$}5", "$5"));
    }

    #[test]
    fn variables_off_means_literal_text() {
        let literal = Syntax {
            variables: false,
            ..LIKE
        };
        let p = Pattern::compile("home/${aws:username}/*", literal);
        assert!(p.matches("home/${aws:username}/x", &vars()));
        assert!(!p.matches("home/alice/x", &vars()));
    }

    #[test]
    fn unterminated_variable_is_literal() {
        assert!(like("a${b", "a${b"));
    }

    #[test]
    fn shapes() {
        assert_eq!(Pattern::compile("*", LIKE).shape, Shape::Any);
        assert_eq!(Pattern::compile("**", LIKE).shape, Shape::Any);
        assert_eq!(Pattern::compile("s3:getobject", LIKE).as_exact(), Some("s3:getobject"));
        assert_eq!(Pattern::compile("a${*}", LIKE).as_exact(), Some("a*"));
        assert_eq!(Pattern::compile("s3:*", LIKE).as_exact(), None);
    }

    #[test]
    fn arn_components_match_separately() {
        let p = ArnPattern::compile("arn:aws:someservice:*:111122223333:finance/*", true);
        assert!(!p.matches(
            "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt",
            &NoVars
        ));
        assert!(p.matches("arn:aws:someservice:us-east-2:111122223333:finance/a:b", &NoVars));
        assert!(!p.matches("arn:aws:someservice:us-east-2", &NoVars));
        let case = ArnPattern::compile("arn:aws:sns:us-east-1:123456789012:Topic", true);
        assert!(!case.matches("arn:aws:sns:us-east-1:123456789012:topic", &NoVars));
        let whole = ArnPattern::compile("*", true);
        assert!(whole.matches("arn:aws:sns:us-east-1:123456789012:topic", &NoVars));
        let var = ArnPattern::compile(
            "arn:aws:sagemaker:${aws:RequestedRegion, 'us-east-1'}:*:user-profile/${sagemaker:DomainId}/*",
            true,
        );
        assert!(var.matches("arn:aws:sagemaker:us-east-1:1:user-profile/d-abc/x", &vars()));
    }
}
