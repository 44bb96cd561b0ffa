//! `Client`: a browser-like HTTP client for the tests, keeping cookies and not
//! following redirects, with the forms a test fills (compose, passwords, CSRF).

use anyhow::anyhow;

use super::*;

/// A browser-like HTTP client: keeps cookies, does not follow redirects.
pub struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    pub(super) fn new(base: &str) -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self {
            http,
            base: base.to_owned(),
        }
    }

    async fn answer(response: reqwest::Response) -> anyhow::Result<Answer> {
        Answer::read(response).await
    }

    /// GET `path`.
    pub async fn get(&self, path: &str) -> anyhow::Result<Answer> {
        Self::answer(self.http.get(format!("{}{path}", self.base)).send().await?).await
    }

    /// GET `path`: the status, the named response headers (empty when absent) and the body.
    pub async fn get_with_headers(&self, path: &str, names: &[&str]) -> anyhow::Result<(u16, Vec<String>, String)> {
        let response = self.http.get(format!("{}{path}", self.base)).send().await?;
        let status = response.status().as_u16();
        let headers = header_values(&response, names);
        Ok((status, headers, response.text().await?))
    }

    /// GET `path` as a CSV download: fails unless it answers 200 with UTF-8 CSV as
    /// an attachment named `file_name`; the CSV's text.
    pub async fn csv_download(&self, path: &str, file_name: &str) -> anyhow::Result<String> {
        let (status, headers, csv) = self
            .get_with_headers(path, &["content-type", "content-disposition"])
            .await?;
        anyhow::ensure!(status == 200, "GET {path} answered {status}");
        anyhow::ensure!(headers[0] == "text/csv; charset=utf-8", "{headers:?}");
        anyhow::ensure!(
            headers[1] == format!("attachment; filename=\"{file_name}\""),
            "{headers:?}"
        );
        Ok(csv)
    }

    /// The status a GET of `path` answers.
    pub async fn status(&self, path: &str) -> anyhow::Result<u16> {
        Ok(self.get(path).await?.status)
    }

    /// GET `path` with an `Accept-Language` header.
    pub async fn get_in(&self, path: &str, accept_language: &str) -> anyhow::Result<Answer> {
        Self::answer(
            self.http
                .get(format!("{}{path}", self.base))
                .header("accept-language", accept_language)
                .send()
                .await?,
        )
        .await
    }

    /// POST a form to `path` with extra request headers (no token added).
    pub async fn post_with(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> anyhow::Result<Answer> {
        let mut request = self.http.post(format!("{}{path}", self.base)).form(fields);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Self::answer(request.send().await?).await
    }

    /// POST a form to `path`: the answer and the named response headers (empty
    /// when absent).
    pub async fn post_with_headers(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        names: &[&str],
    ) -> anyhow::Result<(Answer, Vec<String>)> {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .form(fields)
            .send()
            .await?;
        let headers = header_values(&response, names);
        Ok((Self::answer(response).await?, headers))
    }

    /// POST a form to `path` exactly as given (no token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> anyhow::Result<Answer> {
        self.post_with(path, fields, &[]).await
    }

    /// The CSRF token of the form on the page at `form_page`, as this client sees it.
    async fn csrf_of(&self, form_page: &str) -> anyhow::Result<String> {
        let page = self.get(form_page).await?;
        page.csrf()
            .ok_or_else(|| anyhow!("no CSRF token on {form_page} (status {})", page.status))
    }

    /// POST a form to `path` with the CSRF token of the page at `form_page`.
    pub async fn submit(&self, form_page: &str, path: &str, fields: &[(&str, &str)]) -> anyhow::Result<Answer> {
        let csrf = self.csrf_of(form_page).await?;
        let mut all: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// Submits the set-a-new-password form: `current`, then `new` typed twice.
    pub async fn change_password(&self, current: &str, new: &str) -> anyhow::Result<Answer> {
        let fields = [
            ("current_password", current),
            ("new_password", new),
            ("confirm_password", new),
        ];
        self.submit("/password", "/password", &fields).await
    }

    /// Asks for a password reset link for `email` on the forgotten-password form.
    pub async fn forgot_password(&self, email: &str) -> anyhow::Result<Answer> {
        self.submit("/password/forgot", "/password/forgot", &[("email", email)])
            .await
    }

    /// Sets `new` (typed twice) as the password through the reset link at `path`,
    /// with the token its page's form carries.
    pub async fn reset_password(&self, path: &str, new: &str) -> anyhow::Result<Answer> {
        let form = self.get(path).await?;
        let token = hidden_field(&form.body, "token").ok_or_else(|| anyhow!("no reset token on {path}"))?;
        let fields = [
            ("token", token.as_str()),
            ("new_password", new),
            ("confirm_password", new),
        ];
        self.submit(path, "/password/reset", &fields).await
    }

    /// Submits the compose form (multipart) with the CSRF token of the compose page.
    pub async fn compose(&self, fields: &[(&str, &str)], files: &[(&str, &str, Vec<u8>)]) -> anyhow::Result<Answer> {
        let csrf = self.csrf_of("/portal/compose").await?;
        let files = files
            .iter()
            .map(|(name, content_type, bytes)| sealpost_testkit::Attachment {
                name,
                content_type,
                bytes: bytes.clone(),
            })
            .collect();
        let form = sealpost_testkit::compose_form(&csrf, fields, files)?;
        self.post_multipart("/portal/compose", form).await
    }

    /// Submits a multipart form to `path` as a browser does: the CSRF token of
    /// the page at `form_page` first, then `fields`, then `files` as
    /// (field, file name, declared type, bytes).
    pub async fn upload(
        &self,
        form_page: &str,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &str, Vec<u8>)],
    ) -> anyhow::Result<Answer> {
        let csrf = self.csrf_of(form_page).await?;
        self.upload_with_token(&csrf, path, fields, files).await
    }

    /// [`Client::upload`] with `csrf` as the token, whatever the session's is.
    pub async fn upload_with_token(
        &self,
        csrf: &str,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &str, Vec<u8>)],
    ) -> anyhow::Result<Answer> {
        let mut form = reqwest::multipart::Form::new().text("csrf", csrf.to_owned());
        for (name, value) in fields {
            form = form.text((*name).to_owned(), (*value).to_owned());
        }
        for (field, file_name, content_type, bytes) in files {
            let part = reqwest::multipart::Part::bytes(bytes.clone())
                .file_name((*file_name).to_owned())
                .mime_str(content_type)?;
            form = form.part((*field).to_owned(), part);
        }
        self.post_multipart(path, form).await
    }

    /// POST the multipart `form` to `path` exactly as built.
    async fn post_multipart(&self, path: &str, form: reqwest::multipart::Form) -> anyhow::Result<Answer> {
        let request = self.http.post(format!("{}{path}", self.base)).multipart(form);
        Self::answer(request.send().await?).await
    }

    /// Composes and sends: the id of the message sent, or an error with the page's
    /// text when the form was refused.
    pub async fn send(&self, fields: &[(&str, &str)], files: &[(&str, &str, Vec<u8>)]) -> anyhow::Result<String> {
        sent_id(&self.compose(fields, files).await?)
    }

    /// Answers message `original` (`kind`: "reply", "reply_all" or "forward")
    /// with `body` about `subject` to `to`, as the compose form posts it.
    pub async fn answer_message(
        &self,
        original: &str,
        kind: &str,
        to: &str,
        subject: &str,
        body: &str,
    ) -> anyhow::Result<Answer> {
        let fields = [
            ("reply", original),
            ("kind", kind),
            ("to", to),
            ("subject", subject),
            ("body", body),
        ];
        self.compose(&fields, &[]).await
    }

    /// Sends `body` about `subject` to `to`, with `more` compose fields and no
    /// files: the id of the message sent.
    pub async fn send_to(&self, to: &str, subject: &str, body: &str, more: &[(&str, &str)]) -> anyhow::Result<String> {
        let mut fields = vec![("to", to), ("subject", subject), ("body", body)];
        fields.extend_from_slice(more);
        self.send(&fields, &[]).await
    }

    /// Fills in the registration form on `form_page` as a recipient would: `name` is
    /// (first, last), `passwords` (password, confirmation); an empty `next` is left out.
    pub async fn register(
        &self,
        form_page: &str,
        email: &str,
        (first, last): (&str, &str),
        (password, confirm): (&str, &str),
        next: &str,
    ) -> anyhow::Result<Answer> {
        let mut fields = vec![
            ("email", email),
            ("first_name", first),
            ("last_name", last),
            ("password", password),
            ("confirm_password", confirm),
            ("locale", "en"),
        ];
        if !next.is_empty() {
            fields.push(("next", next));
        }
        self.submit(form_page, "/register", &fields).await
    }

    /// Clicks the envelope's "Open Online": posts the hidden fields of its form.
    pub async fn open_envelope(&self, envelope_html: &str) -> anyhow::Result<Answer> {
        let fields = hidden_fields(envelope_html, &["id", "recipient", "lang", "payload", "secret"]);
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.post_raw("/envelope/open", &pairs).await
    }

    /// Follows a mailed link at `path` as a person would: the GET shows a button (so
    /// link scanners spend nothing), the button posts the page's hidden fields to
    /// `action`.
    pub async fn use_link(&self, path: &str, action: &str) -> anyhow::Result<Answer> {
        let button = self.get(path).await?;
        let fields = hidden_fields(&button.body, &["token", "next"]);
        anyhow::ensure!(!fields.is_empty(), "no link form on {path}: {}", button.text());
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.submit(path, action, &pairs).await
    }

    /// GET a URL and return the raw bytes with the status.
    pub async fn bytes(&self, path: &str) -> anyhow::Result<(u16, Vec<u8>)> {
        let response = self.http.get(format!("{}{path}", self.base)).send().await?;
        Ok((response.status().as_u16(), response.bytes().await?.to_vec()))
    }

    /// Logs in through the administration login form.
    pub async fn login(&self, email: &str, password: &str) -> anyhow::Result<Answer> {
        self.submit(
            "/admin/login",
            "/admin/login",
            &[("email", email), ("password", password)],
        )
        .await
    }
}

/// The hidden fields of `html` among `names` that it has, with their values.
fn hidden_fields<'a>(html: &str, names: &[&'a str]) -> Vec<(&'a str, String)> {
    names
        .iter()
        .filter_map(|name| hidden_field(html, name).map(|value| (*name, value)))
        .collect()
}

/// The values of the response headers `names`, in order (empty when absent).
fn header_values(response: &reqwest::Response, names: &[&str]) -> Vec<String> {
    names
        .iter()
        .map(|name| {
            response
                .headers()
                .get(*name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}
