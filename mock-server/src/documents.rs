//! The documents of a letter, in French like AR24's: a proof for each status
//! reached, the content as a PDF, and a ZIP of everything so far. The facts
//! stated are the letter's: sender, recipient, id, the content's SHA-256, and
//! the dates in Paris time.

use std::io::Write;

use lopdf::content::{Content, Operation};
use lopdf::{Document, Object, Stream, StringFormat, dictionary};

use crate::protocol::date::ParisTime;
use crate::store::attachment::Attachment;
use crate::store::letter::{Letter, LetterStatus};

/// A proof's code in AR24's URLs (`/get/proof/ev-12`) and its status.
pub const PROOFS: [(&str, LetterStatus); 5] = [
    ("ev", LetterStatus::Ev),
    ("ar", LetterStatus::Ar),
    ("rf", LetterStatus::Rf),
    ("ng", LetterStatus::Ng),
    ("bc", LetterStatus::Bc),
];

/// The proof of `status`, once the letter has reached it (its date is set).
fn proof_date(letter: &Letter, status: LetterStatus) -> Option<ParisTime> {
    if status == LetterStatus::Waiting { None } else { letter.date_of(status) }
}

fn title(status: LetterStatus) -> &'static str {
    match status {
        LetterStatus::Ev => "Preuve de dépôt et d'envoi",
        LetterStatus::Ar => "Preuve de réception",
        LetterStatus::Rf => "Preuve de refus",
        LetterStatus::Ng => "Preuve de négligence (non-réclamation)",
        LetterStatus::Bc => "Preuve de non-distribution (notification rejetée)",
        LetterStatus::Waiting => "Lettre en attente",
    }
}

/// What every document of the letter states.
fn facts(letter: &Letter, attachments: &[Attachment]) -> Vec<String> {
    let kind = if letter.is_eidas { "LRE qualifiée eIDAS" } else { "lettre recommandée électronique simple" };
    let mut lines = vec![
        format!("Lettre recommandée électronique n° {}", letter.id),
        format!("Type : {kind}"),
        format!("Expéditeur : {} <{}>", letter.from.name, letter.from.email),
        format!("Destinataire : {} <{}>", letter.to.name(), letter.to.email.as_str()),
        "Empreinte SHA-256 du contenu et des pièces jointes :".to_owned(),
        format!("- {}", letter.full_hash_sha256),
        "Dates (heure de Paris) :".to_owned(),
        format!("- dépôt : {}", letter.date),
    ];
    let dated = [
        ("notification du destinataire", &letter.ts_ev_date),
        ("acceptation", &letter.view_date),
        ("refus", &letter.refused_date),
        ("négligence", &letter.negligence_date),
        ("rejet de la notification", &letter.bounced_date),
    ];
    lines.extend(dated.iter().filter_map(|(what, date)| date.as_ref().map(|d| format!("- {what} : {d}"))));
    if !attachments.is_empty() {
        lines.push("Pièces jointes :".to_owned());
        lines.extend(attachments.iter().map(|a| format!("- {} ({} octets, SHA-1 {})", a.filename, a.size, a.sha1)));
    }
    lines
}

const DISCLAIMER: &str = "Document produit par ar24-mock, une simulation de l'API AR24 : sans valeur légale.";

/// The proof PDF of `status`, or `None` if the letter has not reached it.
pub fn proof(letter: &Letter, attachments: &[Attachment], status: LetterStatus) -> Option<Vec<u8>> {
    let date = proof_date(letter, status)?;
    let mut lines = vec![format!("Établie le {date} (heure de Paris)."), String::new()];
    lines.extend(facts(letter, attachments));
    lines.extend([String::new(), DISCLAIMER.to_owned()]);
    Some(pdf(title(status), &lines))
}

/// The letter's content as a PDF: its facts, then its text (HTML tags removed).
pub fn content(letter: &Letter, attachments: &[Attachment]) -> Vec<u8> {
    let mut lines = facts(letter, attachments);
    lines.extend([String::new(), "Contenu :".to_owned()]);
    lines.extend(plain_text(&letter.content).lines().map(str::to_owned));
    lines.extend([String::new(), DISCLAIMER.to_owned()]);
    pdf("Contenu de la lettre recommandée électronique", &lines)
}

/// A ZIP of the content PDF, the attachments (each under its name) and every proof so far.
pub fn zip(letter: &Letter, attachments: &[(Attachment, bytes::Bytes)]) -> std::io::Result<Vec<u8>> {
    let listed: Vec<Attachment> = attachments.iter().map(|(a, _)| a.clone()).collect();
    let mut archive = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut add = |name: &str, bytes: &[u8], at: ParisTime| -> std::io::Result<()> {
        let options = zip::write::SimpleFileOptions::default().last_modified_time(zip_time(at));
        archive.start_file(name, options).map_err(std::io::Error::other)?;
        archive.write_all(bytes)
    };
    add(&format!("lettre-{}.pdf", letter.id), &content(letter, &listed), letter.date)?;
    for (index, (attachment, bytes)) in attachments.iter().enumerate() {
        // Two attachments may share a name: the index keeps them apart.
        add(&format!("pieces-jointes/{}-{}", index + 1, safe_name(&attachment.filename)), bytes, letter.date)?;
    }
    for (code, status) in PROOFS {
        if let (Some(pdf), Some(at)) = (proof(letter, &listed, status), proof_date(letter, status)) {
            add(&format!("preuve-{code}-{}.pdf", letter.id), &pdf, at)?;
        }
    }
    Ok(archive.finish().map_err(std::io::Error::other)?.into_inner())
}

