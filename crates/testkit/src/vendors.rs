//! The claim and attribute shapes of the identity providers studio-fed's users run, as data,
//! signed at test time by [`SamlIdp`] and [`OidcProvider`].
//!
//! Each module holds what one vendor really sends for a user (attribute and claim names, NameID
//! format, which parts are signed, the form of the values) with realistic values, and builds it:
//!
//! | module | login | the user | the team |
//! |---|---|---|---|
//! | [`entra_id`] | SAML and OIDC | `objectidentifier` / `oid` (a GUID) | group object ids; beyond 150 (SAML) or 200 (JWT) groups, the overage marker instead |
//! | [`identity_center`] | SAML, IdP-initiated | `username` = `${user:AD_GUID}` | none: the `domain-id` attribute names the domain |
//! | [`okta`] | SAML | NameID email; a `username` attribute statement | the `groups` group attribute statement |
//! | [`keycloak`] | OIDC | `preferred_username` | `groups`, full paths such as `/ml/vision` |
//! | [`cognito`] | OIDC | `cognito:username` | `cognito:groups` |
//!
//! SAML shapes are [`ResponseBuilder`]s of an IdP made with the vendor's entity ID (adjust them
//! further, then `build()`); OIDC shapes are [`IdTokenShape`]s, which make the provider's next ID
//! token carry exactly the vendor's claims.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use studio_fed_testkit::oidc_op::OidcProvider;
//! use studio_fed_testkit::vendors::{cognito, entra_id};
//!
//! // An Entra ID SAML response for Alice, in 151 groups: the groups are replaced by groups.link.
//! let idp = entra_id::saml_idp(entra_id::TENANT_ID)?;
//! let alice = entra_id::EntraUser::default().with_extra_groups(149);
//! let response = alice
//!     .saml_response(&idp, "https://sp.example.test/saml/acs", "https://sp.example.test/saml/acs")
//!     .build()?;
//!
//! // The next login at this provider gets a Cognito-shaped ID token.
//! let op = OidcProvider::start().await?;
//! cognito::CognitoUser::default().id_token().issue_next(&op);
//! # let _ = response; Ok(()) }
//! ```

use serde_json::{Map, Value, json};

use crate::oidc_op::{MintOptions, OidcProvider, User};
use crate::saml_idp::{Error, NAME_ID_EMAIL, ResponseBuilder, SamlIdp, Sign, SignatureAlgorithm};

/// The claims one vendor puts in an ID token for a user, except those of the login itself
/// (`iss`, `aud`, `exp`, `iat`, `nonce`, `at_hash`), which the provider adds; and the claims
/// [`OidcProvider`] adds that this vendor does not send.
#[derive(Debug, Clone, PartialEq)]
pub struct IdTokenShape {
    /// The vendor's claims, `sub` included.
    pub claims: Map<String, Value>,
    /// Claims the test provider sends by default that this vendor never does (e.g. `azp`).
    pub omitted: Vec<&'static str>,
}

impl IdTokenShape {
    /// One claim.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.claims.get(name)
    }

    /// The provider's [`User`] with these claims (also what its userinfo answers).
    pub fn user(&self) -> User {
        let sub = self.claims.get("sub").and_then(Value::as_str).unwrap_or_default();
        self.claims
            .iter()
            .filter(|(name, _)| name.as_str() != "sub")
            .fold(User::new(sub), |user, (name, value)| {
                user.claim(name.clone(), value.clone())
            })
    }

    /// Makes the claims of a login's ID token this shape: removes [`omitted`](Self::omitted)
    /// and sets every vendor claim.
    pub fn apply(&self, claims: &mut Map<String, Value>) {
        for name in &self.omitted {
            claims.remove(*name);
        }
        for (name, value) in &self.claims {
            claims.insert(name.clone(), value.clone());
        }
    }

    /// Logs this user in at `op` and gives the next login's ID token this shape, genuinely
    /// signed by the provider's published key (through [`OidcProvider::tamper_next_id_token`]
    /// with the default [`MintOptions`], so [`OidcProvider::pending_tampering`] tells whether a
    /// login used it).
    pub fn issue_next(&self, op: &OidcProvider) {
        op.set_user(self.user());
        let shape = self.clone();
        op.tamper_next_id_token(move |claims| shape.apply(claims), MintOptions::new());
    }
}

