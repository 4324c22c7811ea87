//! E-mail to citizens: approvals and rejections of applications (S0-6), letters with their PDF
//! (S0-8, S0-12). One [`Mailer`] per process, chosen by URL: `smtp://user:pass@host:587?tls=required`
//! (STARTTLS), `smtps://…:465` (TLS), or `file:DIR` — the embedded default, which writes each
//! message as an `.eml` file so a developer can open it. Sent from the outbox after the change
//! committed, retried like a webhook.

use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;

/// One message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    /// The council's support address, so a reply reaches the council.
    pub reply_to: Option<String>,
    /// The council's name, shown as the sender's name.
    pub from_name: String,
    pub subject: String,
    pub body: String,
    /// File name and bytes of a PDF to attach.
    pub attachment: Option<(String, Vec<u8>)>,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("mail_url {0:?}: expected smtp://…, smtps://… or file:DIR")]
    BadUrl(String),
    #[error("{field}: {value:?} is not an e-mail address")]
    BadAddress { field: &'static str, value: String },
    #[error("the message cannot be built: {0}")]
    Build(String),
    #[error("sending failed: {0}")]
    Send(String),
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    File(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

/// Sends [`Email`]s by SMTP or into a folder.
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.transport {
            Transport::Smtp(_) => write!(f, "Mailer(smtp, from {})", self.from),
            Transport::File(_, dir) => {
                write!(f, "Mailer(file {}, from {})", dir.display(), self.from)
            }
        }
    }
}

impl Mailer {
    /// `url` as in the module doc; `from` the platform's sender address.
    pub fn from_url(url: &str, from: &str) -> Result<Self, MailError> {
        let from: Mailbox = from.parse().map_err(|_| MailError::BadAddress {
            field: "mail_from",
            value: from.to_owned(),
        })?;
        let transport = if let Some(dir) = url.strip_prefix("file:") {
            let dir = PathBuf::from(dir.trim_start_matches("//"));
            std::fs::create_dir_all(&dir)
                .map_err(|e| MailError::Send(format!("cannot create {}: {e}", dir.display())))?;
            Transport::File(AsyncFileTransport::new(&dir), dir)
        } else if url.starts_with("smtp://") || url.starts_with("smtps://") {
            Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|_| MailError::BadUrl(redact(url)))?
                    .build(),
            )
        } else {
            return Err(MailError::BadUrl(redact(url)));
        };
        Ok(Self { transport, from })
    }

    /// Builds the message (plain text, the PDF attached) and sends it.
    pub async fn send(&self, email: &Email) -> Result<(), MailError> {
        let to: Mailbox = email.to.parse().map_err(|_| MailError::BadAddress {
            field: "to",
            value: email.to.clone(),
        })?;
        let from = Mailbox::new(Some(email.from_name.clone()), self.from.email.clone());
        let mut builder = Message::builder().from(from).to(to).subject(&email.subject);
        if let Some(reply_to) = &email.reply_to
            && let Ok(reply_to) = reply_to.parse::<Mailbox>()
        {
            builder = builder.reply_to(reply_to);
        }
        let text = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(email.body.clone());
        let message = match &email.attachment {
            Some((name, bytes)) => builder.multipart(
                MultiPart::mixed().singlepart(text).singlepart(
                    Attachment::new(name.clone()).body(
                        bytes.clone(),
                        ContentType::parse("application/pdf")
                            .map_err(|e| MailError::Build(e.to_string()))?,
                    ),
                ),
            ),
            None => builder.singlepart(text),
        }
        .map_err(|e| MailError::Build(e.to_string()))?;
        match &self.transport {
            Transport::Smtp(t) => t
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| MailError::Send(e.to_string())),
            Transport::File(t, _) => t
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| MailError::Send(e.to_string())),
        }
    }
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(start), Some(at)) if at > start => format!("{}***{}", &url[..start + 3], &url[at..]),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_mailer_writes_the_message_with_its_attachment() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let url = format!("file:{}", dir.path().display());
        let mailer = Mailer::from_url(&url, "civicpay <no-reply@civicpay.example>")
            .unwrap_or_else(|e| panic!("{e}"));
        mailer
            .send(&Email {
                to: "mette@example.org".into(),
                reply_to: Some("parkering@kobenhavn.example".into()),
                from_name: "Københavns Kommune".into(),
                subject: "Din ansøgning er godkendt".into(),
                body: "Licensen er aktiv.".into(),
                attachment: Some(("letter.pdf".into(), b"%PDF-1.7 test".to_vec())),
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let files: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap_or_else(|e| panic!("{e}"))
            .filter_map(Result::ok)
            .collect();
        assert_eq!(files.len(), 1);
        let text = std::fs::read_to_string(files[0].path()).unwrap_or_default();
        assert!(text.contains("To: mette@example.org"), "{text}");
        assert!(
            text.contains("Reply-To: parkering@kobenhavn.example"),
            "{text}"
        );
        assert!(text.contains("application/pdf"), "{text}");
        assert!(text.contains("letter.pdf"), "{text}");
    }

    #[test]
    fn bad_urls_and_addresses_are_refused_without_the_password() {
        let e = Mailer::from_url("smtp//x", "a@b.example")
            .err()
            .map(|e| e.to_string());
        assert!(e.unwrap_or_default().contains("expected smtp://"));
        let e = Mailer::from_url("ftp://user:secret@host", "a@b.example")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(!e.contains("secret"), "{e}");
        assert!(Mailer::from_url("file:/tmp/x", "not an address").is_err());
    }
}
