//! The documents of a letter, in French like AR24's: a proof for each status
//! reached, the content as a PDF, and a ZIP of everything so far. The facts
//! stated are the letter's: sender, recipient, id, the content's SHA-256, and
//! the dates in Paris time.

use std::io::Write;

mod pdf;

use pdf::{Doc, PAGE_HEIGHT, PAGE_WIDTH, Weight, shape};

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

/// The layout of a document: a cursor going down A4 pages.
struct Layout {
    doc: Doc,
    /// The next baseline, in points from the bottom.
    y: f32,
}

const MARGIN: f32 = 50.0;
const TEXT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
/// Lowest baseline before a new page, above the footer.
const BOTTOM: f32 = 70.0;

impl Layout {
    fn new() -> Self {
        Self { doc: Doc::new(), y: PAGE_HEIGHT - 60.0 }
    }

    /// Room for `height` points more, else a new page.
    fn room(&mut self, height: f32) {
        if self.y - height < BOTTOM {
            self.doc.new_page();
            self.y = PAGE_HEIGHT - 60.0;
        }
    }

    /// One line at `x`, then down by `size * 1.4`.
    fn line(&mut self, x: f32, text: &str, size: f32, weight: Weight) {
        self.room(size * 1.4);
        self.doc.text(x, self.y, size, shape(text, weight));
        self.y -= size * 1.4;
    }

    /// `text` wrapped to `width` points, from `x`.
    fn paragraph(&mut self, x: f32, width: f32, text: &str, size: f32, weight: Weight) {
        for line in wrap(text, width, size, weight) {
            self.line(x, &line, size, weight);
        }
    }

    /// A section's heading: bold, over a rule.
    fn heading(&mut self, text: &str) {
        self.room(40.0);
        self.y -= 8.0;
        self.line(MARGIN, text, 11.0, Weight::Bold);
        self.doc.rule(MARGIN, self.y + 10.0, PAGE_WIDTH - MARGIN, self.y + 10.0);
        self.y -= 4.0;
    }

    /// A table: a gray header row, then rows separated by rules; `columns` are the x offsets.
    fn table(&mut self, columns: &[f32], header: &[&str], rows: &[Vec<String>]) {
        let widths: Vec<f32> = columns
            .iter()
            .enumerate()
            .map(|(i, x)| columns.get(i + 1).copied().unwrap_or(TEXT_WIDTH) - x - 6.0)
            .collect();
        self.room(40.0);
        self.doc.rect(MARGIN, self.y - 5.0, TEXT_WIDTH, 16.0, Some(0.9));
        for (x, title) in columns.iter().zip(header) {
            self.doc.text(MARGIN + 4.0 + x, self.y, 9.0, shape(title, Weight::Bold));
        }
        self.y -= 17.0;
        for row in rows {
            let cells: Vec<Vec<String>> =
                row.iter().zip(&widths).map(|(cell, w)| wrap(cell, *w, 9.0, Weight::Regular)).collect();
            let height = cells.iter().map(Vec::len).max().unwrap_or(1) as f32 * 12.0;
            self.room(height + 6.0);
            for ((x, lines), _) in columns.iter().zip(&cells).zip(&widths) {
                for (n, line) in lines.iter().enumerate() {
                    self.doc.text(MARGIN + 4.0 + x, self.y - n as f32 * 12.0, 9.0, shape(line, Weight::Regular));
                }
            }
            self.y -= height;
            self.doc.rule(MARGIN, self.y + 8.0, PAGE_WIDTH - MARGIN, self.y + 8.0);
            self.y -= 4.0;
        }
    }

    /// The footer on the last page, and the PDF.
    fn finish(mut self, title: &str) -> Vec<u8> {
        let mut notes = vec![DISCLAIMER.to_owned()];
        if self.doc.replaced {
            notes.push(REPLACED.to_owned());
        }
        self.room(14.0 * notes.len() as f32 + 10.0);
        self.y = self.y.min(BOTTOM + 14.0 * notes.len() as f32);
        for note in notes {
            self.paragraph(MARGIN, TEXT_WIDTH, &note, 8.0, Weight::Regular);
        }
        self.doc.render(title)
    }
}