/// `count` distinct, stable GUIDs, e.g. the object ids of a user's other groups.
fn guids(seed: u32, count: usize) -> Vec<String> {
    (0..count)
        .map(|i| format!("{seed:08x}-0000-4000-8000-{i:012x}"))
        .collect()
}

fn object(pairs: Vec<(&str, Value)>) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// Microsoft Entra ID (Azure AD): an enterprise application with SAML single sign-on, or an app
/// registration signing users in with OpenID Connect (v2.0 endpoint), with the group claim
/// configured to send security groups as group object ids.
pub mod entra_id {
    use super::*;

    /// The tenant of the fixtures.
    pub const TENANT_ID: &str = "e16de648-6c81-43f9-afcd-0d74676354ca";
    /// The object id of the "Studio Vision" security group.
    pub const VISION_GROUP: &str = "2e16d564-5bc9-4698-b6b6-f0684617ecaf";
    /// The object id of the "All Staff" security group.
    pub const ALL_STAFF_GROUP: &str = "ef55bac1-2a56-4466-930c-f82724e2108e";
    /// The application (client) id of the app registration.
    pub const CLIENT_ID: &str = "fe7037b4-14dc-43b9-8c9b-5a0bc33d9acd";

    /// SAML: the user's object id (a GUID), always sent.
    pub const OBJECT_ID: &str = "http://schemas.microsoft.com/identity/claims/objectidentifier";
    /// SAML: the tenant id, always sent.
    pub const TENANT: &str = "http://schemas.microsoft.com/identity/claims/tenantid";
    /// SAML: the display name, always sent.
    pub const DISPLAY_NAME: &str = "http://schemas.microsoft.com/identity/claims/displayname";
    /// SAML: the identity provider (`https://sts.windows.net/{tenant}/`), always sent.
    pub const IDENTITY_PROVIDER: &str = "http://schemas.microsoft.com/identity/claims/identityprovider";
    /// SAML: how the user authenticated, always sent.
    pub const AUTHN_METHODS_REFERENCES: &str = "http://schemas.microsoft.com/claims/authnmethodsreferences";
    /// SAML default claim: `user.givenname`.
    pub const GIVEN_NAME: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname";
    /// SAML default claim: `user.surname`.
    pub const SURNAME: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname";
    /// SAML default claim: `user.mail`.
    pub const EMAIL_ADDRESS: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress";
    /// SAML default claim: `user.userprincipalname`.
    pub const NAME: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name";
    /// SAML group claim: the group object ids.
    pub const GROUPS: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups";
    /// SAML groups overage: sent instead of [`GROUPS`] beyond [`SAML_GROUPS_LIMIT`] groups, a
    /// Graph link to look them up.
    pub const GROUPS_LINK: &str = "http://schemas.microsoft.com/claims/groups.link";
    /// SAML: the values of the user's app roles in the application (OIDC: `roles`).
    pub const ROLE: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role";
    /// The most groups a SAML assertion carries.
    pub const SAML_GROUPS_LIMIT: usize = 150;
    /// The most groups a JWT carries.
    pub const JWT_GROUPS_LIMIT: usize = 200;

    /// The SAML entity ID (the `Issuer`) of a tenant: `https://sts.windows.net/{tenant}/`.
    pub fn saml_entity_id(tenant_id: &str) -> String {
        format!("https://sts.windows.net/{tenant_id}/")
    }

    /// The OpenID Connect issuer of a tenant (v2.0 endpoint).
    pub fn issuer(tenant_id: &str) -> String {
        format!("https://login.microsoftonline.com/{tenant_id}/v2.0")
    }

