//! The portal's CSV downloads: `;`-separated UTF-8 with a byte-order mark and a header row,
//! as Italian Excel opens them with a double click; every cell safe from formula injection;
//! answered as an attachment. Built in memory: each export bounds its rows.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The byte-order mark: without it Excel reads UTF-8 as Windows-1252 ("Ã¨" for "è").
const BOM: &str = "\u{feff}";

/// A CSV file being written.
pub struct CsvFile {
    writer: csv::Writer<Vec<u8>>,
}

impl CsvFile {
    /// A file whose first row is `header`.
    pub fn new(header: &[&str]) -> anyhow::Result<CsvFile> {
        let writer = csv::WriterBuilder::new()
            .delimiter(b';')
            .terminator(csv::Terminator::CRLF)
            .from_writer(BOM.as_bytes().to_vec());
        let mut file = CsvFile { writer };
        file.row(header.iter().copied())?;
        Ok(file)
    }

    /// One row; each cell passes [`safe_cell`].
    pub fn row<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) -> anyhow::Result<()> {
        self.writer
            .write_record(cells.into_iter().map(|c| safe_cell(c).into_owned()))?;
        Ok(())
    }

    /// The download, named `filename` (ASCII: it goes in a header as it is).
    pub fn into_response(self, filename: &str) -> anyhow::Result<Response> {
        let body = self
            .writer
            .into_inner()
            .map_err(|e| anyhow::anyhow!("csv: {}", e.error()))?;
        let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))?;
        Ok((
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/csv; charset=utf-8"),
                ),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            body,
        )
            .into_response())
    }
}

/// A cell that a spreadsheet will not run: text starting with `=`, `+`, `-`, `@` (or a tab
/// or carriage return, which Excel skips before reading a formula) gets a leading `'`, as
/// OWASP advises. Phone numbers (`+39…`) get it too, which also keeps them text.
pub fn safe_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_plain_text_is_left_alone() {
        assert_eq!(safe_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(safe_cell("+393401112233"), "'+393401112233");
        assert_eq!(safe_cell("-1"), "'-1");
        assert_eq!(safe_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(safe_cell("\t=1"), "'\t=1");
        assert_eq!(safe_cell("Maria Rossi"), "Maria Rossi");
        assert_eq!(safe_cell(""), "");
    }

    #[test]
    fn the_file_has_a_bom_a_header_and_semicolons() {
        let mut file = CsvFile::new(&["Nome", "Nota"]).unwrap();
        file.row(["Luca; Bianchi", "è \"citato\""]).unwrap();
        let bytes = file.writer.into_inner().unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(
            text,
            "\u{feff}Nome;Nota\r\n\"Luca; Bianchi\";\"è \"\"citato\"\"\"\r\n"
        );
    }
}
