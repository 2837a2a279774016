//! Reading a SAML Response or Assertion from its signed bytes.
//!
//! Elements are matched by namespace and local name, and attributes by their exact unprefixed
//! name (`x:Recipient` is not `Recipient`); an element the validator relies on that appears twice
//! where SAML allows it once makes the document ambiguous, and it is refused. Values are returned
//! exactly as signed (no trimming).

use time::OffsetDateTime;

use super::SamlError;
use super::metadata::parse_datetime;
use super::xml::Document;

pub(super) const NS_PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
pub(super) const NS_ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion";

/// The Response-level fields the validator checks.
#[derive(Debug)]
pub(super) struct ResponseFields {
    pub destination: Option<String>,
    pub in_response_to: Option<String>,
    pub issuer: Option<String>,
    pub status: Option<String>,
}

/// A `saml:Assertion`'s fields.
#[derive(Debug)]
pub(super) struct AssertionFields {
    pub id: String,
    pub issuer: Option<String>,
    pub issue_instant: OffsetDateTime,
    pub conditions: Option<Conditions>,
    pub subject: Option<Subject>,
    /// `(Name, values)` of every `Attribute`, in document order.
    pub attributes: Vec<(String, Vec<String>)>,
    /// The `SessionIndex` of the first `AuthnStatement` that has one.
    pub session_index: Option<String>,
}

/// `saml:Conditions`.
#[derive(Debug)]
pub(super) struct Conditions {
    pub not_before: Option<OffsetDateTime>,
    pub not_on_or_after: Option<OffsetDateTime>,
    /// The `Audience` values of each `AudienceRestriction`.
    pub audience_restrictions: Vec<Vec<String>>,
}

/// `saml:Subject`.
#[derive(Debug)]
pub(super) struct Subject {
    /// The `NameID` text and its `Format`.
    pub name_id: Option<(String, Option<String>)>,
    pub confirmations: Vec<Confirmation>,
}

/// `saml:SubjectConfirmation`.
#[derive(Debug)]
pub(super) struct Confirmation {
    pub method: Option<String>,
    pub data: Option<ConfirmationData>,
}

/// `saml:SubjectConfirmationData`.
#[derive(Debug)]
pub(super) struct ConfirmationData {
    pub not_before: Option<OffsetDateTime>,
    pub not_on_or_after: Option<OffsetDateTime>,
    pub recipient: Option<String>,
    pub in_response_to: Option<String>,
}

/// Reads the Response fields of the `samlp:Response` at `index`.
pub(super) fn response(doc: &Document<'_>, index: usize) -> Result<ResponseFields, SamlError> {
    let element = &doc.elements[index];
    let status = match at_most_one(doc, index, NS_PROTOCOL, "Status")? {
        Some(status) => at_most_one(doc, status, NS_PROTOCOL, "StatusCode")?
            .and_then(|code| doc.elements[code].attr("Value").map(str::to_owned)),
        None => None,
    };
    Ok(ResponseFields {
        destination: element.attr("Destination").map(str::to_owned),
        in_response_to: element.attr("InResponseTo").map(str::to_owned),
        issuer: text_of(doc, index, NS_ASSERTION, "Issuer")?,
        status,
    })
}

/// Reads the `saml:Assertion` at `index`.
pub(super) fn assertion(doc: &Document<'_>, index: usize) -> Result<AssertionFields, SamlError> {
    let element = &doc.elements[index];
    let id = element
        .attr("ID")
        .ok_or(SamlError::Malformed("the Assertion has no ID"))?
        .to_owned();
    let issue_instant = parse_datetime(
        element
            .attr("IssueInstant")
            .ok_or(SamlError::Malformed("the Assertion has no IssueInstant"))?,
    )?;
    let conditions = at_most_one(doc, index, NS_ASSERTION, "Conditions")?
        .map(|c| conditions(doc, c))
        .transpose()?;
    let subject = at_most_one(doc, index, NS_ASSERTION, "Subject")?
        .map(|s| subject(doc, s))
        .transpose()?;
    let mut attributes = Vec::new();
    for statement in doc.children_named(index, NS_ASSERTION, "AttributeStatement") {
        for attribute in doc.children_named(statement, NS_ASSERTION, "Attribute") {
            let Some(name) = doc.elements[attribute].attr("Name") else {
                continue;
            };
            let values = doc
                .children_named(attribute, NS_ASSERTION, "AttributeValue")
                .into_iter()
                .map(|v| doc.elements[v].text())
                .collect();
            attributes.push((name.to_owned(), values));
        }
    }
    let session_index = doc
        .children_named(index, NS_ASSERTION, "AuthnStatement")
        .into_iter()
        .find_map(|s| doc.elements[s].attr("SessionIndex").map(str::to_owned));
    Ok(AssertionFields {
        id,
        issuer: text_of(doc, index, NS_ASSERTION, "Issuer")?,
        issue_instant,
        conditions,
        subject,
        attributes,
        session_index,
    })
}

fn conditions(doc: &Document<'_>, index: usize) -> Result<Conditions, SamlError> {
    let element = &doc.elements[index];
    let audience_restrictions = doc
        .children_named(index, NS_ASSERTION, "AudienceRestriction")
        .into_iter()
        .map(|r| {
            doc.children_named(r, NS_ASSERTION, "Audience")
                .into_iter()
                .map(|a| doc.elements[a].text())
                .collect()
        })
        .collect();
    Ok(Conditions {
        not_before: time_attr(element.attr("NotBefore"))?,
        not_on_or_after: time_attr(element.attr("NotOnOrAfter"))?,
        audience_restrictions,
    })
}

fn subject(doc: &Document<'_>, index: usize) -> Result<Subject, SamlError> {
    let name_id = at_most_one(doc, index, NS_ASSERTION, "NameID")?.map(|n| {
        let element = &doc.elements[n];
        (element.text(), element.attr("Format").map(str::to_owned))
    });
    let mut confirmations = Vec::new();
    for confirmation in doc.children_named(index, NS_ASSERTION, "SubjectConfirmation") {
        let data = match at_most_one(doc, confirmation, NS_ASSERTION, "SubjectConfirmationData")? {
            Some(data) => {
                let element = &doc.elements[data];
                Some(ConfirmationData {
                    not_before: time_attr(element.attr("NotBefore"))?,
                    not_on_or_after: time_attr(element.attr("NotOnOrAfter"))?,
                    recipient: element.attr("Recipient").map(str::to_owned),
                    in_response_to: element.attr("InResponseTo").map(str::to_owned),
                })
            }
            None => None,
        };
        confirmations.push(Confirmation {
            method: doc.elements[confirmation].attr("Method").map(str::to_owned),
            data,
        });
    }
    Ok(Subject { name_id, confirmations })
}

/// The only child `{ns}local` of `index`, if any; two are ambiguous and refused.
fn at_most_one(doc: &Document<'_>, index: usize, ns: &str, local: &'static str) -> Result<Option<usize>, SamlError> {
    match doc.children_named(index, ns, local).as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        _ => Err(SamlError::Malformed("an element that SAML allows once appears twice")),
    }
}

fn text_of(doc: &Document<'_>, index: usize, ns: &str, local: &'static str) -> Result<Option<String>, SamlError> {
    Ok(at_most_one(doc, index, ns, local)?.map(|i| doc.elements[i].text()))
}

fn time_attr(value: Option<&str>) -> Result<Option<OffsetDateTime>, SamlError> {
    value.map(parse_datetime).transpose()
}