    /// A SAML IdP with the tenant's entity ID and a fresh signing certificate.
    pub fn saml_idp(tenant_id: &str) -> Result<SamlIdp, Error> {
        SamlIdp::new(saml_entity_id(tenant_id))
    }

    /// The Graph link of the overage (SAML `groups.link`, OIDC `_claim_sources`).
    fn member_objects(tenant_id: &str, object_id: &str) -> String {
        format!("https://graph.windows.net/{tenant_id}/users/{object_id}/getMemberObjects")
    }

    /// A member of the tenant and the groups Entra ID would put in its tokens.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct EntraUser {
        /// The tenant id.
        pub tenant_id: String,
        /// The user's object id.
        pub object_id: String,
        /// The user principal name (the SAML NameID and `name` claim, OIDC `preferred_username`).
        pub user_principal_name: String,
        /// The display name.
        pub display_name: String,
        /// The given name.
        pub given_name: String,
        /// The surname.
        pub surname: String,
        /// The mail address.
        pub mail: String,
        /// The object ids of the user's groups, in the order Entra ID lists them.
        pub groups: Vec<String>,
        /// The values of the app roles the user is assigned in the application. App roles are
        /// never left out for their number, unlike groups.
        pub app_roles: Vec<String>,
    }

    impl Default for EntraUser {
        /// Alice Martin of [`TENANT_ID`], in "All Staff" and "Studio Vision".
        fn default() -> Self {
            EntraUser {
                tenant_id: TENANT_ID.to_owned(),
                object_id: "7919e65f-5db3-490a-b267-7c5da42ebf2d".to_owned(),
                user_principal_name: "alice.martin@acme.example".to_owned(),
                display_name: "Alice Martin".to_owned(),
                given_name: "Alice".to_owned(),
                surname: "Martin".to_owned(),
                mail: "alice.martin@acme.example".to_owned(),
                groups: vec![ALL_STAFF_GROUP.to_owned(), VISION_GROUP.to_owned()],
                app_roles: Vec::new(),
            }
        }
    }

    impl EntraUser {
        /// Assigns the user the app roles with these values.
        pub fn with_app_roles(mut self, values: &[&str]) -> Self {
            self.app_roles.extend(values.iter().map(|v| (*v).to_owned()));
            self
        }

        /// Adds `count` more groups (stable object ids), e.g. to go past a limit.
        pub fn with_extra_groups(mut self, count: usize) -> Self {
            self.groups.extend(guids(0x0e47_0000, count));
            self
        }

        /// An IdP-initiated response as Entra ID sends it to the ACS `acs_url` of an enterprise
        /// application whose "Identifier (Entity ID)" is `entity_id`: the assertion signed
        /// (Entra's default signing option), rsa-sha256, NameID the UPN in emailAddress format,
        /// the always-sent claims, the default user claims, the group claim — or, beyond
        /// [`SAML_GROUPS_LIMIT`] groups, [`GROUPS_LINK`] instead of it — and [`ROLE`] when the user
        /// has app roles. `idp` should have the
        /// tenant's entity ID ([`saml_idp`]).
        pub fn saml_response<'a>(&self, idp: &'a SamlIdp, acs_url: &str, entity_id: &str) -> ResponseBuilder<'a> {
            let response = idp
                .response()
                .destination(acs_url)
                .audience(entity_id)
                .name_id(&self.user_principal_name)
                .name_id_format(NAME_ID_EMAIL)
                .sign(Sign::Assertion)
                .algorithm(SignatureAlgorithm::RsaSha256)
                .attribute(TENANT, [&self.tenant_id])
                .attribute(OBJECT_ID, [&self.object_id])
                .attribute(DISPLAY_NAME, [&self.display_name]);
            let response = if self.groups.len() > SAML_GROUPS_LIMIT {
                response.attribute(GROUPS_LINK, [member_objects(&self.tenant_id, &self.object_id)])
            } else if self.groups.is_empty() {
                response
            } else {
                response.attribute(GROUPS, &self.groups)
            };
            let response = if self.app_roles.is_empty() {
                response
            } else {
                response.attribute(ROLE, &self.app_roles)
            };
            response
                .attribute(IDENTITY_PROVIDER, [saml_entity_id(&self.tenant_id)])
                .attribute(
                    AUTHN_METHODS_REFERENCES,
                    ["http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password"],
                )
                .attribute(GIVEN_NAME, [&self.given_name])
                .attribute(SURNAME, [&self.surname])
                .attribute(EMAIL_ADDRESS, [&self.mail])
                .attribute(NAME, [&self.user_principal_name])
        }

        /// A v2.0 ID token: `oid`, `tid`, `preferred_username`, `name`, a pairwise `sub`,
        /// `ver: "2.0"`, `groups` — or, beyond [`JWT_GROUPS_LIMIT`] groups, the overage's
        /// `_claim_names: {"groups": "src1"}` and `_claim_sources` instead. No `azp` and no
        /// `auth_time` (Entra ID does not send them in ID tokens by default).
        pub fn id_token(&self) -> IdTokenShape {
            let mut claims = object(vec![
                ("aio", json!("AWQAm/8ZAAAA2Vt0bCkOYk4Lh0Jfq1pVwE7n3Wm8d0Xs9fZr5c1u")),
                ("name", json!(self.display_name)),
                ("oid", json!(self.object_id)),
                ("preferred_username", json!(self.user_principal_name)),
                ("rh", json!("0.ARoASObe4YFs-UOvzQ10Z2NUyrQ3cP7cFLlDjJxaCz-a3NsaAEE.")),
                ("sub", json!("f3Yq1VhZ6mXn0cBtPz9kR2wLsE8aJdGuT4oIyN7vKbM")),
                ("tid", json!(self.tenant_id)),
                ("uti", json!("Ls8wqZpKm0eXb3Yd1c9RAA")),
                ("ver", json!("2.0")),
            ]);
            if self.groups.len() > JWT_GROUPS_LIMIT {
                claims.insert("_claim_names".into(), json!({ "groups": "src1" }));
                claims.insert(
                    "_claim_sources".into(),
                    json!({ "src1": { "endpoint": member_objects(&self.tenant_id, &self.object_id) } }),
                );
            } else if !self.groups.is_empty() {
                claims.insert("groups".into(), json!(self.groups));
            }
            if !self.app_roles.is_empty() {
                claims.insert("roles".into(), json!(self.app_roles));
            }
            IdTokenShape {
                claims,
                omitted: vec!["azp", "auth_time"],
            }
        }
    }
}

