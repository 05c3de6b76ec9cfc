//! A small PDF writer for the letter's documents: A4 pages of text, boxes and
//! rules, in DejaVu Sans (regular and bold) embedded as subset fonts, so that
//! any Latin, Greek, Cyrillic or Arabic name prints as given. Text is laid out
//! in its visual order (Unicode bidi) and shaped (rustybuzz: Arabic joins,
//! kerning); each glyph maps back to its characters (`ToUnicode`), so the text
//! can be copied and searched. A character the font has no glyph for is
//! printed as U+FFFD, and the document is told so ([`Doc::replaced`]).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, Object, ObjectId, Stream, StringFormat, dictionary};
use rustybuzz::{Direction, Face, UnicodeBuffer};
use unicode_bidi::BidiInfo;

/// A4, in points.
pub const PAGE_WIDTH: f32 = 595.0;
/// A4, in points.
pub const PAGE_HEIGHT: f32 = 842.0;

/// What stands for a character the font cannot show.
const REPLACEMENT: char = '\u{FFFD}';

/// The two faces: regular and bold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Weight {
    /// DejaVu Sans.
    Regular,
    /// DejaVu Sans Bold.
    Bold,
}

struct FontFile {
    data: &'static [u8],
    face: Face<'static>,
    name: &'static str,
}

static FONTS: LazyLock<[FontFile; 2]> = LazyLock::new(|| {
    let load = |data: &'static [u8], name| FontFile {
        data,
        face: Face::from_slice(data, 0).expect("the DejaVu fonts the crate ships parse"),
        name,
    };
    [load(dejavu::sans::regular(), "DejaVuSans"), load(dejavu::sans::bold(), "DejaVuSans-Bold")]
});

fn font(weight: Weight) -> &'static FontFile {
    &FONTS[weight as usize]
}

/// One shaped glyph: its id in the full font, its advance and the characters it shows.
#[derive(Debug, Clone)]
struct Glyph {
    id: u16,
    /// Advance along the line, in font units.
    advance: i32,
    /// The characters this glyph stands for (empty for the later glyphs of a cluster).
    text: String,
}

/// A line of text, shaped, in visual order.
#[derive(Debug, Clone)]
pub struct Shaped {
    weight: Weight,
    glyphs: Vec<Glyph>,
    /// Some character had no glyph and shows as U+FFFD.
    pub replaced: bool,
}

impl Shaped {
    /// Its width at `size` points.
    pub fn width(&self, size: f32) -> f32 {
        let units: i32 = self.glyphs.iter().map(|g| g.advance).sum();
        units as f32 * size / f32::from(font(self.weight).face.units_per_em() as u16)
    }
}

/// Shapes one line of `text` (no line breaks) in `weight`.
pub fn shape(text: &str, weight: Weight) -> Shaped {
    let face = &font(weight).face;
    let mut replaced = false;
    let text: String = text
        .chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() => {
                replaced = true;
                REPLACEMENT
            }
            // Joiners and marks of direction have no glyph and need none.
            '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => c,
            c if face.glyph_index(c).is_none() => {
                replaced = true;
                REPLACEMENT
            }
            c => c,
        })
        .collect();
    let mut glyphs = Vec::new();
    let bidi = BidiInfo::new(&text, None);
    for paragraph in &bidi.paragraphs {
        let (levels, runs) = bidi.visual_runs(paragraph, paragraph.range.clone());
        for run in runs {
            let piece = &text[run.clone()];
            let mut buffer = UnicodeBuffer::new();
            buffer.push_str(piece);
            buffer.set_direction(if levels[run.start].is_rtl() {
                Direction::RightToLeft
            } else {
                Direction::LeftToRight
            });
            buffer.guess_segment_properties();
            let shaped = rustybuzz::shape(face, &[], buffer);
            // Each cluster's characters go with the first glyph of the cluster met.
            let mut starts: Vec<usize> = shaped.glyph_infos().iter().map(|i| i.cluster as usize).collect();
            starts.sort_unstable();
            starts.dedup();
            let mut given = std::collections::HashSet::new();
            for (info, position) in shaped.glyph_infos().iter().zip(shaped.glyph_positions()) {
                let start = info.cluster as usize;
                let end = starts.iter().copied().find(|s| *s > start).unwrap_or(piece.len());
                let text = if given.insert(start) {
                    piece.get(start..end).unwrap_or_default().to_owned()
                } else {
                    String::new()
                };
                glyphs.push(Glyph { id: info.glyph_id as u16, advance: position.x_advance, text });
            }
        }
    }
    Shaped { weight, glyphs, replaced }
}

