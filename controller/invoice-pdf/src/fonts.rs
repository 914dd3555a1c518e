//! The four embedded Noto faces (see `fonts/README.md` for where the files come from).

use typst::foundations::Bytes;
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;

/// The font files, compiled in so that the PDF never depends on the fonts a machine has.
const FILES: [&[u8]; 4] = [
    include_bytes!("../fonts/NotoSans-Regular.ttf"),
    include_bytes!("../fonts/NotoSans-Bold.ttf"),
    include_bytes!("../fonts/NotoSansBengali-Regular.ttf"),
    include_bytes!("../fonts/NotoSansBengali-Bold.ttf"),
];

/// Parsed faces and the book Typst picks them from by family, weight and coverage.
pub(crate) struct Fonts {
    pub(crate) faces: Vec<Font>,
    pub(crate) book: LazyHash<FontBook>,
}

impl Fonts {
    /// Parses the embedded files. The bytes are `'static`, so `Bytes::new` borrows them
    /// without copying 1.4 MB per renderer.
    pub(crate) fn embedded() -> Fonts {
        let faces: Vec<Font> = FILES
            .iter()
            .flat_map(|data| Font::iter(Bytes::new(*data)))
            .collect();
        let book = LazyHash::new(FontBook::from_fonts(&faces));
        Fonts { faces, book }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A face that failed to parse would silently fall back to another family (and Bangla to
    /// boxes); every file must yield exactly one face with the family the template names.
    #[test]
    fn every_embedded_file_parses_to_one_named_face() {
        let fonts = Fonts::embedded();
        let families: Vec<&str> = fonts
            .faces
            .iter()
            .map(|f| f.info().family.as_str())
            .collect();
        assert_eq!(
            families,
            [
                "Noto Sans",
                "Noto Sans",
                "Noto Sans Bengali",
                "Noto Sans Bengali"
            ]
        );
    }
}