/// Words of `text` in lines no wider than `width` points; a word wider than a
/// line is cut between characters. Each word is measured once.
fn wrap(text: &str, width: f32, size: f32, weight: Weight) -> Vec<String> {
    let space = shape(" ", weight).width(size);
    let mut lines = Vec::new();
    let (mut current, mut used) = (String::new(), 0.0);
    for word in text.split(' ') {
        let mut measured = shape(word, weight).width(size);
        let mut word = word.to_owned();
        if measured > width {
            let mut pieces = cut(&word, width, size, weight);
            word = pieces.pop().unwrap_or_default();
            measured = shape(&word, weight).width(size);
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            lines.extend(pieces);
            used = 0.0;
        }
        if !current.is_empty() && used + space + measured > width {
            lines.push(std::mem::take(&mut current));
            used = 0.0;
        }
        if !current.is_empty() {
            current.push(' ');
            used += space;
        }
        current.push_str(&word);
        used += measured;
    }
    lines.push(current);
    lines
}

/// A word too wide for a line, in pieces that fit.
fn cut(word: &str, width: f32, size: f32, weight: Weight) -> Vec<String> {
    let mut pieces = vec![String::new()];
    let mut used = 0.0;
    for c in word.chars() {
        let measured = shape(&c.to_string(), weight).width(size);
        if used + measured > width && !pieces.last().is_some_and(String::is_empty) {
            pieces.push(String::new());
            used = 0.0;
        }
        pieces.last_mut().expect("a piece").push(c);
        used += measured;
    }
    pieces
}

/// The size, at most `size`, at which `text` fits `width` on one line, if
/// that is no smaller than 7 points.
fn fitting(text: &str, width: f32, size: f32, weight: Weight) -> Option<f32> {
    let measured = shape(text, weight).width(size);
    let fitted = if measured <= width { size } else { size * width / measured };
    (fitted >= 7.0).then_some(fitted)
}

/// The heading of every document: title, number, kind, and the two parties side by side.
fn header(layout: &mut Layout, title: &str, letter: &Letter, issued: Option<ParisTime>) {
    let kind = if letter.is_eidas { "LRE qualifiée eIDAS" } else { "lettre recommandée électronique simple" };
    layout.doc.rect(0.0, PAGE_HEIGHT - 8.0, PAGE_WIDTH, 8.0, Some(0.2));
    layout.line(MARGIN, title, 18.0, Weight::Bold);
    layout.y -= 2.0;
    layout.line(MARGIN, &format!("Lettre recommandée électronique n° {} · {kind}", letter.id), 11.0, Weight::Regular);
    if let Some(issued) = issued {
        layout.line(MARGIN, &format!("Établie le {issued} (heure de Paris)"), 9.0, Weight::Regular);
    }
    layout.y -= 10.0;
    // Two blocks: the sender on the left, the recipient on the right.
    let half = (TEXT_WIDTH - 20.0) / 2.0;
    let top = layout.y + 14.0;
    let statut = match letter.to.statut {
        crate::domain::letter::DestStatut::Particulier => "particulier",
        crate::domain::letter::DestStatut::Professionnel => "professionnel",
    };
    let blocks = [
        (
            "Expéditeur",
            vec![
                letter.from.name.clone(),
                letter.from.email.clone(),
                letter.from.address1.clone(),
                format!("{} {}", letter.from.zipcode, letter.from.city),
            ],
        ),
        ("Destinataire", vec![letter.to.name(), letter.to.email.as_str().to_owned(), format!("Statut : {statut}")]),
    ];
    let mut lowest = layout.y;
    for (column, (heading, lines)) in blocks.iter().enumerate() {
        let x = MARGIN + column as f32 * (half + 20.0);
        let mut y = layout.y;
        layout.doc.text(x + 8.0, y - 4.0, 9.0, shape(heading, Weight::Bold));
        y -= 18.0;
        for line in lines.iter().filter(|l| !l.trim().is_empty()) {
            // An address stays whole on its line, smaller if need be; a long name wraps.
            let (size, parts) = match fitting(line, half - 16.0, 10.0, Weight::Regular) {
                Some(size) => (size, vec![line.clone()]),
                None => (10.0, wrap(line, half - 16.0, 10.0, Weight::Regular)),
            };
            for part in parts {
                layout.doc.text(x + 8.0, y, size, shape(&part, Weight::Regular));
                y -= 13.0;
            }
        }
        lowest = lowest.min(y);
    }
    for column in 0..2 {
        let x = MARGIN + column as f32 * (half + 20.0);
        layout.doc.rect(x, lowest + 4.0, half, top - lowest - 4.0, None);
    }
    layout.y = lowest - 14.0;
}

