//! XML text helpers and enveloped XML-DSig signing through samael's libxmlsec1 binding.

use std::fmt::Write as _;

use samael::crypto::{Crypto, CryptoProvider as _};
use time::{OffsetDateTime, UtcOffset};

use super::{Error, SigningKey};

/// Namespace of XML-DSig.
pub(super) const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

/// The XML declaration put in front of every document this module emits.
pub(super) const XML_DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

/// Escapes text for use in element content and in double- or single-quoted attribute values.
/// Tab, CR and LF are written as character references so attribute values keep them.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// Formats an instant as an `xs:dateTime` in UTC with milliseconds, e.g. `2025-01-31T12:00:00.000Z`.
pub(super) fn xs_datetime(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// A fresh XML ID: `_` followed by 40 random hex digits (valid NCName, unique per call).
pub(super) fn random_id() -> Result<String, Error> {
    let mut bytes = [0u8; 20];
    openssl::rand::rand_bytes(&mut bytes)?;
    Ok(bytes.iter().fold(String::from("_"), |mut id, b| {
        let _ = write!(id, "{b:02x}");
        id
    }))
}

/// A `ds:Signature` template for an enveloped signature over the element with ID `reference_id`:
/// exclusive c14n, one `Reference` with transforms enveloped-signature + exc-c14n, empty
/// `DigestValue`/`SignatureValue`, and the signer's certificate in `KeyInfo`.
pub(super) fn signature_template(
    reference_id: &str,
    signature_method: &str,
    digest_method: &str,
    key: &SigningKey,
) -> String {
    format!(
        concat!(
            r#"<ds:Signature xmlns:ds="{ns}">"#,
            r#"<ds:SignedInfo>"#,
            r#"<ds:CanonicalizationMethod Algorithm="{c14n}"/>"#,
            r#"<ds:SignatureMethod Algorithm="{sig}"/>"#,
            r##"<ds:Reference URI="#{id}">"##,
            r#"<ds:Transforms>"#,
            r#"<ds:Transform Algorithm="{enveloped}"/>"#,
            r#"<ds:Transform Algorithm="{c14n}"/>"#,
            r#"</ds:Transforms>"#,
            r#"<ds:DigestMethod Algorithm="{digest}"/>"#,
            r#"<ds:DigestValue></ds:DigestValue>"#,
            r#"</ds:Reference>"#,
            r#"</ds:SignedInfo>"#,
            r#"<ds:SignatureValue></ds:SignatureValue>"#,
            r#"<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"#,
            r#"</ds:Signature>"#,
        ),
        ns = DSIG_NS,
        c14n = EXC_C14N,
        sig = signature_method,
        id = escape(reference_id),
        enveloped = ENVELOPED,
        digest = digest_method,
        cert = key.certificate_base64(),
    )
}

/// Fills in the first `ds:Signature` template of `xml` (in document order) with libxmlsec1.
///
/// Attributes named `ID` are registered as XML IDs so `URI="#..."` resolves. Returns the signed
/// document without its XML declaration.
pub(super) fn sign_first_template(xml: &str, key: &SigningKey) -> Result<String, Error> {
    let signed = Crypto::sign_xml(xml, &key.private_key_der()?).map_err(Error::Signing)?;
    Ok(without_declaration(&signed).to_owned())
}

/// Removes a leading XML declaration and surrounding whitespace.
pub(super) fn without_declaration(xml: &str) -> &str {
    let xml = xml.trim();
    match xml
        .strip_prefix("<?xml")
        .and_then(|rest| rest.find("?>").map(|end| &rest[end + 2..]))
    {
        Some(rest) => rest.trim_start(),
        None => xml,
    }
}

/// Removes every `<ds:Signature ...>...</ds:Signature>` element (as emitted by this module).
pub(super) fn strip_signatures(xml: &str) -> String {
    const OPEN: &str = "<ds:Signature ";
    const CLOSE: &str = "</ds:Signature>";
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(start) = rest.find(OPEN) {
        let Some(len) = rest[start..].find(CLOSE) else {
            break;
        };
        out.push_str(&rest[..start]);
        rest = &rest[start + len + CLOSE.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_quotes_and_whitespace_controls() {
        assert_eq!(escape(r#"a&b<c>"d"'e'"#), "a&amp;b&lt;c&gt;&quot;d&quot;&apos;e&apos;");
        assert_eq!(escape("x\ty\nz\r"), "x&#9;y&#10;z&#13;");
        assert_eq!(escape("élève ✓"), "élève ✓");
    }

    #[test]
    fn formats_xs_datetime_in_utc() {
        let t = time::macros::datetime!(2025-03-04 05:06:07.089 +02:00);
        assert_eq!(xs_datetime(t), "2025-03-04T03:06:07.089Z");
    }

    #[test]
    fn ids_are_ncnames_and_unique() -> Result<(), Error> {
        let (a, b) = (random_id()?, random_id()?);
        assert_ne!(a, b);
        assert_eq!(a.len(), 41);
        assert!(a.starts_with('_') && a[1..].chars().all(|c| c.is_ascii_hexdigit()));
        Ok(())
    }

    #[test]
    fn strips_declaration_and_signatures() {
        assert_eq!(without_declaration("<?xml version=\"1.0\"?>\n<a/>\n"), "<a/>");
        assert_eq!(without_declaration("<a/>"), "<a/>");
        let xml = r#"<r><i/><ds:Signature xmlns:ds="x"><ds:SignedInfo/></ds:Signature><a><ds:Signature xmlns:ds="x"/></a></r>"#;
        // Only the `<ds:Signature ...>...</ds:Signature>` form is removed.
        assert_eq!(
            strip_signatures(xml),
            r#"<r><i/><a><ds:Signature xmlns:ds="x"/></a></r>"#
        );
    }
}
