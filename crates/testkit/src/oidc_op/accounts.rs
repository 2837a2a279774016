//! Who logs in ([`User`]) and who may ask for tokens ([`Client`]).

use serde_json::{Map, Value};

/// The user the provider logs in at `/authorize`, without any UI.
///
/// Its claims go into every ID token (and the userinfo response) whatever the
/// requested scopes: `sub`, then `email`, `name`, `groups` when set, then
/// `extra` (which may override any of them, e.g. `email_verified`).
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// The subject identifier (`sub`).
    pub sub: String,
    /// The `email` claim, if any.
    pub email: Option<String>,
    /// The `name` claim, if any.
    pub name: Option<String>,
    /// The `groups` claim; omitted when empty (set `extra["groups"] = []` to send an empty list).
    pub groups: Vec<String>,
    /// Any other claims, added last.
    pub extra: Map<String, Value>,
}

impl User {
    /// A user with only a subject.
    pub fn new(sub: impl Into<String>) -> Self {
        User {
            sub: sub.into(),
            email: None,
            name: None,
            groups: Vec::new(),
            extra: Map::new(),
        }
    }

    /// Sets `email` (and `email_verified: true`, as most relying parties require it).
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self.extra.insert("email_verified".into(), Value::Bool(true));
        self
    }

    /// Sets `name`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets `groups`.
    pub fn groups<I, S>(mut self, groups: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.groups = groups.into_iter().map(Into::into).collect();
        self
    }

    /// Adds (or replaces) any claim.
    pub fn claim(mut self, name: impl Into<String>, value: Value) -> Self {
        self.extra.insert(name.into(), value);
        self
    }

    /// The user's claims in ID-token order.
    pub(super) fn claims(&self) -> Map<String, Value> {
        let mut claims = Map::new();
        claims.insert("sub".into(), self.sub.clone().into());
        if let Some(email) = &self.email {
            claims.insert("email".into(), email.clone().into());
        }
        if let Some(name) = &self.name {
            claims.insert("name".into(), name.clone().into());
        }
        if !self.groups.is_empty() {
            claims.insert("groups".into(), self.groups.clone().into());
        }
        for (name, value) in &self.extra {
            claims.insert(name.clone(), value.clone());
        }
        claims
    }
}

impl Default for User {
    /// `alice` (`alice@studio-fed.test`, "Alice Example", group `data-scientists`).
    fn default() -> Self {
        User::new("alice")
            .email("alice@studio-fed.test")
            .name("Alice Example")
            .groups(["data-scientists"])
    }
}

/// A registered relying party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// The `client_id`.
    pub id: String,
    /// The secret of a confidential client (`client_secret_basic` or
    /// `client_secret_post`); `None` for a public client (PKCE only).
    pub secret: Option<String>,
    /// The redirect URIs, compared exactly (no prefix, port or trailing-slash leniency).
    pub redirect_uris: Vec<String>,
}

impl Client {
    /// A confidential client.
    pub fn confidential<I, S>(id: impl Into<String>, secret: impl Into<String>, redirect_uris: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Client {
            id: id.into(),
            secret: Some(secret.into()),
            redirect_uris: redirect_uris.into_iter().map(Into::into).collect(),
        }
    }

    /// A public client: no secret, authenticates by `client_id` plus PKCE.
    pub fn public<I, S>(id: impl Into<String>, redirect_uris: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Client {
            id: id.into(),
            secret: None,
            redirect_uris: redirect_uris.into_iter().map(Into::into).collect(),
        }
    }
}
