//! Text put into HTML or XML markup, as element content or a quoted attribute value.

/// `text` with `&`, `<`, `>` and `"` escaped.
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