/// AWS IAM Identity Center: a customer managed SAML 2.0 application whose attribute mappings
/// send `username` = `${user:AD_GUID}` and `domain-id` = the Studio domain id (a constant).
pub mod identity_center {
    use super::*;

    /// The IdP entity ID (its "IAM Identity Center SAML issuer URL").
    pub const ENTITY_ID: &str =
        "https://portal.sso.eu-west-1.amazonaws.com/saml/assertion/MTIzNDU2Nzg5MDEyX2lucy1hMWIyYzNkNGU1ZjZhN2I4";
    /// The attribute carrying `${user:AD_GUID}`.
    pub const USERNAME: &str = "username";
    /// The attribute carrying the domain id.
    pub const DOMAIN_ID: &str = "domain-id";

    /// A SAML IdP with [`ENTITY_ID`] and a fresh signing certificate.
    pub fn saml_idp() -> Result<SamlIdp, Error> {
        SamlIdp::new(ENTITY_ID)
    }

    /// A user of the Identity Center directory (synchronised from Active Directory).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct IdentityCenterUser {
        /// `${user:AD_GUID}`: the user's objectGUID in Active Directory.
        pub ad_guid: String,
    }

    impl Default for IdentityCenterUser {
        fn default() -> Self {
            IdentityCenterUser {
                ad_guid: "a94d9b87-7016-401d-9a54-82e895d477d7".to_owned(),
            }
        }
    }

    impl IdentityCenterUser {
        /// The IdP-initiated response Identity Center sends when the user opens the application
        /// ([`SamlIdp::identity_center_style`]): Response and Assertion signed, `username` and
        /// `domain-id`. `audience` is the application's "SAML audience" (Identity Center's may
        /// differ from the ACS URL by a trailing slash).
        pub fn saml_response<'a>(
            &self,
            idp: &'a SamlIdp,
            acs_url: &str,
            audience: &str,
            domain_id: &str,
        ) -> ResponseBuilder<'a> {
            idp.identity_center_style(acs_url, audience, &self.ad_guid, domain_id)
        }
    }
}

