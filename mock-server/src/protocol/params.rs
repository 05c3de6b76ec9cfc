//! AR24's parameters, wherever they travel: the query string for GET, the
//! query string plus a urlencoded or multipart body for POST
//! (ar24-protocol.md, "Transport"). Multipart parts that carry a file name are
//! files (the attachment upload); every other part is a text parameter.
//!
//! Pure wire rules: this reads bytes already received. The front door (`front`)
//! receives the body within the route's limit and hands it here.

use bytes::Bytes;
use serde::Serialize;
use serde::de::value::{Error as FormError, MapDeserializer};
use serde::de::{DeserializeOwned, Deserializer, IntoDeserializer, Visitor};
use sha1::{Digest, Sha1};

use crate::slug::Slug;

/// One file part of a multipart body.
#[derive(Debug, Clone)]
pub struct FilePart {
    /// The part's name (`file` for an upload).
    pub field: String,
    /// The file name the client gave the part.
    pub filename: String,
    /// The bytes, as received.
    pub bytes: Bytes,
    /// Lowercase hex SHA-1 of the bytes.
    pub sha1: String,
}

/// What the journal keeps of a file: never its bytes.
#[derive(Debug, Clone, Serialize)]
pub struct FileRecord {
    /// The part's name.
    pub field: String,
    /// The file name given.
    pub filename: String,
    /// Size in bytes.
    pub size: usize,
    /// Lowercase hex SHA-1.
    pub sha1: String,
}

impl FilePart {
    /// A file part, its SHA-1 computed.
    pub fn new(field: String, filename: String, bytes: Bytes) -> Self {
        let sha1 = sha1_hex(&bytes);
        Self { field, filename, bytes, sha1 }
    }

    /// Name, size and SHA-1, for the journal.
    pub fn record(&self) -> FileRecord {
        FileRecord {
            field: self.field.clone(),
            filename: self.filename.clone(),
            size: self.bytes.len(),
            sha1: self.sha1.clone(),
        }
    }
}

/// Lowercase hex SHA-1, as AR24 names attachments (`hash_sha1`, `/get/att/<sha1>`).
pub fn sha1_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha1::digest(bytes))
}

/// The parameters of one call, in the order they came; a repeated name's last value wins, as in PHP.
///
/// Read once per call and shared (`Arc`) by authentication, the handler and the journal.
#[derive(Debug, Clone, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
    files: Vec<FilePart>,
    /// Parameters past [`MAX_INPUT_VARS`] in the query string or the body, ignored.
    dropped: usize,
}

impl Params {
    fn new(pairs: Vec<(String, String)>, files: Vec<FilePart>, dropped: usize) -> Self {
        Self { pairs, files, dropped }
    }

    /// `T`'s fields read by name, each name once with its last value, as PHP
    /// does; every value is text (a field present but empty is `Some("")`).
    pub fn typed<T: DeserializeOwned>(&self) -> Result<T, FormError> {
        let mut seen = foldhash::HashSet::with_capacity_and_hasher(self.pairs.len(), Default::default());
        let last = self.pairs.iter().rev().filter(|(k, _)| seen.insert(k.as_str()));
        T::deserialize(MapDeserializer::new(last.map(|(k, v)| (k.as_str(), Text(v)))))
    }

    /// How many parameters were ignored past PHP's [`MAX_INPUT_VARS`].
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// The value of `name`, if sent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Every name and value, in arrival order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The values of a list parameter, in arrival order: `name[0]`, `name[1]`…,
    /// `name[]` and a bare `name` alike.
    pub fn list(&self, name: &str) -> Vec<&str> {
        let is_item = |key: &str| {
            key == name
                || key
                    .strip_prefix(name)
                    .and_then(|rest| rest.strip_prefix('['))
                    .and_then(|rest| rest.strip_suffix(']'))
                    .is_some_and(|index| index.bytes().all(|b| b.is_ascii_digit()))
        };
        self.pairs.iter().filter(|(k, _)| is_item(k)).map(|(_, v)| v.as_str()).collect()
    }

    /// The file parts, in arrival order.
    pub fn files(&self) -> &[FilePart] {
        &self.files
    }

    /// The same parameters without the files' bytes, for keeping after the
    /// call (the journal): shared when no file came, copied otherwise.
    pub fn without_files(mut params: std::sync::Arc<Params>) -> std::sync::Arc<Params> {
        if params.files.is_empty() {
            return params;
        }
        match std::sync::Arc::get_mut(&mut params) {
            Some(only) => {
                only.files = Vec::new();
                params
            }
            None => {
                std::sync::Arc::new(Params { pairs: params.pairs.clone(), files: Vec::new(), dropped: params.dropped })
            }
        }
    }
}

