//! Reading the CSV file of the employee import (CONTRACT.md §4c) into rows as typed: the
//! header `mobile;email;username;profile;first_name;last_name` (`,` also accepted, names
//! in any case and order, spaces around them ignored, a UTF-8 byte-order mark skipped),
//! then one [`CsvRow`] per data row, numbered as in the file. Nothing here judges a value:
//! that is the Aggiungi form's parsing ([`super::NewUserInput::parse`]), for every row.

use super::NewUserInput;

/// The largest file accepted.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;
/// The most data rows a file may have.
pub const MAX_ROWS: usize = 500;
/// The columns, in the order of the sample file.
pub const COLUMNS: [&str; 6] = [
    "mobile",
    "email",
    "username",
    "profile",
    "first_name",
    "last_name",
];
/// The byte-order mark Excel writes at the start of a "CSV UTF-8" file.
const BOM: &str = "\u{feff}";
/// No cell of a valid row is longer than this (the longest field, e-mail and username, is
/// 254): a longer one is cut here and refused by the field's own parser.
const MAX_CELL_CHARS: usize = 300;

/// One data row as it is in the file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CsvRow {
    /// Its line in the file (the header is line 1).
    pub line: u64,
    pub mobile: String,
    pub email: String,
    pub username: String,
    pub profile: String,
    pub first_name: String,
    pub last_name: String,
    /// How many cells the row had, when not six (it is refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrong_width: Option<usize>,
}

impl CsvRow {
    /// The row as the Aggiungi form would have received it; the profile written by its
    /// Italian name ("Amministratore Full") is given as its value, and a mobile number that
    /// a spreadsheet export protected with a leading `'` loses it.
    pub fn input(&self) -> NewUserInput {
        let profile = match crate::domain::Profile::from_name_or_code(&self.profile) {
            Some(p) => p.as_str().to_owned(),
            None => self.profile.clone(),
        };
        let mobile = self.mobile.trim();
        NewUserInput {
            mobile: mobile.strip_prefix('\'').unwrap_or(mobile).to_owned(),
            email: self.email.clone(),
            username: self.username.clone(),
            profile,
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
        }
    }

    /// Whether every cell is blank (such a row is left out, as an empty line is).
    fn is_blank(&self) -> bool {
        [
            &self.mobile,
            &self.email,
            &self.username,
            &self.profile,
            &self.first_name,
            &self.last_name,
        ]
        .iter()
        .all(|c| c.trim().is_empty())
    }
}

/// Why a file was refused as a whole: no row is shown, nothing is kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    #[error("Il file è vuoto: scegli il file CSV con le utenze.")]
    Empty,
    #[error(
        "Il file supera la dimensione massima di 1 MB: dividilo in più file e caricali uno alla volta."
    )]
    TooLarge,
    #[error(
        "Il file non è in formato UTF-8: in Excel salvalo con «Salva con nome» scegliendo «CSV UTF-8 (delimitato da virgole)»."
    )]
    NotUtf8,
    #[error(
        "La prima riga del file deve contenere le colonne mobile;email;username;profile;first_name;last_name (separate da punto e virgola o da virgola). Scarica il file di esempio e usalo come modello."
    )]
    Header,
    #[error("Il file ha {rows} righe di utenze: al massimo se ne possono importare {max} alla volta. Dividilo in più file.", max = MAX_ROWS)]
    TooManyRows { rows: usize },
    #[error(
        "Il file non è un CSV leggibile (riga {line}): controlla le virgolette e salvalo di nuovo come CSV."
    )]
    Unreadable { line: u64 },
    #[error(
        "Il file non contiene nessuna utenza: sotto l'intestazione aggiungi una riga per persona."
    )]
    NoRows,
}