/// Okta: a SAML 2.0 app integration with attribute statements (`firstName`, `lastName`, `email`,
/// and `username` = `String.replace(String.substringBefore(user.login, "@"), ".", "-")`) and a
/// group attribute statement `groups` filtered to the groups starting with `studio-`.
pub mod okta {
    use super::*;

    /// The app integration's id.
    pub const APP_ID: &str = "exk8a1b2c3d4E5f6g7h8";
    /// The group attribute statement.
    pub const GROUPS: &str = "groups";
    /// The attribute statement naming the user in a form a Studio profile name accepts.
    pub const USERNAME: &str = "username";

    /// The entity ID (Issuer) of an app integration: `http://www.okta.com/{app_id}`.
    pub fn entity_id(app_id: &str) -> String {
        format!("http://www.okta.com/{app_id}")
    }

    /// A SAML IdP with the entity ID of [`APP_ID`] and a fresh signing certificate.
    pub fn saml_idp() -> Result<SamlIdp, Error> {
        SamlIdp::new(entity_id(APP_ID))
    }

    /// An Okta user and what the app's statements send for it.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct OktaUser {
        /// `user.login` (an email address), also the NameID.
        pub login: String,
        /// `user.firstName`.
        pub first_name: String,
        /// `user.lastName`.
        pub last_name: String,
        /// The `username` attribute statement's value.
        pub username: String,
        /// The groups passing the group attribute statement's filter.
        pub groups: Vec<String>,
    }

    impl Default for OktaUser {
        /// Alice Smith, in `studio-vision`.
        fn default() -> Self {
            OktaUser {
                login: "alice.smith@acme.example".to_owned(),
                first_name: "Alice".to_owned(),
                last_name: "Smith".to_owned(),
                username: "alice-smith".to_owned(),
                groups: vec!["studio-vision".to_owned()],
            }
        }
    }

    impl OktaUser {
        /// An IdP-initiated response (the user opens the app from the Okta dashboard) to
        /// `acs_url` ("Single sign-on URL") for `audience` ("Audience URI (SP Entity ID)"):
        /// Response and Assertion signed (Okta's defaults), rsa-sha256, NameID the login in
        /// emailAddress format, the attribute statements, then the group attribute statement
        /// (left out when no group passes its filter).
        pub fn saml_response<'a>(&self, idp: &'a SamlIdp, acs_url: &str, audience: &str) -> ResponseBuilder<'a> {
            let response = idp
                .response()
                .destination(acs_url)
                .audience(audience)
                .name_id(&self.login)
                .name_id_format(NAME_ID_EMAIL)
                .sign(Sign::Both)
                .algorithm(SignatureAlgorithm::RsaSha256)
                .attribute("firstName", [&self.first_name])
                .attribute("lastName", [&self.last_name])
                .attribute("email", [&self.login])
                .attribute(USERNAME, [&self.username]);
            if self.groups.is_empty() {
                response
            } else {
                response.attribute(GROUPS, &self.groups)
            }
        }
    }
}

/// Keycloak: an OpenID Connect client in a realm, with a "Group Membership" mapper (token claim
/// name `groups`, "Full group path" on, the default).
pub mod keycloak {
    use super::*;

    /// The issuer of `realm` on a Keycloak at `base_url`: `{base_url}/realms/{realm}`.
    pub fn issuer(base_url: &str, realm: &str) -> String {
        format!("{}/realms/{realm}", base_url.trim_end_matches('/'))
    }

