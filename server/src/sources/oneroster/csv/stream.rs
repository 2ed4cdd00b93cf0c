//! A CSV file read one row at a time, within limits (security S5.1), with text that is not
//! UTF-8 read with replacement characters rather than refused (R3.4).
//!
//! The `csv` crate's reader holds a whole record before it hands it over, so a single cell
//! of a gigabyte would be a gigabyte of memory before anything could refuse it. This reader
//! drives the `csv-core` parser itself, one field at a time through a small buffer, and
//! counts as it goes: a cell is refused as soon as it passes its limit, having held at most
//! the limit and one buffer of it. What it keeps of a row is bounded by the limits on cells
//! and cells per row; what it refuses costs no memory.

use super::CsvLimits;
use crate::sources::SourceError;
use csv_core::ReadFieldResult;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read};

/// How much of a field the parser copies out per call, and how much input is buffered.
const CHUNK: usize = 8 * 1024;
const INPUT_BUFFER: usize = 64 * 1024;

/// One CSV file's rows: the header first, then each data row.
pub(super) struct RowReader<'a> {
    /// The file's name in messages, e.g. `users.csv`.
    file: &'static str,
    input: BufReader<Box<dyn Read + 'a>>,
    parser: csv_core::Reader,
    /// Where the parser copies a field out, made once: zeroing it for every row cost
    /// more than parsing the row.
    chunk: Box<[u8]>,
    limits: CsvLimits,
    /// The cell being read, unescaped, as bytes.
    cell: Vec<u8>,
    /// The current row's cells as text, one after the other; cell `i` ends at `ends[i]`.
    text: String,
    ends: Vec<usize>,
    /// Indexes of the current row's cells that held bytes that are not UTF-8.
    replaced: Vec<usize>,
    /// `\n` bytes of blank lines skipped here between rows, which the parser did not see.
    skipped_newlines: u64,
    /// Rows read so far, the header included.
    rows: u64,
    /// Bytes the parser has taken, and how many of them were the header's: what
    /// [`RowReader::rows_left`] estimates from.
    consumed: u64,
    header_bytes: u64,
    /// The line the current row starts on; the header is line 1.
    line: u64,
    done: bool,
}

impl<'a> RowReader<'a> {
    pub fn new(file: &'static str, input: Box<dyn Read + 'a>, limits: &CsvLimits) -> Self {
        RowReader {
            file,
            input: BufReader::with_capacity(INPUT_BUFFER, input),
            parser: csv_core::Reader::new(),
            chunk: vec![0; CHUNK].into_boxed_slice(),
            limits: *limits,
            cell: Vec::new(),
            text: String::new(),
            ends: Vec::new(),
            replaced: Vec::new(),
            skipped_newlines: 0,
            rows: 0,
            consumed: 0,
            header_bytes: 0,
            line: 0,
            done: false,
        }
    }

    /// The physical line the current row starts on; the header is line 1. The parser
    /// counts `\n` only, so files that end lines with a bare `\r` (seen in real exports)
    /// would drift; the row count is a floor for the line.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// How many cells the current row has.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Cell `index` of the current row, as text; `None` past the row's end.
    pub fn cell(&self, index: usize) -> Option<&str> {
        let end = *self.ends.get(index)?;
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        Some(&self.text[start..end])
    }

