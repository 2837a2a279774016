//! Text surgery on SAML documents, for building attacks out of a normally signed response.
//!
//! Real attacks (signature wrapping, smuggled elements, edited copies) are made by cutting and
//! pasting the text of a signed document, keeping its signatures byte for byte. These helpers
//! work on the text that [`super::ResponseBuilder`] emits: prefixes `samlp:`, `saml:` and `ds:`,
//! every element's attributes on one line, no whitespace between elements. They find markers by
//! plain substring search, and fail with [`Error::Surgery`] when a marker is absent, so an attack
//! that silently stopped applying (because the emitted XML changed) is noticed instead of testing
//! an unmodified document.
//!
//! ```
//! # fn main() -> Result<(), studio_fed_testkit::saml_idp::Error> {
//! use studio_fed_testkit::saml_idp::surgery::{assertion_parts, rename_id, replace_all, without_first_signature};
//!
//! let xml = r#"<samlp:Response ID="_r"><saml:Assertion ID="_a"><ds:Signature xmlns:ds="x">s</ds:Signature><saml:NameID>alice</saml:NameID></saml:Assertion></samlp:Response>"#;
//! let (head, signed, tail) = assertion_parts(xml)?;
//! // An unsigned copy of the assertion with another ID and subject, before the signed one (XSW3).
//! let evil = replace_all(&rename_id(&without_first_signature(signed)?, "_a", "_evil"), ">alice<", ">admin<")?;
//! let attack = format!("{head}{evil}{signed}{tail}");
//! assert!(attack.contains(r#"<saml:Assertion ID="_evil"><saml:NameID>admin</saml:NameID></saml:Assertion><saml:Assertion ID="_a">"#));
//! # Ok(()) }
//! ```

use std::ops::Range;

use super::Error;

const ASSERTION_OPEN: &str = "<saml:Assertion ";
const ASSERTION_CLOSE: &str = "</saml:Assertion>";
const SIGNATURE_OPEN: &str = "<ds:Signature ";
const SIGNATURE_CLOSE: &str = "</ds:Signature>";

fn missing(what: &str) -> Error {
    Error::Surgery(format!("`{what}` is not in the document"))
}

/// The byte range of the first element that starts with `open` (e.g. `<ds:Signature `), up to the
/// end of the first `close` (e.g. `</ds:Signature>`) after it. Not nesting-aware: for an element
/// that may contain another of the same name, see [`assertion_range`].
pub fn element_range(xml: &str, open: &str, close: &str) -> Result<Range<usize>, Error> {
    let start = xml.find(open).ok_or_else(|| missing(open))?;
    let len = xml[start..].find(close).ok_or_else(|| missing(close))?;
    Ok(start..start + len + close.len())
}

/// The byte range from the first `<saml:Assertion ` to the end of the last `</saml:Assertion>`:
/// the whole assertion of a normal response, even when it wraps another one.
pub fn assertion_range(xml: &str) -> Result<Range<usize>, Error> {
    let start = xml.find(ASSERTION_OPEN).ok_or_else(|| missing(ASSERTION_OPEN))?;
    let end = xml.rfind(ASSERTION_CLOSE).ok_or_else(|| missing(ASSERTION_CLOSE))? + ASSERTION_CLOSE.len();
    if end <= start {
        return Err(missing(ASSERTION_CLOSE));
    }
    Ok(start..end)
}

/// Splits a response around its assertion (see [`assertion_range`]): `(before, assertion, after)`.
pub fn assertion_parts(xml: &str) -> Result<(&str, &str, &str), Error> {
    let range = assertion_range(xml)?;
    Ok((&xml[..range.start], &xml[range.clone()], &xml[range.end..]))
}

/// Removes the range `range` of `xml`.
pub fn remove_range(xml: &str, range: Range<usize>) -> String {
    format!("{}{}", &xml[..range.start], &xml[range.end..])
}

/// Removes the first element that starts with `open` and ends with the next `close` (see
/// [`element_range`]).
pub fn remove_element(xml: &str, open: &str, close: &str) -> Result<String, Error> {
    Ok(remove_range(xml, element_range(xml, open, close)?))
}

/// Removes the first `<ds:Signature ...>...</ds:Signature>` (in document order: the Response's
/// when the Response is signed, otherwise the Assertion's).
pub fn without_first_signature(xml: &str) -> Result<String, Error> {
    remove_element(xml, SIGNATURE_OPEN, SIGNATURE_CLOSE)
}

/// Inserts `what` just before the first occurrence of `marker`.
pub fn insert_before(xml: &str, marker: &str, what: &str) -> Result<String, Error> {
    let at = xml.find(marker).ok_or_else(|| missing(marker))?;
    Ok(format!("{}{what}{}", &xml[..at], &xml[at..]))
}

/// Inserts `what` just after the first occurrence of `marker`.
pub fn insert_after(xml: &str, marker: &str, what: &str) -> Result<String, Error> {
    let at = xml.find(marker).ok_or_else(|| missing(marker))? + marker.len();
    Ok(format!("{}{what}{}", &xml[..at], &xml[at..]))
}

/// Replaces the first occurrence of `from` with `to`.
pub fn replace_first(xml: &str, from: &str, to: &str) -> Result<String, Error> {
    if !xml.contains(from) {
        return Err(missing(from));
    }
    Ok(xml.replacen(from, to, 1))
}