/// The events so far, with their dates; the refusal names who refused.
fn events(letter: &Letter) -> Vec<Vec<String>> {
    let refused = match &letter.refused_by {
        Some(by) => format!("Refus par le destinataire, identifié comme {by}"),
        None => "Refus par le destinataire".to_owned(),
    };
    let dated = [
        ("Dépôt de la lettre".to_owned(), Some(letter.date)),
        ("Notification du destinataire (ev)".to_owned(), letter.ts_ev_date),
        ("Acceptation par le destinataire (ar)".to_owned(), letter.view_date),
        (format!("{refused} (rf)"), letter.refused_date),
        ("Négligence : pas de réponse sous 15 jours (ng)".to_owned(), letter.negligence_date),
        ("Rejet de la notification (bc)".to_owned(), letter.bounced_date),
    ];
    dated.into_iter().filter_map(|(what, date)| Some(vec![what, date?.to_string()])).collect()
}

/// What every document of the letter states after its header: events,
/// references, the hash and the attachments.
fn facts(layout: &mut Layout, letter: &Letter, attachments: &[Attachment]) {
    layout.heading("Déroulement (heure de Paris)");
    layout.table(&[0.0, 330.0], &["Événement", "Date"], &events(letter));
    let names =
        ["Référence dossier (ref_dossier)", "Référence client (ref_client)", "Référence facturation (ref_facturation)"];
    let refs: Vec<Vec<String>> = names
        .iter()
        .zip(&letter.refs)
        .filter_map(|(name, value)| Some(vec![(*name).to_owned(), value.clone()?]))
        .collect();
    if !refs.is_empty() {
        layout.heading("Références");
        layout.table(&[0.0, 230.0], &["Référence", "Valeur"], &refs);
    }
    layout.heading("Empreinte SHA-256 du contenu et des pièces jointes");
    layout.paragraph(MARGIN, TEXT_WIDTH, &letter.full_hash_sha256.to_string(), 9.0, Weight::Regular);
    layout.heading("Pièces jointes");
    if attachments.is_empty() {
        layout.line(MARGIN, "Aucune.", 9.0, Weight::Regular);
    } else {
        let rows: Vec<Vec<String>> = attachments
            .iter()
            .map(|a| vec![a.filename.to_string(), format!("{} octets", a.size), a.sha1.clone()])
            .collect();
        layout.table(&[0.0, 170.0, 240.0], &["Fichier", "Taille", "SHA-1"], &rows);
    }
}

const DISCLAIMER: &str = "Document produit par ar24-mock, une simulation de l'API AR24 : sans valeur légale.";

const REPLACED: &str =
    "Certains caractères que la police de ce document ne peut pas afficher y sont remplacés par « \u{FFFD} ».";

/// The proof PDF of `status`, or `None` if the letter has not reached it.
pub fn proof(letter: &Letter, attachments: &[Attachment], status: LetterStatus) -> Option<Vec<u8>> {
    let date = proof_date(letter, status)?;
    let mut layout = Layout::new();
    header(&mut layout, title(status), letter, Some(date));
    facts(&mut layout, letter, attachments);
    Some(layout.finish(title(status)))
}

/// The letter's content as a PDF: its facts, then its text (HTML tags removed).
pub fn content(letter: &Letter, attachments: &[Attachment]) -> Vec<u8> {
    const TITLE: &str = "Contenu de la lettre recommandée électronique";
    let mut layout = Layout::new();
    header(&mut layout, TITLE, letter, None);
    facts(&mut layout, letter, attachments);
    layout.heading("Contenu");
    for line in plain_text(&letter.content).lines() {
        layout.paragraph(MARGIN, TEXT_WIDTH, line, 10.0, Weight::Regular);
    }
    layout.finish(TITLE)
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let lines = wrap(&long, 200.0, 10.0, Weight::Regular);
        assert!(lines.len() > 3 && lines.iter().all(|l| shape(l.trim(), Weight::Regular).width(10.0) <= 200.0));
        let long_word = "x".repeat(200);
        let pieces = wrap(&format!("a {long_word} b"), 200.0, 10.0, Weight::Regular);
        assert_eq!(pieces.concat().replace(' ', ""), format!("a{long_word}b"), "nothing lost");
        assert!(pieces.iter().all(|l| shape(l, Weight::Regular).width(10.0) <= 200.0), "{pieces:?}");
        assert_eq!(fitting("court", 200.0, 10.0, Weight::Regular), Some(10.0));
        assert!(fitting(&"x".repeat(40), 200.0, 10.0, Weight::Regular).is_some_and(|size| size < 10.0));
        assert_eq!(fitting(&long_word, 200.0, 10.0, Weight::Regular), None);
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("C:\\docs\\a.pdf"), "a.pdf");
        assert_eq!(safe_name(".."), "fichier");
    }
}