/// The rows of a file, or why the whole file is refused.
pub fn parse(bytes: &[u8]) -> Result<Vec<CsvRow>, CsvError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(CsvError::TooLarge);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| CsvError::NotUtf8)?;
    let text = text.strip_prefix(BOM).unwrap_or(text);
    if text.trim().is_empty() {
        return Err(CsvError::Empty);
    }
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.contains(';') { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(header)) => header,
        Some(Err(_)) | None => return Err(CsvError::Header),
    };
    let order = column_order(&header)?;
    let mut lines = LineCounter::new(text);
    let mut rows = Vec::new();
    for record in records {
        let record = record.map_err(|e| CsvError::Unreadable {
            line: lines.at(e.position().map_or(0, |p| p.byte())),
        })?;
        let line = lines.at(record.position().map_or(0, |p| p.byte()));
        let row = row_of(&record, &order, line);
        if row.is_blank() {
            continue;
        }
        rows.push(row);
    }
    // Counted to the end (the file is at most 1 MB), so the message says how many it has.
    match rows.len() {
        0 => Err(CsvError::NoRows),
        n if n > MAX_ROWS => Err(CsvError::TooManyRows { rows: n }),
        _ => Ok(rows),
    }
}

/// The line (from 1) of a byte offset of the file, for offsets in increasing order: a
/// record's own count of lines does not see `\r\n` as one line end.
struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter {
            text: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    fn at(&mut self, byte: u64) -> u64 {
        let mut to = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        // A record may be said to start on the line end before it.
        while self
            .text
            .get(to)
            .is_some_and(|b| matches!(b, b'\r' | b'\n'))
        {
            to += 1;
        }
        if to > self.offset {
            let ends = self.text[self.offset..to].iter().filter(|&&b| b == b'\n');
            self.line += ends.count() as u64;
            self.offset = to;
        }
        self.line
    }
}

/// For each of [`COLUMNS`], its position in the header; any other header is refused.
fn column_order(header: &csv::StringRecord) -> Result<[usize; 6], CsvError> {
    let names: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    if names.len() != COLUMNS.len() {
        return Err(CsvError::Header);
    }
    let mut order = [0; 6];
    for (slot, column) in order.iter_mut().zip(COLUMNS) {
        let mut found = names.iter().enumerate().filter(|(_, n)| *n == column);
        match (found.next(), found.next()) {
            (Some((i, _)), None) => *slot = i,
            _ => return Err(CsvError::Header),
        }
    }
    Ok(order)
}

fn row_of(record: &csv::StringRecord, order: &[usize; 6], line: u64) -> CsvRow {
    let cell = |i: usize| -> String {
        record
            .get(order[i])
            .unwrap_or("")
            .chars()
            .take(MAX_CELL_CHARS)
            .collect()
    };
    CsvRow {
        line,
        mobile: cell(0),
        email: cell(1),
        username: cell(2),
        profile: cell(3),
        first_name: cell(4),
        last_name: cell(5),
        wrong_width: (record.len() != COLUMNS.len()).then_some(record.len()),
    }
}

