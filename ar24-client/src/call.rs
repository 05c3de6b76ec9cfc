//! One call of the AR24 API, described before it is sent: route, parameters,
//! files, how the body is encoded, and how it is signed.

/// How a POST carries its parameters. GET always uses the query string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    /// `application/x-www-form-urlencoded`.
    #[default]
    Urlencoded,
    /// `multipart/form-data` (implied by a file part).
    Multipart,
}

/// A file sent as a multipart part (AR24's attachments).
#[derive(Clone, PartialEq, Eq)]
pub struct FilePart {
    /// The parameter name, e.g. `file` or `attachment[0]`.
    pub name: String,
    /// The file name announced in the part.
    pub file_name: String,
    /// The part's content type, if any.
    pub content_type: Option<String>,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for FilePart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilePart")
            .field("name", &self.name)
            .field("file_name", &self.file_name)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// Where the signature travels. AR24 reads it from the `signature` header
/// only; the other places exist to test what happens when a client errs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignatureIn {
    /// The `signature` HTTP header, as AR24 requires.
    #[default]
    Header,
    /// A `signature` parameter (query or body) instead of the header.
    Parameter,
    /// Nowhere.
    Nowhere,
}

/// How a call is authenticated. The default is right; each field breaks it
/// in one way, for tests of authentication.
#[derive(Debug, Clone, Default)]
pub struct Signing {
    /// Send this `date` instead of the client clock's.
    pub date: Option<String>,
    /// Send this signature instead of the right one.
    pub signature: Option<String>,
    /// Send this token instead of the client's.
    pub token: Option<String>,
    /// Leave the `token` parameter out.
    pub omit_token: bool,
    /// Leave the `date` parameter out.
    pub omit_date: bool,
    /// Where the signature goes.
    pub signature_in: SignatureIn,
}

/// An HTTP method AR24 uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET: parameters in the query string.
    Get,
    /// POST: parameters in the body.
    Post,
    /// Any other method, which AR24 does not use (to test a wrong method).
    Other(&'static str),
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(&self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Other(name) => name,
        }
    }
}

/// One call, built step by step:
///
/// ```
/// use ar24_client::Call;
/// let call = Call::get("user").param("id_user", 42);
/// assert_eq!(call.route(), "user");
/// ```
#[derive(Debug, Clone)]
pub struct Call {
    pub(crate) method: Method,
    pub(crate) route: String,
    pub(crate) params: Vec<(String, String)>,
    pub(crate) files: Vec<FilePart>,
    pub(crate) encoding: Encoding,
    pub(crate) signing: Signing,
    pub(crate) headers: Vec<(String, String)>,
}

impl Call {
    /// A call of `route` (below the API base, e.g. `user/list`; a trailing
    /// slash, if any, is sent as written).
    pub fn new(method: Method, route: &str) -> Self {
        Self {
            method,
            route: route.to_owned(),
            params: Vec::new(),
            files: Vec::new(),
            encoding: Encoding::default(),
            signing: Signing::default(),
            headers: Vec::new(),
        }
    }

    /// A GET of `route`.
    pub fn get(route: &str) -> Self {
        Self::new(Method::Get, route)
    }

    /// A POST to `route`.
    pub fn post(route: &str) -> Self {
        Self::new(Method::Post, route)
    }

    /// Adds a parameter.
    pub fn param(mut self, name: &str, value: impl ToString) -> Self {
        self.params.push((name.to_owned(), value.to_string()));
        self
    }

    /// Adds parameters.
    pub fn params<K: AsRef<str>, V: ToString>(mut self, params: impl IntoIterator<Item = (K, V)>) -> Self {
        self.params.extend(params.into_iter().map(|(k, v)| (k.as_ref().to_owned(), v.to_string())));
        self
    }

    /// Sends the body as `multipart/form-data`.
    pub fn multipart(mut self) -> Self {
        self.encoding = Encoding::Multipart;
        self
    }

    /// Adds a file part (and makes the body multipart).
    pub fn file(mut self, name: &str, file_name: &str, bytes: impl Into<Vec<u8>>) -> Self {
        self.files.push(FilePart {
            name: name.to_owned(),
            file_name: file_name.to_owned(),
            content_type: None,
            bytes: bytes.into(),
        });
        self.encoding = Encoding::Multipart;
        self
    }

    /// Adds a file part with its content type.
    pub fn file_typed(self, name: &str, file_name: &str, content_type: &str, bytes: impl Into<Vec<u8>>) -> Self {
        let mut call = self.file(name, file_name, bytes);
        if let Some(part) = call.files.last_mut() {
            part.content_type = Some(content_type.to_owned());
        }
        call
    }

    /// Signs as `signing` says.
    pub fn signed(mut self, signing: Signing) -> Self {
        self.signing = signing;
        self
    }

    /// Adds an HTTP header (e.g. `Accept-Language`).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The route, as written.
    pub fn route(&self) -> &str {
        &self.route
    }

    /// The parameters, in order (without `token` and `date`, which are added when sent).
    pub fn parameters(&self) -> &[(String, String)] {
        &self.params
    }

    /// The file parts.
    pub fn files(&self) -> &[FilePart] {
        &self.files
    }

    /// The body encoding of a POST.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// How it is signed.
    pub fn signing(&self) -> &Signing {
        &self.signing
    }
}
