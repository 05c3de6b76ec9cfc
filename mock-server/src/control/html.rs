//! What every page of the control plane shares: escaping and the page around a body.

use axum::response::Html;

/// Text made safe for HTML.
pub(crate) fn escape(text: &str) -> String {
    html_escape::encode_double_quoted_attribute(text).into_owned()
}

/// A complete page around `body` (already HTML).
pub(crate) fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} · AR24 mock</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:76rem;margin:2rem auto;padding:0 1rem;color:#222}}\
         article{{border:1px solid #ccc;border-radius:6px;padding:0.8rem 1rem;margin:1rem 0}}\
         .meta{{color:#666;font-size:0.9rem}}.done{{color:#176b2c}}.error{{color:#a11}}\
         button{{font-size:1rem;padding:0.4rem 1rem;cursor:pointer}}pre{{white-space:pre-wrap}}\
         nav a{{margin-right:0.2rem}}nav a[aria-current]{{font-weight:bold;text-decoration:none;color:#222}}\
         table{{border-collapse:collapse;width:100%;font-size:0.9rem}}th,td{{border-bottom:1px solid #ddd;padding:0.3rem;text-align:left;vertical-align:top}}\
         .hint{{color:#8a4b00}}form.inline{{display:inline}}form.inline button{{font-size:0.8rem;padding:0.1rem 0.4rem}}</style></head>\
         <body><h1>{title}</h1>\n{body}\n</body></html>\n",
        title = escape(title)
    ))
}
