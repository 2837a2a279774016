//! XML text helpers and enveloped XML-DSig signing.

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use openssl::hash::MessageDigest;
use time::{OffsetDateTime, UtcOffset};

use super::c14n::{Content, Tree};
use super::{Error, SignatureAlgorithm, SigningKey};

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

/// A `ds:Signature` template for an enveloped signature over `uri` (`""` for the whole document,
/// `"#ID"` for an element), for [`sign_enveloped`]: exclusive c14n (with the `InclusiveNamespaces`
/// prefix list `inclusive_prefixes`, if given, for `SignedInfo` and the reference alike), one
/// `Reference` with transforms enveloped-signature + exclusive c14n, `algorithm`'s signature and
/// digest methods, empty `DigestValue`/`SignatureValue`, and `key`'s certificate in `KeyInfo` if
/// given.
pub fn signature_template(
    uri: &str,
    algorithm: SignatureAlgorithm,
    inclusive_prefixes: Option<&str>,
    key: Option<&SigningKey>,
) -> String {
    // Self-closing without parameters, as IdPs write them.
    let c14n = |element: &str| match inclusive_prefixes {
        Some(p) => format!(
            r#"<ds:{element} Algorithm="{EXC_C14N}"><ec:InclusiveNamespaces xmlns:ec="{EXC_C14N}" PrefixList="{}"/></ds:{element}>"#,
            escape(p)
        ),
        None => format!(r#"<ds:{element} Algorithm="{EXC_C14N}"/>"#),
    };
    let key_info = key
        .map(|key| {
            format!(
                "<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>",
                key.certificate_base64()
            )
        })
        .unwrap_or_default();
    format!(
        concat!(
            r#"<ds:Signature xmlns:ds="{ns}">"#,
            r#"<ds:SignedInfo>"#,
            "{canonicalization}",
            r#"<ds:SignatureMethod Algorithm="{sig}"/>"#,
            r#"<ds:Reference URI="{uri}">"#,
            r#"<ds:Transforms>"#,
            r#"<ds:Transform Algorithm="{enveloped}"/>"#,
            "{transform_c14n}",
            r#"</ds:Transforms>"#,
            r#"<ds:DigestMethod Algorithm="{digest}"/>"#,
            r#"<ds:DigestValue></ds:DigestValue>"#,
            r#"</ds:Reference>"#,
            r#"</ds:SignedInfo>"#,
            r#"<ds:SignatureValue></ds:SignatureValue>"#,
            r#"{key_info}"#,
            r#"</ds:Signature>"#,
        ),
        ns = DSIG_NS,
        canonicalization = c14n("CanonicalizationMethod"),
        transform_c14n = c14n("Transform"),
        sig = algorithm.signature_uri(),
        uri = escape(uri),
        enveloped = ENVELOPED,
        digest = algorithm.digest_uri(),
        key_info = key_info,
    )
}

/// Fills in the first `ds:Signature` template of `xml` (in document order): computes the digest of
/// the element its `Reference` names and signs the `SignedInfo` with `key`, as an IdP does.
///
/// The template is an enveloped signature of the usual profile: exclusive c14n (optionally with
/// `InclusiveNamespaces`), one `Reference` with `URI=""` (the root) or `URI="#ID"` (the element
/// whose `ID`, `Id` or `id` attribute has that value), the transforms enveloped-signature and
/// exclusive c14n, an RSA or ECDSA signature method matching the key, and a SHA-1 or SHA-2 digest.
/// `DigestValue` and `SignatureValue` are written as `<ds:DigestValue></ds:DigestValue>` (their
/// content is replaced). Anything else is an [`Error::Signing`] that names it. Returns the signed
/// document without its XML declaration; every other byte is kept as it was.
pub fn sign_enveloped(xml: &str, key: &SigningKey) -> Result<String, Error> {
    let unsupported = |what: &str| {
        Error::Signing(format!(
            "the signature template has {what}, which the test IdP does not sign"
        ))
    };
    let tree = Tree::parse(xml)?;
    let in_dsig = |index: usize, local: &str| tree.is(index, DSIG_NS, local);
    let child = |index: usize, local: &str| -> Result<usize, Error> {
        let mut found = tree.children(index).filter(|&c| in_dsig(c, local));
        match (found.next(), found.next()) {
            (Some(one), None) => Ok(one),
            _ => Err(unsupported(&format!("not exactly one ds:{local}"))),
        }
    };
    let algorithm = |index: usize| tree.attr(index, "Algorithm").unwrap_or_default();
    let prefix_list = |index: usize| -> Vec<&str> {
        tree.children(index)
            .filter(|&c| tree.is(c, EXC_C14N, "InclusiveNamespaces"))
            .flat_map(|c| tree.attr(c, "PrefixList").unwrap_or_default().split_ascii_whitespace())
            .collect()
    };

    let signature = (0..tree.elements.len())
        .find(|&i| in_dsig(i, "Signature"))
        .ok_or_else(|| unsupported("no ds:Signature"))?;
    let signed_info = child(signature, "SignedInfo")?;
    let c14n = child(signed_info, "CanonicalizationMethod")?;
    if algorithm(c14n) != EXC_C14N {
        return Err(unsupported("a canonicalization other than exclusive c14n"));
    }
    let method = algorithm(child(signed_info, "SignatureMethod")?);
    let (ec, signature_digest) =
        signature_method(method).ok_or_else(|| unsupported(&format!("the signature method {method}")))?;
    if ec != key.is_ec() {
        return Err(unsupported("a signature method for another type of key"));
    }
    let reference = child(signed_info, "Reference")?;
    let mut enveloped = false;
    let mut transform_prefixes = None;
    for transform in tree.children(child(reference, "Transforms")?) {
        match algorithm(transform) {
            ENVELOPED if !enveloped => enveloped = true,
            EXC_C14N if transform_prefixes.is_none() => transform_prefixes = Some(prefix_list(transform)),
            other => return Err(unsupported(&format!("the transform {other}"))),
        }
    }
    let transform_prefixes = transform_prefixes.ok_or_else(|| unsupported("no exclusive c14n transform"))?;
    let digest_uri = algorithm(child(reference, "DigestMethod")?);
    let digest = digest_method(digest_uri).ok_or_else(|| unsupported(&format!("the digest method {digest_uri}")))?;
    let target = match tree.attr(reference, "URI") {
        Some("") => 0,
        Some(uri) => {
            let id = uri
                .strip_prefix('#')
                .ok_or_else(|| unsupported("a Reference URI that is not \"\" or \"#ID\""))?;
            (0..tree.elements.len())
                .find(|&i| ["ID", "Id", "id"].iter().any(|name| tree.attr(i, name) == Some(id)))
                .ok_or_else(|| unsupported("a Reference to an ID that no element has"))?
        }
        None => return Err(unsupported("a Reference without URI")),
    };

    let predigest = tree.exclusive_c14n(target, enveloped.then_some(signature), &transform_prefixes);
    let digest_value = STANDARD.encode(openssl::hash::hash(digest, predigest.as_bytes())?);
    let digest_element = child(reference, "DigestValue")?;
    let mut with_digest = tree.clone();
    with_digest.elements[digest_element].content = vec![Content::Text(digest_value.clone())];
    let signed_info_bytes = with_digest.exclusive_c14n(signed_info, None, &prefix_list(c14n));
    let signature_value = STANDARD.encode(key.sign(signature_digest, signed_info_bytes.as_bytes())?);

    let value_element = child(signature, "SignatureValue")?;
    let (digest_at, value_at) = (
        tree.elements[digest_element].inner.clone(),
        tree.elements[value_element].inner.clone(),
    );
    let written_open = |index: usize| !tree.elements[index].self_closing;
    if !written_open(digest_element) || !written_open(value_element) || digest_at.end > value_at.start {
        return Err(unsupported(
            "a DigestValue or SignatureValue that is not written <x></x> in this order",
        ));
    }
    let mut signed = String::with_capacity(xml.len() + 512);
    signed.push_str(&xml[..digest_at.start]);
    signed.push_str(&digest_value);
    signed.push_str(&xml[digest_at.end..value_at.start]);
    signed.push_str(&signature_value);
    signed.push_str(&xml[value_at.end..]);
    Ok(without_declaration(&signed).to_owned())
}

/// Whether an XML-DSig `SignatureMethod` is ECDSA (else RSA), and its digest.
fn signature_method(uri: &str) -> Option<(bool, MessageDigest)> {
    let (ec, digest) = uri
        .strip_prefix("http://www.w3.org/2001/04/xmldsig-more#")
        .or_else(|| uri.strip_prefix("http://www.w3.org/2000/09/xmldsig#"))?
        .split_once('-')?;
    let ec = match ec {
        "rsa" => false,
        "ecdsa" => true,
        _ => return None,
    };
    let digest = match digest {
        "sha1" => MessageDigest::sha1(),
        "sha256" => MessageDigest::sha256(),
        "sha384" => MessageDigest::sha384(),
        "sha512" => MessageDigest::sha512(),
        _ => return None,
    };
    Some((ec, digest))
}

/// The digest of an XML-DSig `DigestMethod`.
fn digest_method(uri: &str) -> Option<MessageDigest> {
    match uri {
        "http://www.w3.org/2000/09/xmldsig#sha1" => Some(MessageDigest::sha1()),
        "http://www.w3.org/2001/04/xmlenc#sha256" => Some(MessageDigest::sha256()),
        "http://www.w3.org/2001/04/xmldsig-more#sha384" => Some(MessageDigest::sha384()),
        "http://www.w3.org/2001/04/xmlenc#sha512" => Some(MessageDigest::sha512()),
        _ => None,
    }
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