/// What a page holds.
#[derive(Debug, Clone)]
enum Mark {
    Text { x: f32, y: f32, size: f32, line: Shaped },
    Rect { x: f32, y: f32, width: f32, height: f32, gray: Option<f32> },
    Rule { x1: f32, y1: f32, x2: f32, y2: f32 },
}

/// A document being laid out: pages of marks, coordinates in points from the bottom left.
#[derive(Debug, Default)]
pub struct Doc {
    pages: Vec<Vec<Mark>>,
    /// Some text had characters the font cannot show.
    pub replaced: bool,
}

impl Doc {
    /// An empty document with one page.
    pub fn new() -> Self {
        Self { pages: vec![Vec::new()], replaced: false }
    }

    /// Starts a new page.
    pub fn new_page(&mut self) {
        self.pages.push(Vec::new());
    }

    fn page(&mut self) -> &mut Vec<Mark> {
        self.pages.last_mut().expect("a document has a page")
    }

    /// Writes a shaped line with its baseline at (`x`, `y`).
    pub fn text(&mut self, x: f32, y: f32, size: f32, line: Shaped) {
        self.replaced |= line.replaced;
        self.page().push(Mark::Text { x, y, size, line });
    }

    /// A rectangle, outlined, or filled with a gray level (0 black, 1 white).
    pub fn rect(&mut self, x: f32, y: f32, width: f32, height: f32, gray: Option<f32>) {
        self.page().push(Mark::Rect { x, y, width, height, gray });
    }

    /// A thin line.
    pub fn rule(&mut self, x1: f32, y1: f32, x2: f32, y2: f32) {
        self.page().push(Mark::Rule { x1, y1, x2, y2 });
    }

    /// The PDF, titled `title`.
    pub fn render(&self, title: &str) -> Vec<u8> {
        let mut doc = Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        // Each weight's glyphs, renumbered from 1 in the subset.
        let mut used: BTreeMap<Weight, subsetter::GlyphRemapper> = BTreeMap::new();
        let mut unicode: BTreeMap<(Weight, u16), String> = BTreeMap::new();
        for mark in self.pages.iter().flatten() {
            if let Mark::Text { line, .. } = mark {
                let remapper = used.entry(line.weight).or_default();
                for glyph in &line.glyphs {
                    let new = remapper.remap(glyph.id);
                    if !glyph.text.is_empty() {
                        unicode.entry((line.weight, new)).or_insert_with(|| glyph.text.clone());
                    }
                }
            }
        }
        let mut fonts = Dictionary::new();
        for (weight, remapper) in &used {
            let id = embed(&mut doc, *weight, remapper, &unicode);
            fonts.set(resource_name(*weight), id);
        }
        let resources_id = doc.add_object(dictionary! { "Font" => fonts });
        let mut kids = Vec::new();
        for marks in &self.pages {
            let operations: Vec<Operation> = marks.iter().flat_map(|mark| draw(mark, &used)).collect();
            let content = Content { operations };
            let stream = Stream::new(dictionary! {}, content.encode().unwrap_or_default());
            let content_id = doc.add_object(stream);
            let page_id = doc.add_object(dictionary! {
                "Type" => "Page",
                "Parent" => pages_id,
                "Contents" => content_id,
                "Resources" => resources_id,
                "MediaBox" => vec![0.into(), 0.into(), PAGE_WIDTH.into(), PAGE_HEIGHT.into()],
            });
            kids.push(Object::from(page_id));
        }
        let count = kids.len() as i64;
        doc.objects
            .insert(pages_id, Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }));
        let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog_id);
        let info_id = doc.add_object(dictionary! {
            "Producer" => Object::string_literal("ar24-mock"),
            "Title" => Object::String(utf16_text(title), StringFormat::Hexadecimal),
        });
        doc.trailer.set("Info", info_id);
        doc.compress();
        let mut bytes = Vec::new();
        // Writing to memory cannot fail.
        let _ = doc.save_to(&mut bytes);
        bytes
    }
}

fn resource_name(weight: Weight) -> &'static str {
    match weight {
        Weight::Regular => "F1",
        Weight::Bold => "F2",
    }
}