    /// The current row's cells, in order.
    pub fn cells(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).filter_map(|index| self.cell(index))
    }

    /// Indexes of the current row's cells whose bytes were not all UTF-8: they were read
    /// with each bad sequence replaced by U+FFFD.
    pub fn replaced(&self) -> &[usize] {
        &self.replaced
    }

    /// About how many rows follow the current one in a file of `size` bytes (0: unknown),
    /// by the mean length of the data rows read so far, with an eighth more for rows
    /// shorter than those; never more than the row limit leaves. 0 before the first data
    /// row, or when the size is unknown.
    pub fn rows_left(&self, size: u64) -> usize {
        let data_rows = self.rows.saturating_sub(1);
        let data_bytes = self.consumed - self.header_bytes;
        if data_rows == 0 || data_bytes == 0 || size <= self.consumed {
            return 0;
        }
        let mean = data_bytes.div_ceil(data_rows);
        let left = (size - self.consumed) / mean;
        let left = left + left / 8;
        let allowed = self.limits.max_rows.saturating_sub(data_rows);
        usize::try_from(left.min(allowed)).unwrap_or(usize::MAX)
    }

    /// Moves to the next row; `false` at the end of the file. Blank lines are no rows.
    pub fn next_row(&mut self) -> Result<bool, SourceError> {
        self.text.clear();
        self.ends.clear();
        self.replaced.clear();
        self.cell.clear();
        if self.done {
            return Ok(false);
        }
        self.line = self.next_line();
        self.skip_blank_lines()?;
        self.line = self.next_line();
        loop {
            let input = match self.input.fill_buf() {
                Ok(input) => input,
                Err(err) => return Err(read_error(self.file, self.line, err)),
            };
            let (result, read, written) = self.parser.read_field(input, &mut self.chunk);
            self.input.consume(read);
            self.consumed += read as u64;
            if self.cell.len() + written > self.limits.max_cell_bytes {
                return Err(self.over_limit(format!(
                    "a cell is longer than {} bytes, the limit",
                    self.limits.max_cell_bytes
                )));
            }
            self.cell.extend_from_slice(&self.chunk[..written]);
            match result {
                ReadFieldResult::InputEmpty | ReadFieldResult::OutputFull => {}
                ReadFieldResult::Field { record_end } => {
                    self.end_cell()?;
                    if record_end {
                        return self.end_row();
                    }
                }
                ReadFieldResult::End => {
                    self.done = true;
                    return Ok(false);
                }
            }
        }
    }

    /// The line the next row starts on, once blank lines are skipped.
    fn next_line(&self) -> u64 {
        (self.parser.line() + self.skipped_newlines).max(self.rows + 1)
    }

    /// Steps over the line ends before a row, counting them, so the row's line is where
    /// its first cell is.
    fn skip_blank_lines(&mut self) -> Result<(), SourceError> {
        loop {
            let input = match self.input.fill_buf() {
                Ok(input) => input,
                Err(err) => return Err(read_error(self.file, self.line, err)),
            };
            match input.first() {
                Some(b'\n') => self.skipped_newlines += 1,
                Some(b'\r') => {}
                _ => return Ok(()),
            }
            self.input.consume(1);
        }
    }

    /// Adds the cell just read to the row, as text.
    fn end_cell(&mut self) -> Result<(), SourceError> {
        if self.ends.len() >= self.limits.max_cells_per_row {
            return Err(self.over_limit(format!(
                "a row has more than {} cells, the limit",
                self.limits.max_cells_per_row
            )));
        }
        match std::str::from_utf8(&self.cell) {
            Ok(text) => self.text.push_str(text),
            Err(_) => {
                self.replaced.push(self.ends.len());
                self.text.push_str(&String::from_utf8_lossy(&self.cell));
            }
        }
        self.ends.push(self.text.len());
        self.cell.clear();
        Ok(())
    }

    fn end_row(&mut self) -> Result<bool, SourceError> {
        self.rows += 1;
        if self.rows == 1 {
            self.header_bytes = self.consumed;
        }
        // The header is no data row.
        if self.rows - 1 > self.limits.max_rows {
            return Err(self.over_limit(format!(
                "the file has more than {} rows, the limit",
                self.limits.max_rows
            )));
        }
        Ok(true)
    }

    fn over_limit(&self, what: String) -> SourceError {
        SourceError::Invalid(format!("{} line {}: {what}", self.file, self.line))
    }
}

/// A failed read. Past the size limit of a zip entry ([`Inflated`]) the source is refused,
/// naming the file, the line and the limit; any other failure is the source's I/O error.
fn read_error(file: &str, line: u64, err: io::Error) -> SourceError {
    if let Some(over) = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<EntryTooLarge>())
    {
        return SourceError::Invalid(format!("{file} line {line}: {over}"));
    }
    SourceError::Io(format!("{file} line {line}: {err}"))
}

/// A zip entry as it inflates, counted: past `limit` bytes, reading fails with
/// [`EntryTooLarge`]. The size the archive declares is not trusted for this; only the bytes
/// that come out count.
pub(super) struct Inflated<R> {
    inner: R,
    entry: String,
    read: u64,
    limit: u64,
}

impl<R> Inflated<R> {
    pub fn new(inner: R, entry: &str, limit: u64) -> Self {
        Inflated {
            inner,
            entry: entry.to_owned(),
            read: 0,
            limit,
        }
    }
}

impl<R: Read> Read for Inflated<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.read > self.limit {
            return Err(self.too_large());
        }
        // At most one byte past the limit: enough to know it was passed.
        let room = (self.limit - self.read).saturating_add(1);
        let want = usize::try_from(room).map_or(buf.len(), |room| room.min(buf.len()));
        let read = self.inner.read(&mut buf[..want])?;
        self.read += read as u64;
        if self.read > self.limit {
            return Err(self.too_large());
        }
        Ok(read)
    }
}

impl<R> Inflated<R> {
    fn too_large(&self) -> io::Error {
        io::Error::other(EntryTooLarge {
            entry: self.entry.clone(),
            limit: self.limit,
        })
    }
}

/// A zip entry inflated past the limit.
#[derive(Debug)]
pub(super) struct EntryTooLarge {
    entry: String,
    limit: u64,
}

impl fmt::Display for EntryTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the zip entry `{}` inflates to more than {} bytes, the limit",
            self.entry, self.limit
        )
    }
}

impl std::error::Error for EntryTooLarge {}