/// A parameter's value for [`Params::typed`]: text, and an option that is there.
struct Text<'a>(&'a str);

impl<'de> Deserializer<'de> for Text<'_> {
    type Error = FormError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FormError> {
        visitor.visit_str(self.0)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FormError> {
        visitor.visit_some(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de> IntoDeserializer<'de, FormError> for Text<'_> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

/// The most parameters AR24 reads from the query string, and from the body: PHP's
/// `max_input_vars`, whose default AR24 is assumed to keep. As PHP does, the
/// rest are ignored, not refused; files are not counted.
pub const MAX_INPUT_VARS: usize = 1000;
/// Longest parameter name or value, in bytes (`parameter_too_long` beyond). Files are not
/// parameters, and a letter's `content` has its own limit (`content_exceeds_limit`).
pub const MAX_PARAM_LEN: usize = 10_000;

/// The one parameter longer than [`MAX_PARAM_LEN`] may be.
const LONG_PARAM: &str = "content";

/// A call whose parameters could not be read: the slug it is answered, why in
/// words (for the journal's hint), and what was read before the fault (the
/// query string, a multipart body's fields before it broke), so the journal
/// still knows whose call it was.
#[derive(Debug)]
pub struct Refused {
    /// The answer.
    pub slug: Slug,
    /// Why, for the developer.
    pub why: String,
    /// The parameters read before the fault, without files.
    pub read: Params,
}

impl Refused {
    /// Refused with what was read so far.
    pub fn new(slug: Slug, why: String, pairs: Vec<(String, String)>) -> Self {
        Self { slug, why, read: Params::new(pairs, Vec::new(), 0) }
    }
}

/// Keeps the first [`MAX_INPUT_VARS`] pairs of one source; answers how many went.
fn keep_max_input_vars(pairs: &mut Vec<(String, String)>) -> usize {
    let dropped = pairs.len().saturating_sub(MAX_INPUT_VARS);
    pairs.truncate(MAX_INPUT_VARS);
    dropped
}

/// Reads the parameters of a call from its query string and, when it has one,
/// its body (`None` for methods that carry none: a GET reads its query only).
///
/// A body that is neither form encoding, or a broken multipart body, is
/// `malformed_body`; a parameter longer than [`MAX_PARAM_LEN`] is
/// `parameter_too_long`. Past [`MAX_INPUT_VARS`] a source's parameters are ignored.
pub async fn read(query: &str, body: Option<(&str, Bytes)>) -> Result<Params, Refused> {
    let mut pairs = parse_urlencoded(query.as_bytes());
    let mut dropped = keep_max_input_vars(&mut pairs);
    let mut files = Vec::new();
    if let Some((content_type, bytes)) = body {
        let (mut body_pairs, body_files) = match parse_body(content_type, bytes).await {
            Ok(parts) => parts,
            Err((why, mut read)) => {
                pairs.append(&mut read);
                return Err(Refused::new(Slug::MalformedBody, why, pairs));
            }
        };
        dropped += keep_max_input_vars(&mut body_pairs);
        pairs.extend(body_pairs);
        files = body_files;
    }
    let too_long = pairs.iter().find_map(|(k, v)| {
        if k.len() > MAX_PARAM_LEN {
            Some(format!("a parameter's name is {} bytes long ({}…)", k.len(), prefix(k)))
        } else if v.len() > MAX_PARAM_LEN && k != LONG_PARAM {
            Some(format!("`{}` is {} bytes long", prefix(k), v.len()))
        } else {
            None
        }
    });
    if let Some(what) = too_long {
        let why = format!(
            "{what}: a parameter holds at most {MAX_PARAM_LEN} bytes (files and a letter's `content` excepted)"
        );
        return Err(Refused::new(Slug::ParameterTooLong, why, pairs));
    }
    Ok(Params::new(pairs, files, dropped))
}

/// The start of a long name, for a message.
fn prefix(text: &str) -> &str {
    let end = text.char_indices().nth(40).map_or(text.len(), |(at, _)| at);
    &text[..end]
}

type Parts = (Vec<(String, String)>, Vec<FilePart>);
/// Why a body could not be read, and the text parameters read before that.
type Broken = (String, Vec<(String, String)>);

/// The pairs of a form-encoded text. Any byte sequence reads as a form (`%` not
/// followed by two hex digits stays as it is, as PHP leaves it; bytes that are not
/// UTF-8 become U+FFFD), so reading one never fails.
fn parse_urlencoded(bytes: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(bytes).map(|(name, value)| (name.into_owned(), value.into_owned())).collect()
}

async fn parse_body(content_type: &str, bytes: Bytes) -> Result<Parts, Broken> {
    let mime = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    match mime.as_str() {
        "multipart/form-data" => parse_multipart(content_type, bytes).await,
        // Clients that send no content type mean a form, as PHP reads it.
        "application/x-www-form-urlencoded" | "" => Ok((parse_urlencoded(&bytes), Vec::new())),
        _ if bytes.is_empty() => Ok(Default::default()),
        "application/json" | "text/json" => Err((
            "the body is JSON: AR24 takes form fields (application/x-www-form-urlencoded or multipart/form-data), not JSON".into(),
            Vec::new(),
        )),
        other => Err((
            format!("a body of type `{other}`: AR24 takes form fields (application/x-www-form-urlencoded or multipart/form-data)"),
            Vec::new(),
        )),
    }
}

/// Bytes from this many up are hashed off the async threads: a 256 MB file
/// takes a few tenths of a second, which other calls should not wait for.
const HASH_APART_FROM: usize = 1 << 20;

/// `hash`, over `size` bytes, where it holds no other call up: on a thread
/// of its own from [`HASH_APART_FROM`] bytes. Hashed here only if that
/// thread died, rather than lose what is hashed.
pub async fn hashed_apart<T: Send + 'static>(size: usize, hash: impl Fn() -> T + Send + Sync + 'static) -> T {
    if size < HASH_APART_FROM {
        return hash();
    }
    let hash = std::sync::Arc::new(hash);
    let apart = std::sync::Arc::clone(&hash);
    tokio::task::spawn_blocking(move || apart()).await.unwrap_or_else(|_| hash())
}

/// The file part, its SHA-1 computed where it holds no other call up.
async fn hashed(field: String, filename: String, bytes: Bytes) -> FilePart {
    let sent = bytes.clone();
    let sha1 = hashed_apart(bytes.len(), move || sha1_hex(&sent)).await;
    FilePart { field, filename, bytes, sha1 }
}

async fn parse_multipart(content_type: &str, bytes: Bytes) -> Result<Parts, Broken> {
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| ("a multipart/form-data body without a `boundary` in its content type".to_owned(), Vec::new()))?;
    let stream = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(bytes) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let (mut pairs, mut files) = (Vec::new(), Vec::new());
    let broken = |err: multer::Error, pairs: &mut Vec<(String, String)>| {
        (format!("the multipart body is broken after {} part(s): {err}", pairs.len()), std::mem::take(pairs))
    };
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(err) => return Err(broken(err, &mut pairs)),
        };
        let Some(name) = field.name().map(str::to_owned) else { continue };
        match field.file_name().map(str::to_owned) {
            Some(filename) => match field.bytes().await {
                Ok(bytes) => files.push(hashed(name, filename, bytes).await),
                Err(err) => return Err(broken(err, &mut pairs)),
            },
            None => match field.text().await {
                Ok(text) => pairs.push((name, text)),
                Err(err) => return Err(broken(err, &mut pairs)),
            },
        }
    }
    Ok((pairs, files))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn read_now(content_type: &str, body: Vec<u8>) -> Result<Params, Slug> {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(read("token=t", Some((content_type, Bytes::from(body))))).map_err(|refused| {
            assert_eq!(refused.read.get("token"), Some("t"), "a refused call still knows its token");
            refused.slug
        })
    }

    fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
        let mut body = Vec::new();
        for (name, filename, bytes) in parts {
            body.extend_from_slice(b"--X\r\n");
            let disposition = match filename {
                Some(f) => format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n\r\n"),
                None => format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n"),
            };
            body.extend_from_slice(disposition.as_bytes());
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(b"--X--\r\n");
        body
    }

    #[test]
    fn any_bytes_read_as_a_form_with_broken_escapes_kept_and_bad_utf8_replaced() {
        let pairs = parse_urlencoded(b"a=%zz&b=%C3%A9+x&c=%FF&&d&=e");
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(pairs, [("a", "%zz"), ("b", "\u{e9} x"), ("c", "\u{fffd}"), ("d", ""), ("", "e")]);
    }

    #[test]
    fn a_part_with_a_file_name_is_a_file_and_the_others_are_parameters() {
        let bytes: &[u8] = &[0, 159, 146, 150, 255];
        let body = multipart(&[("id_user", None, b"7"), ("file", Some("scan.pdf"), bytes)]);
        let params = read_now("multipart/form-data; boundary=X", body).unwrap();
        assert_eq!(params.get("id_user"), Some("7"));
        assert_eq!(params.get("file"), None, "a file is not a text parameter");
        let file = &params.files()[0];
        assert_eq!((file.field.as_str(), file.filename.as_str(), &file.bytes[..]), ("file", "scan.pdf", bytes));
        assert_eq!(file.sha1, sha1_hex(bytes));
        assert_eq!(sha1_hex(b"test"), "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3", "AR24's example hash of \"test\"");
    }

    #[test]
    fn a_large_file_hashed_on_a_thread_of_its_own_gets_the_same_sha1() {
        for size in [HASH_APART_FROM - 1, HASH_APART_FROM, 3 * HASH_APART_FROM + 7] {
            let bytes: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let body = multipart(&[("file", Some("big.pdf"), &bytes)]);
            let params = read_now("multipart/form-data; boundary=X", body).unwrap();
            let file = &params.files()[0];
            assert_eq!(file.bytes.len(), size);
            assert_eq!(file.sha1, format!("{:x}", Sha1::digest(&bytes)), "{size} bytes");
        }
    }

    #[test]
    fn what_is_kept_after_the_call_has_the_parameters_and_no_file_bytes() {
        let body = multipart(&[("id_user", None, b"7"), ("file", Some("scan.pdf"), b"%PDF-1.4")]);
        let params = std::sync::Arc::new(read_now("multipart/form-data; boundary=X", body).unwrap());
        // Still shared with a handler, and alone.
        let shared = std::sync::Arc::clone(&params);
        let pairs = params.pairs().to_vec();
        for kept in [Params::without_files(params), Params::without_files(shared)] {
            assert!(kept.files().is_empty());
            assert_eq!(kept.get("id_user"), Some("7"));
            assert_eq!(kept.pairs(), pairs);
        }
    }

    #[test]
    fn a_repeated_name_is_read_once_with_its_last_value() {
        let params = read_now("application/x-www-form-urlencoded", b"a=1&b=2&a=3".to_vec()).unwrap();
        assert_eq!(params.get("a"), Some("3"));
        assert_eq!(params.pairs().len(), 4, "as sent");
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Form {
            a: Option<String>,
            b: Option<String>,
            c: Option<String>,
        }
        let form: Form = params.typed().expect("each name once, so no duplicate field");
        assert_eq!(form, Form { a: Some("3".into()), b: Some("2".into()), c: None });
    }

    #[test]
    fn a_typed_form_reads_empty_values_as_given_and_flattened_fields_too() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Inner {
            max: Option<String>,
        }
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Outer {
            id: Option<String>,
            #[serde(flatten)]
            page: Inner,
        }
        let params = read_now("application/x-www-form-urlencoded", b"id=&max=10&other=x".to_vec()).unwrap();
        let form: Outer = params.typed().unwrap();
        assert_eq!(form, Outer { id: Some(String::new()), page: Inner { max: Some("10".into()) } });
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Number {
            n: u32,
        }
        let text = read_now("application/x-www-form-urlencoded", b"n=seven".to_vec()).unwrap();
        assert!(text.typed::<Number>().is_err(), "a value is text, never guessed at");
    }

    #[test]
    fn list_parameters_are_read_in_every_spelling_and_in_order() {
        let body = "attachment[0]=5&attachment[1]=6&attachment[]=7&attachmentx=8&attachment[a]=9&attachment=10";
        let params = read_now("application/x-www-form-urlencoded", body.as_bytes().to_vec()).unwrap();
        assert_eq!(params.list("attachment"), ["5", "6", "7", "10"]);
    }

    proptest! {
        #[test]
        fn any_body_under_any_content_type_is_read_or_refused_with_a_slug(
            content_type in prop_oneof![
                Just("application/x-www-form-urlencoded".to_owned()),
                Just("multipart/form-data; boundary=X".to_owned()),
                Just("multipart/form-data".to_owned()),
                Just(String::new()),
                "[ -~]{0,40}",
            ],
            body in prop::collection::vec(any::<u8>(), 0..6000),
        ) {
            match read_now(&content_type, body) {
                Ok(params) => prop_assert_eq!(params.get("token"), Some("t")),
                Err(slug) => prop_assert!(matches!(slug,
                    Slug::MalformedBody | Slug::ParameterTooLong)),
            }
        }

        #[test]
        fn urlencoded_pairs_come_back_as_sent(pairs in prop::collection::vec(("[a-z_]{1,12}", any::<String>()), 0..20)) {
            let body = serde_urlencoded::to_string(&pairs).unwrap();
            let params = read_now("application/x-www-form-urlencoded", body.into_bytes());
            match params {
                Ok(params) => {
                    let sent: Vec<(String, String)> = std::iter::once(("token".to_owned(), "t".to_owned())).chain(pairs).collect();
                    prop_assert_eq!(params.pairs(), sent.as_slice());
                }
                Err(slug) => prop_assert!(matches!(slug, Slug::ParameterTooLong), "{slug:?}"),
            }
        }
    }
}