/// The sample file: the header and two example rows (`;`, with the byte-order mark Excel
/// needs to read accents).
pub fn sample() -> String {
    format!(
        "{BOM}{}\r\n\
         347 555 0101;giulia.bianchi@example.it;giulia.bianchi@example.it;Amministratore Light;Giulia;Bianchi\r\n\
         ;marco.neri@example.it;marco.neri;Utilizzatore;Marco;Neri\r\n",
        COLUMNS.join(";")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "mobile;email;username;profile;first_name;last_name";

    #[test]
    fn rows_are_numbered_as_in_the_file_and_blank_lines_are_left_out() {
        let file = format!(
            "{HEADER}\n3331234567;a@example.it;a@example.it;Utilizzatore;Anna;Rossi\n\n;;;;;\n;b@example.it;bbb;utilizzatore;;\n"
        );
        let rows = parse(file.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].first_name, "Anna");
        assert_eq!(rows[1].line, 5);
        assert_eq!(rows[1].username, "bbb");
    }

    #[test]
    fn crlf_line_ends_blank_lines_and_quoted_line_breaks_keep_the_numbering() {
        let file = format!(
            "{HEADER}\r\n\r\n;a@example.it;aaa;Utilizzatore;\"Anna\r\nMaria\";\r\n;b@example.it;bbb;Utilizzatore;;\r\n"
        );
        let rows = parse(file.as_bytes()).unwrap();
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [3, 5]);
    }

    #[test]
    fn commas_a_bom_and_headers_in_any_case_order_and_spacing_are_accepted() {
        let file = "\u{feff} Email ,MOBILE,username,Profile,first_name,last_name\r\na@example.it,,aaa,Utilizzatore,\"Rossi, Anna\",x\r\n";
        let rows = parse(file.as_bytes()).unwrap();
        assert_eq!(rows[0].email, "a@example.it");
        assert_eq!(rows[0].mobile, "");
        assert_eq!(rows[0].first_name, "Rossi, Anna");
        assert_eq!(rows[0].line, 2);
    }

    #[test]
    fn a_wrong_header_refuses_the_whole_file() {
        for header in [
            "mobile;email;username;profile;first_name",
            "mobile;email;user;profile;first_name;last_name",
            "mobile;email;email;profile;first_name;last_name",
            "mobile;email;username;profile;first_name;last_name;note",
            "3331234567;a@example.it;aaa;Utilizzatore;Anna;Rossi",
        ] {
            let file = format!("{header}\n3331234567;a@example.it;aaa;Utilizzatore;Anna;Rossi\n");
            assert_eq!(parse(file.as_bytes()), Err(CsvError::Header), "{header}");
        }
    }

    #[test]
    fn size_encoding_emptiness_and_row_count_are_checked() {
        assert_eq!(parse(b""), Err(CsvError::Empty));
        assert_eq!(parse("\u{feff}\n".as_bytes()), Err(CsvError::Empty));
        assert_eq!(parse(b"mobile;email\xff"), Err(CsvError::NotUtf8));
        assert_eq!(
            parse(&vec![b'a'; MAX_FILE_BYTES + 1]),
            Err(CsvError::TooLarge)
        );
        assert_eq!(
            parse(format!("{HEADER}\n").as_bytes()),
            Err(CsvError::NoRows)
        );
        let mut file = format!("{HEADER}\n");
        for i in 0..501 {
            file.push_str(&format!(";u{i}@example.it;u{i};Utilizzatore;;\n"));
        }
        assert_eq!(
            parse(file.as_bytes()),
            Err(CsvError::TooManyRows { rows: 501 })
        );
        assert!(
            CsvError::TooManyRows { rows: 501 }
                .to_string()
                .contains("500")
        );
    }

    #[test]
    fn a_row_of_the_wrong_width_says_so_and_long_cells_are_cut() {
        let long = "x".repeat(5000);
        let file =
            format!("{HEADER}\n;a@example.it;aaa\n;{long}@example.it;bbb;Utilizzatore;;;extra\n");
        let rows = parse(file.as_bytes()).unwrap();
        assert_eq!(rows[0].wrong_width, Some(3));
        assert_eq!(rows[0].profile, "");
        assert_eq!(rows[1].wrong_width, Some(7));
        assert_eq!(rows[1].email.chars().count(), MAX_CELL_CHARS);
    }

    #[test]
    fn the_row_reaches_the_form_parser_with_the_profile_as_its_value() {
        let file = format!("{HEADER}\n'+393331234567;a@example.it;aaa;amministratore full;;\n");
        let input = parse(file.as_bytes()).unwrap()[0].input();
        assert_eq!(input.profile, "amministratore_full");
        assert_eq!(input.mobile, "+393331234567");
        assert!(input.parse().is_ok());
    }

    #[test]
    fn the_sample_file_reads_back_as_two_valid_rows() {
        let rows = parse(sample().as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|r| r.input().parse().is_ok()));
    }
}