    /// A realm user.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct KeycloakUser {
        /// The user's id (`sub`).
        pub id: String,
        /// The username (`preferred_username`; Keycloak lowercases it).
        pub username: String,
        /// The first name.
        pub given_name: String,
        /// The last name.
        pub family_name: String,
        /// The email address.
        pub email: String,
        /// The groups, as full paths.
        pub groups: Vec<String>,
    }

    impl Default for KeycloakUser {
        /// `alice`, in `/ml/vision` and `/all-staff`.
        fn default() -> Self {
            KeycloakUser {
                id: "e7a128ba-a95c-4974-a7a0-24569443ecc5".to_owned(),
                username: "alice".to_owned(),
                given_name: "Alice".to_owned(),
                family_name: "Nguyen".to_owned(),
                email: "alice.nguyen@acme.example".to_owned(),
                groups: vec!["/ml/vision".to_owned(), "/all-staff".to_owned()],
            }
        }
    }

    impl KeycloakUser {
        /// An ID token of the realm: `typ: "ID"`, `azp`, `auth_time`, `session_state` and `sid`,
        /// `acr: "1"`, the profile and email scopes' claims, and `groups` with full paths.
        pub fn id_token(&self) -> IdTokenShape {
            let session = "f7a3ae72-25ab-4fe4-899e-2e3b0786678c";
            let claims = object(vec![
                ("sub", json!(self.id)),
                ("typ", json!("ID")),
                ("session_state", json!(session)),
                ("acr", json!("1")),
                ("sid", json!(session)),
                ("email_verified", json!(true)),
                ("name", json!(format!("{} {}", self.given_name, self.family_name))),
                ("groups", json!(self.groups)),
                ("preferred_username", json!(self.username)),
                ("given_name", json!(self.given_name)),
                ("family_name", json!(self.family_name)),
                ("email", json!(self.email)),
            ]);
            IdTokenShape {
                claims,
                omitted: Vec::new(),
            }
        }
    }
}

/// Amazon Cognito user pools: the hosted UI's OpenID Connect login, users in user-pool groups.
pub mod cognito {
    use super::*;

    /// The user pool of the fixtures.
    pub const USER_POOL_ID: &str = "eu-west-1_Q2wE3rT4y";
    /// The app client of the fixtures.
    pub const CLIENT_ID: &str = "4s2kxm9p1a7b3c5d6e8f0g1h2i";

    /// The issuer of a user pool: `https://cognito-idp.{region}.amazonaws.com/{user_pool_id}`.
    pub fn issuer(region: &str, user_pool_id: &str) -> String {
        format!("https://cognito-idp.{region}.amazonaws.com/{user_pool_id}")
    }

