//! Policy documents as IAM returns them: URL-encoded JSON.

use studio_fed_policy::PolicyDocument;

use super::Error;

/// Decodes `%XX` escapes (RFC 3986; `+` stays `+`). IAM returns policy
/// documents percent-encoded; text that is already JSON is returned as is.
pub(crate) fn percent_decode(text: &str) -> String {
    if text.trim_start().starts_with('{') {
        return text.to_owned();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(hi * 16 + lo);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Parses a policy document returned by IAM (URL-encoded or not); errors name
/// the resource and which document it is.
pub fn parse_returned(resource: &str, what: &str, text: &str) -> Result<PolicyDocument, Error> {
    let decoded = percent_decode(text);
    PolicyDocument::from_json(&decoded).map_err(|source| Error::UnreadablePolicy {
        resource: resource.to_owned(),
        what: what.to_owned(),
        source,
    })
}

/// IAM may return a SAML metadata document percent-encoded; decode it when it is.
pub(crate) fn percent_decode_if_encoded_xml(text: &str) -> String {
    if text.trim_start().starts_with('<') {
        text.to_owned()
    } else {
        let wrapped = percent_decode(text);
        if wrapped.trim_start().starts_with('<') {
            wrapped
        } else {
            text.to_owned()
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn decodes_iam_encoding() {
        assert_eq!(percent_decode("%7B%22a%22%3A%22b+c%22%7D"), r#"{"a":"b+c"}"#);
        assert_eq!(percent_decode(r#"{"a":"%41"}"#), r#"{"a":"%41"}"#);
        assert_eq!(percent_decode("%7B%2"), "{%2");
        assert_eq!(percent_decode_if_encoded_xml("%3Ca%2F%3E"), "<a/>");
        assert_eq!(percent_decode_if_encoded_xml("<a>%41</a>"), "<a>%41</a>");
    }
}
