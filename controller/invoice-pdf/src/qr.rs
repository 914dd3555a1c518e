//! The payment link as a QR code, drawn as an SVG the template places like any image.
//!
//! An SVG of filled unit squares stays vector in the PDF (sharp at any printer resolution), and
//! the `qrcode` crate needs none of its optional renderers (no `image`) to give the matrix.

use std::fmt::Write;

use qrcode::{Color, EcLevel, QrCode};

/// Modules of light margin around the symbol; the QR specification asks for four so a scanner
/// can find the finder patterns on any background.
pub(crate) const QUIET_ZONE: usize = 4;

/// The module matrix of `text`, row by row (`true` is dark), at error correction level M: about
/// 15% of the symbol can be smudged on a printed invoice and it still scans.
pub(crate) fn matrix(text: &str) -> Result<Vec<Vec<bool>>, qrcode::types::QrError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)?;
    let width = code.width();
    let colors = code.to_colors();
    Ok(colors
        .chunks(width)
        .map(|row| row.iter().map(|c| *c == Color::Dark).collect())
        .collect())
}

/// An SVG of the matrix: one unit per module, the quiet zone included in the view box, and one
/// path whose subpaths are the horizontal runs of dark modules (`M x y h n v 1 h -n z`), which
/// keeps the file small and the drawing exact.
pub(crate) fn svg(matrix: &[Vec<bool>]) -> String {
    let side = matrix.len() + 2 * QUIET_ZONE;
    let mut path = String::new();
    for (y, row) in matrix.iter().enumerate() {
        for (x, run) in dark_runs(row) {
            // Writing to a String cannot fail.
            let _ = write!(
                path,
                "M{} {}h{run}v1h-{run}z",
                x + QUIET_ZONE,
                y + QUIET_ZONE
            );
        }
    }
    format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" "#,
            r##"shape-rendering="crispEdges"><rect width="{side}" height="{side}" fill="#fff"/>"##,
            r##"<path fill="#000" d="{path}"/></svg>"##
        ),
        side = side,
        path = path
    )
}

/// `(start, length)` of each run of dark modules in a row.
fn dark_runs(row: &[bool]) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut start = None;
    for (x, &dark) in row.iter().chain(std::iter::once(&false)).enumerate() {
        match (dark, start) {
            (true, None) => start = Some(x),
            (false, Some(s)) => {
                runs.push((s, x - s));
                start = None;
            }
            _ => {}
        }
    }
    runs
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Reads an SVG made by [`svg`] back into a module matrix by filling each `M x y h n` run:
    /// what a scanner would see, module for module.
    pub(crate) fn read_back(svg: &str) -> Vec<Vec<bool>> {
        let side: usize = svg
            .split("viewBox=\"0 0 ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .expect("view box");
        let width = side - 2 * QUIET_ZONE;
        let mut grid = vec![vec![false; width]; width];
        let d = svg
            .split(" d=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("path");
        for run in d.split('M').filter(|s| !s.is_empty()) {
            let (xy, rest) = run.split_once('h').expect("run");
            let (x, y) = xy.split_once(' ').expect("x y");
            let n: usize = rest
                .split('v')
                .next()
                .and_then(|n| n.parse().ok())
                .expect("length");
            let (x, y): (usize, usize) = (x.parse().expect("x"), y.parse().expect("y"));
            for cell in &mut grid[y - QUIET_ZONE][x - QUIET_ZONE..x - QUIET_ZONE + n] {
                *cell = true;
            }
        }
        grid
    }

    #[test]
    fn the_svg_draws_exactly_the_matrix_qrcode_made() {
        for url in [
            "https://pay.example.net/i/8f3a2c",
            "x",
            &"https://a.bd/".repeat(60),
        ] {
            let m = matrix(url).unwrap();
            assert_eq!(read_back(&svg(&m)), m, "{url}");
        }
    }

    #[test]
    fn runs_cover_every_dark_module_and_nothing_else() {
        let row = [true, true, false, true, false, false, true];
        assert_eq!(dark_runs(&row), [(0, 2), (3, 1), (6, 1)]);
        assert_eq!(dark_runs(&[false; 3]), []);
    }

    #[test]
    fn a_url_too_long_for_any_qr_version_is_an_error() {
        assert!(matrix(&"x".repeat(5000)).is_err());
    }
}