/// Replaces every occurrence of `from` with `to` (at least one must exist).
pub fn replace_all(xml: &str, from: &str, to: &str) -> Result<String, Error> {
    if !xml.contains(from) {
        return Err(missing(from));
    }
    Ok(xml.replace(from, to))
}

/// Renames the element whose `ID` attribute is `old` (every `ID="old"`, not the `URI="#old"`
/// references to it, so a signature keeps pointing at the old ID).
pub fn rename_id(xml: &str, old: &str, new: &str) -> String {
    xml.replace(&format!(r#"ID="{old}""#), &format!(r#"ID="{new}""#))
}

/// The document without its XML declaration (and the whitespace after it), e.g. to nest a copy
/// of a whole response inside another document.
pub fn without_declaration(xml: &str) -> &str {
    let trimmed = xml.trim_start();
    match trimmed
        .strip_prefix("<?xml")
        .and_then(|rest| rest.find("?>").map(|end| &rest[end + 2..]))
    {
        Some(rest) => rest.trim_start(),
        None => trimmed,
    }
}

/// `data` as a raw DEFLATE stream (RFC 1951) of stored (uncompressed) blocks: what the
/// HTTP-Redirect binding's encoding produces, minus the compression. A SAMLResponse posted in
/// that form must be refused by an HTTP-POST endpoint.
pub fn deflate_stored(data: &[u8]) -> Vec<u8> {
    const MAX_BLOCK: usize = 65_535;
    let mut out = Vec::with_capacity(data.len() + data.len() / MAX_BLOCK * 5 + 5);
    let mut chunks = data.chunks(MAX_BLOCK).peekable();
    if chunks.peek().is_none() {
        // One final, empty stored block.
        out.extend_from_slice(&[1, 0, 0, 0xFF, 0xFF]);
        return out;
    }
    while let Some(chunk) = chunks.next() {
        out.push(u8::from(chunks.peek().is_none()));
        // `chunks(MAX_BLOCK)` makes every chunk fit in 16 bits.
        let len = u16::try_from(chunk.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"<?xml version="1.0"?>
<samlp:Response ID="_r"><ds:Signature xmlns:ds="x">r</ds:Signature><saml:Assertion ID="_a"><ds:Signature xmlns:ds="x">a</ds:Signature><saml:NameID>alice</saml:NameID></saml:Assertion></samlp:Response>"#;

    #[test]
    fn finds_and_removes_elements() -> Result<(), Error> {
        let r = element_range(DOC, "<ds:Signature ", "</ds:Signature>")?;
        assert_eq!(&DOC[r], r#"<ds:Signature xmlns:ds="x">r</ds:Signature>"#);
        let once = without_first_signature(DOC)?;
        assert!(!once.contains(">r<") && once.contains(">a<"));
        let (head, assertion, tail) = assertion_parts(DOC)?;
        assert!(head.ends_with(r#"</ds:Signature>"#) && tail == "</samlp:Response>");
        assert!(assertion.starts_with("<saml:Assertion ") && assertion.ends_with("</saml:Assertion>"));
        assert_eq!(format!("{head}{assertion}{tail}"), DOC);
        Ok(())
    }

    #[test]
    fn inserts_replaces_and_renames() -> Result<(), Error> {
        assert_eq!(insert_before("abcb", "b", "X")?, "aXbcb");
        assert_eq!(insert_after("abcb", "b", "X")?, "abXcb");
        assert_eq!(replace_first("abcb", "b", "X")?, "aXcb");
        assert_eq!(replace_all("abcb", "b", "X")?, "aXcX");
        assert_eq!(
            rename_id(r##"<a ID="_x"/><r URI="#_x"/>"##, "_x", "_y"),
            r##"<a ID="_y"/><r URI="#_x"/>"##
        );
        assert_eq!(without_declaration(DOC), &DOC[DOC.find("<samlp").unwrap_or(0)..]);
        assert_eq!(without_declaration("<a/>"), "<a/>");
        Ok(())
    }

    #[test]
    fn a_missing_marker_is_an_error_not_a_no_op() {
        for result in [
            insert_before("abc", "z", "X"),
            insert_after("abc", "z", "X"),
            replace_first("abc", "z", "X"),
            replace_all("abc", "z", "X"),
            remove_element("abc", "<z", "</z>"),
            without_first_signature("<a/>"),
        ] {
            assert!(matches!(result, Err(Error::Surgery(_))), "{result:?}");
        }
        assert!(assertion_range("</saml:Assertion><saml:Assertion ").is_err());
    }

    #[test]
    fn deflate_stored_blocks_are_well_formed() {
        let data = vec![b'x'; 70_000];
        let out = deflate_stored(&data);
        // Block 1: not final, 65535 bytes; block 2: final, 4465 bytes.
        assert_eq!(&out[..5], &[0, 0xFF, 0xFF, 0, 0]);
        let second = 5 + 65_535;
        assert_eq!(out[second], 1);
        assert_eq!(u16::from_le_bytes([out[second + 1], out[second + 2]]), 4465);
        assert_eq!(out.len(), data.len() + 10);
        assert_eq!(deflate_stored(&[]), vec![1, 0, 0, 0xFF, 0xFF]);
    }
}