/// `at` as a ZIP entry's time: Paris local time, as the letter's dates read.
fn zip_time(at: ParisTime) -> zip::DateTime {
    use chrono::{Datelike, Timelike};
    let local = at.local();
    let part = |n: u32| u8::try_from(n).unwrap_or(0);
    u16::try_from(local.year())
        .ok()
        .and_then(|year| {
            zip::DateTime::from_date_and_time(
                year,
                part(local.month()),
                part(local.day()),
                part(local.hour()),
                part(local.minute()),
                part(local.second()),
            )
            .ok()
        })
        .unwrap_or_default()
}

/// A file name without directories.
fn safe_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    if base.is_empty() || base == "." || base == ".." { "fichier".to_owned() } else { base.to_owned() }
}

/// The text of HTML content: tags dropped, line breaks kept, entities of the usual kind read.
fn plain_text(html: &str) -> String {
    let mut with_breaks = html.replace("<br>", "\n").replace("<br/>", "\n").replace("<br />", "\n");
    for closing in ["</p>", "</h1>", "</h2>", "</h3>", "</div>", "</li>"] {
        with_breaks = with_breaks.replace(closing, &format!("{closing}\n"));
    }
    let mut text = String::with_capacity(with_breaks.len());
    let mut in_tag = false;
    for c in with_breaks.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    html_escape::decode_html_entities(&text).into_owned()
}

/// Text in the PDF's WinAnsi encoding (French letters included); anything else becomes `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{ff}' => c as u8,
            '€' => 0x80,
            '’' => 0x92,
            '‘' => 0x91,
            '“' => 0x93,
            '”' => 0x94,
            '–' => 0x96,
            '—' => 0x97,
            'œ' => 0x9c,
            'Œ' => 0x8c,
            _ => b'?',
        })
        .collect()
}

/// Lines longer than this are wrapped (at 10 pt, an A4 page's width).
const WIDTH: usize = 95;

fn wrap(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for word in line.split(' ') {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > WIDTH {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    out.push(current);
    out
}

/// A simple A4 PDF: a title, then lines of text in Helvetica, on as many pages as needed.
fn pdf(title: &str, lines: &[String]) -> Vec<u8> {
    const LINES_PER_PAGE: usize = 58;
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let bold_id = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica-Bold",
        "Encoding" => "WinAnsiEncoding",
    });
    let resources_id = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => font_id, "F2" => bold_id },
    });
    let wrapped: Vec<String> = lines.iter().flat_map(|l| wrap(l)).collect();
    let chunks: Vec<&[String]> = if wrapped.is_empty() { vec![&[]] } else { wrapped.chunks(LINES_PER_PAGE).collect() };
    let mut kids = Vec::new();
    for (index, chunk) in chunks.iter().enumerate() {
        let mut operations = vec![Operation::new("BT", vec![])];
        if index == 0 {
            operations.push(Operation::new("Tf", vec!["F2".into(), 15.into()]));
            operations.push(Operation::new("Td", vec![50.into(), 790.into()]));
            operations.push(Operation::new("Tj", vec![Object::String(win_ansi(title), StringFormat::Literal)]));
            operations.push(Operation::new("Td", vec![0.into(), (-26).into()]));
        } else {
            operations.push(Operation::new("Td", vec![50.into(), 800.into()]));
        }
        operations.push(Operation::new("Tf", vec!["F1".into(), 10.into()]));
        operations.push(Operation::new("TL", vec![13.into()]));
        for line in chunk.iter() {
            operations.push(Operation::new("Tj", vec![Object::String(win_ansi(line), StringFormat::Literal)]));
            operations.push(Operation::new("T*", vec![]));
        }
        operations.push(Operation::new("ET", vec![]));
        let content = Content { operations };
        let stream = Stream::new(dictionary! {}, content.encode().unwrap_or_default());
        let content_id = doc.add_object(stream);
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        });
        kids.push(Object::from(page_id));
    }
    let count = kids.len() as i64;
    doc.objects
        .insert(pages_id, Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }));
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let info_id = doc.add_object(dictionary! { "Producer" => Object::string_literal("ar24-mock") });
    doc.trailer.set("Info", info_id);
    let mut bytes = Vec::new();
    // Writing to memory cannot fail.
    let _ = doc.save_to(&mut bytes);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_text_is_written_in_win_ansi() {
        assert_eq!(win_ansi("dépôt"), [b'd', 0xe9, b'p', 0xf4, b't']);
        assert_eq!(win_ansi("n° 5 €"), [b'n', 0xb0, b' ', b'5', b' ', 0x80]);
        assert_eq!(win_ansi("日本"), b"??");
    }

    #[test]
    fn html_content_reads_as_text() {
        assert_eq!(
            plain_text("<h1>Mise en demeure</h1><p>Bonjour &amp; merci</p>x<br>y"),
            "Mise en demeure\nBonjour & merci\nx\ny"
        );
    }

    #[test]
    fn long_lines_wrap_and_file_names_lose_their_directories() {
        let long = "mot ".repeat(60);
        assert!(wrap(&long).iter().all(|l| l.chars().count() <= WIDTH));
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("C:\\docs\\a.pdf"), "a.pdf");
        assert_eq!(safe_name(".."), "fichier");
    }

    #[test]
    fn a_pdf_is_a_pdf() {
        let bytes = pdf("Titre", &["une ligne".to_owned()]);
        assert!(bytes.starts_with(b"%PDF-1.5"));
        assert!(Document::load_mem(&bytes).is_ok());
    }
}