    /// A user-pool user.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct CognitoUser {
        /// The user's `sub`.
        pub sub: String,
        /// The user name (`cognito:username`).
        pub username: String,
        /// The email address.
        pub email: String,
        /// The user-pool groups (`cognito:groups`).
        pub groups: Vec<String>,
    }

    impl Default for CognitoUser {
        /// `alice`, in the `vision` group.
        fn default() -> Self {
            CognitoUser {
                sub: "84bd94f6-00f3-45d1-8a95-6c7809af25d3".to_owned(),
                username: "alice".to_owned(),
                email: "alice@acme.example".to_owned(),
                groups: vec!["vision".to_owned()],
            }
        }
    }

    impl CognitoUser {
        /// An ID token of the user pool: `cognito:username`, `cognito:groups` (left out when the
        /// user is in none), `token_use: "id"`, `origin_jti`, `event_id`, `jti`, `auth_time`,
        /// the email claims; no `azp`.
        pub fn id_token(&self) -> IdTokenShape {
            let mut claims = object(vec![("sub", json!(self.sub))]);
            if !self.groups.is_empty() {
                claims.insert("cognito:groups".into(), json!(self.groups));
            }
            claims.extend(object(vec![
                ("email_verified", json!(true)),
                ("cognito:username", json!(self.username)),
                ("origin_jti", json!("d55ca400-86bb-443b-bdcf-c1e2fc2aa6ad")),
                ("event_id", json!("6c727b8f-7937-4dea-b350-3b75b376f152")),
                ("token_use", json!("id")),
                ("jti", json!("eb23d343-48a9-4a50-b5ae-e4ec04ea92c6")),
                ("email", json!(self.email)),
            ]));
            IdTokenShape {
                claims,
                omitted: vec!["azp"],
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn entra_id_replaces_groups_beyond_its_limits() {
        let idp = entra_id::saml_idp(entra_id::TENANT_ID).unwrap();
        let saml = |user: &entra_id::EntraUser| {
            user.saml_response(&idp, "https://sp.test/saml/acs", "https://sp.test/saml/acs")
                .build()
                .unwrap()
                .into_xml()
        };
        let at_limit = entra_id::EntraUser::default().with_extra_groups(entra_id::SAML_GROUPS_LIMIT - 2);
        let xml = saml(&at_limit);
        assert!(xml.contains(entra_id::GROUPS) && !xml.contains(entra_id::GROUPS_LINK));
        assert!(xml.contains(entra_id::VISION_GROUP));
        let over = at_limit.clone().with_extra_groups(1);
        let xml = saml(&over);
        assert!(!xml.contains(entra_id::GROUPS) && xml.contains(entra_id::GROUPS_LINK));
        assert!(!xml.contains(entra_id::VISION_GROUP));
        assert!(xml.contains("/getMemberObjects"));

        // 151 groups still fit in a token; 201 do not.
        let token = over.id_token();
        assert_eq!(token.claim("groups").unwrap().as_array().unwrap().len(), 151);
        assert!(token.claim("_claim_names").is_none());
        let token = over.with_extra_groups(50).id_token();
        assert!(token.claim("groups").is_none());
        assert_eq!(token.claim("_claim_names").unwrap(), &json!({ "groups": "src1" }));
        assert!(token.claim("_claim_sources").unwrap()["src1"]["endpoint"].is_string());
    }

    #[test]
    fn entra_id_app_roles_come_whatever_the_number_of_groups() {
        let idp = entra_id::saml_idp(entra_id::TENANT_ID).unwrap();
        let user = entra_id::EntraUser::default().with_extra_groups(entra_id::JWT_GROUPS_LIMIT);
        let xml = user
            .saml_response(&idp, "https://sp.test/saml/acs", "https://sp.test/saml/acs")
            .build()
            .unwrap()
            .into_xml();
        assert!(!xml.contains(entra_id::ROLE));
        assert!(user.id_token().claim("roles").is_none());

        let user = user.with_app_roles(&["vision"]);
        let xml = user
            .saml_response(&idp, "https://sp.test/saml/acs", "https://sp.test/saml/acs")
            .build()
            .unwrap()
            .into_xml();
        assert!(xml.contains(entra_id::ROLE) && xml.contains(entra_id::GROUPS_LINK));
        let token = user.id_token();
        assert_eq!(token.claim("roles").unwrap(), &json!(["vision"]));
        assert!(token.claim("_claim_names").is_some());
    }

    #[test]
    fn a_shape_replaces_the_providers_own_claims() {
        let shape = cognito::CognitoUser::default().id_token();
        let mut claims = object(vec![
            ("iss", json!("https://op.test")),
            ("azp", json!("client")),
            ("sub", json!("someone")),
        ]);
        shape.apply(&mut claims);
        assert!(!claims.contains_key("azp"));
        assert_eq!(claims["iss"], "https://op.test");
        assert_eq!(claims["sub"], shape.claims["sub"]);
        assert_eq!(claims["cognito:groups"], json!(["vision"]));
        let user = shape.user();
        assert_eq!(user.sub, "84bd94f6-00f3-45d1-8a95-6c7809af25d3");
        assert_eq!(user.extra["cognito:username"], "alice");
    }
}