/// A text string as PDF writes one in Unicode: UTF-16BE with its byte order mark.
fn utf16_text(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xfe, 0xff];
    bytes.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    bytes
}

/// The operations that draw `mark`.
fn draw(mark: &Mark, used: &BTreeMap<Weight, subsetter::GlyphRemapper>) -> Vec<Operation> {
    match mark {
        Mark::Text { x, y, size, line } => {
            let Some(remapper) = used.get(&line.weight) else { return Vec::new() };
            let face = &font(line.weight).face;
            let per_em = f32::from(face.units_per_em() as u16);
            // Each glyph's own width is in the font's widths; a shaped advance
            // that differs (kerning) moves the next glyph, in thousandths of an em.
            let mut array = Vec::new();
            for glyph in &line.glyphs {
                let new = remapper.get(glyph.id).unwrap_or(0);
                array.push(Object::String(new.to_be_bytes().to_vec(), StringFormat::Hexadecimal));
                let natural = i32::from(face.glyph_hor_advance(rustybuzz::ttf_parser::GlyphId(glyph.id)).unwrap_or(0));
                if natural != glyph.advance {
                    array.push(Object::Real((natural - glyph.advance) as f32 * 1000.0 / per_em));
                }
            }
            vec![
                Operation::new("BT", vec![]),
                Operation::new("Tf", vec![resource_name(line.weight).into(), (*size).into()]),
                Operation::new("Td", vec![(*x).into(), (*y).into()]),
                Operation::new("TJ", vec![Object::Array(array)]),
                Operation::new("ET", vec![]),
            ]
        }
        Mark::Rect { x, y, width, height, gray } => {
            let shape = Operation::new("re", vec![(*x).into(), (*y).into(), (*width).into(), (*height).into()]);
            match gray {
                Some(level) => vec![
                    Operation::new("q", vec![]),
                    Operation::new("g", vec![(*level).into()]),
                    shape,
                    Operation::new("f", vec![]),
                    Operation::new("Q", vec![]),
                ],
                None => vec![Operation::new("w", vec![0.6.into()]), shape, Operation::new("S", vec![])],
            }
        }
        Mark::Rule { x1, y1, x2, y2 } => vec![
            Operation::new("w", vec![0.4.into()]),
            Operation::new("m", vec![(*x1).into(), (*y1).into()]),
            Operation::new("l", vec![(*x2).into(), (*y2).into()]),
            Operation::new("S", vec![]),
        ],
    }
}

/// Embeds the subset of `weight` holding the glyphs of `remapper`, as a
/// composite (Type0) font with CIDs equal to the subset's glyph ids.
fn embed(
    doc: &mut Document,
    weight: Weight,
    remapper: &subsetter::GlyphRemapper,
    unicode: &BTreeMap<(Weight, u16), String>,
) -> ObjectId {
    let file = font(weight);
    let face = &file.face;
    let per_em = f32::from(face.units_per_em() as u16);
    let scale = |units: i16| (f32::from(units) * 1000.0 / per_em).round() as i64;
    let subset = subsetter::subset(file.data, 0, remapper).unwrap_or_default();
    let length = subset.len() as i64;
    let font_file = doc.add_object(Stream::new(dictionary! { "Length1" => length }, subset).with_compression(true));
    // A subset's name starts with six capitals of its own.
    let name = format!("{}+{}", subset_tag(remapper), file.name);
    let bbox = face.global_bounding_box();
    let descriptor = doc.add_object(dictionary! {
        "Type" => "FontDescriptor",
        "FontName" => Object::Name(name.clone().into_bytes()),
        "Flags" => 32,
        "FontBBox" => vec![scale(bbox.x_min).into(), scale(bbox.y_min).into(), scale(bbox.x_max).into(), scale(bbox.y_max).into()],
        "ItalicAngle" => 0,
        "Ascent" => scale(face.ascender()),
        "Descent" => scale(face.descender()),
        "CapHeight" => scale(face.capital_height().unwrap_or(face.ascender())),
        "StemV" => 80,
        "FontFile2" => font_file,
    });
    let mut widths = Vec::new();
    for old in remapper.remapped_gids() {
        let new = remapper.get(old).unwrap_or(0);
        let advance = face.glyph_hor_advance(rustybuzz::ttf_parser::GlyphId(old)).unwrap_or(0);
        widths.push(Object::Integer(i64::from(new)));
        widths.push(Object::Array(vec![Object::Integer(scale(advance as i16))]));
    }
    let descendant = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "CIDFontType2",
        "BaseFont" => Object::Name(name.clone().into_bytes()),
        "CIDSystemInfo" => dictionary! {
            "Registry" => Object::string_literal("Adobe"),
            "Ordering" => Object::string_literal("Identity"),
            "Supplement" => 0,
        },
        "FontDescriptor" => descriptor,
        "W" => widths,
        "CIDToGIDMap" => "Identity",
    });
    let to_unicode = doc.add_object(Stream::new(dictionary! {}, to_unicode_cmap(weight, unicode).into_bytes()));
    doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type0",
        "BaseFont" => Object::Name(name.into_bytes()),
        "Encoding" => "Identity-H",
        "DescendantFonts" => vec![descendant.into()],
        "ToUnicode" => to_unicode,
    })
}

/// Six capitals derived from the glyphs kept, as PDF asks of a subset's name.
fn subset_tag(remapper: &subsetter::GlyphRemapper) -> String {
    let mut hash: u32 = 2_166_136_261;
    for gid in remapper.remapped_gids() {
        hash = (hash ^ u32::from(gid)).wrapping_mul(16_777_619);
    }
    (0..6).map(|i| char::from(b'A' + ((hash >> (i * 5)) % 26) as u8)).collect()
}

/// The CMap that maps each glyph of `weight` back to its characters.
fn to_unicode_cmap(weight: Weight, unicode: &BTreeMap<(Weight, u16), String>) -> String {
    let entries: Vec<String> = unicode
        .range((weight, 0)..=(weight, u16::MAX))
        .map(|((_, cid), text)| {
            let utf16: String = text.encode_utf16().map(|unit| format!("{unit:04X}")).collect();
            format!("<{cid:04X}> <{utf16}>")
        })
        .collect();
    let mut cmap = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    // At most 100 entries per block.
    for block in entries.chunks(100) {
        cmap.push_str(&format!("{} beginbfchar\n{}\nendbfchar\n", block.len(), block.join("\n")));
    }
    cmap.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    cmap
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_any_script_shape_to_real_glyphs_and_map_back_to_their_text() {
        let line = shape("Zoë Ñandú-Łódź Αλέξης Жанна محمد", Weight::Regular);
        assert!(!line.replaced);
        assert!(line.glyphs.iter().all(|g| g.id != 0), "no glyph is missing");
        let mut text: Vec<char> = line.glyphs.iter().flat_map(|g| g.text.chars()).collect();
        text.sort_unstable();
        let mut given: Vec<char> = "Zoë Ñandú-Łódź Αλέξης Жанна محمد".chars().collect();
        given.sort_unstable();
        assert_eq!(text, given, "every character maps back, once");
        assert!(line.width(10.0) > 100.0);
    }

    #[test]
    fn arabic_is_joined_and_laid_out_right_to_left() {
        let isolated: Vec<u16> = "محمد".chars().map(|c| shape(&c.to_string(), Weight::Regular).glyphs[0].id).collect();
        let word = shape("محمد", Weight::Regular);
        let ids: Vec<u16> = word.glyphs.iter().map(|g| g.id).collect();
        assert_ne!(ids, isolated, "letters take their joined forms");
        // In visual order the last letter (dal) comes first.
        assert_eq!(word.glyphs[0].text, "د");
    }

    #[test]
    fn a_character_without_a_glyph_is_replaced_visibly_and_said() {
        let line = shape("Zoë 🦊", Weight::Bold);
        assert!(line.replaced);
        assert_eq!(line.glyphs.last().unwrap().text, "\u{FFFD}");
        assert!(!shape("Zoë", Weight::Bold).replaced);
    }

    #[test]
    fn a_document_is_a_pdf_with_its_fonts_subset() {
        let mut doc = Doc::new();
        doc.text(50.0, 800.0, 12.0, shape("Preuve de dépôt", Weight::Bold));
        doc.text(50.0, 780.0, 10.0, shape("Zoë", Weight::Regular));
        doc.rect(40.0, 700.0, 200.0, 60.0, None);
        let bytes = doc.render("Titre");
        assert!(bytes.starts_with(b"%PDF-1.5"));
        assert!(Document::load_mem(&bytes).is_ok());
        assert!(bytes.len() < 60_000, "subsets, not whole fonts: {} bytes", bytes.len());
    }
}
