//! Why an `.npz` archive, one of its `.npy` entries, or the Python literal in an entry's header
//! cannot be read: one enum per layer, each variant carrying the offending values.
//!
//! None of them reports a `source()`: each message already ends with its cause's text, and
//! `anyhow`'s `{:#}` would otherwise print that text twice.

use std::fmt;

use zip::result::ZipError;
use zip::CompressionMethod;

use super::limits::{MAX_DEPTH, MAX_HEADER_LEN};

/// At most this many entry names are listed when an array is missing.
const LISTED_NAMES: usize = 20;

/// Why the archive, or the array being read from it, is unreadable. The message is attached to
/// the file (and array) by [`TrainerError::Npz`](crate::TrainerError::Npz).
#[derive(Debug, thiserror::Error)]
pub enum NpzError {
    /// The path is empty.
    #[error("not an .npz file")]
    EmptyPath,
    /// The path is a directory.
    #[error("is a directory, not an .npz file")]
    Directory,
    /// The path is a FIFO, socket or device.
    #[error("is not a regular file, so not an .npz file")]
    NotRegularFile,
    /// The file is not a zip archive.
    #[error("not a readable .npz archive: {0}")]
    NotZip(ZipError),
    /// No entry `NAME` or `NAME.npy`.
    #[error("missing (the file holds {})", listed_names(.held))]
    Missing {
        /// The arrays the file holds (entry names without `.npy`).
        held: Vec<String>,
    },
    /// The entry's local header cannot be read.
    #[error("unreadable archive entry: {0}")]
    UnreadableEntry(ZipError),
    /// The entry claims more compressed bytes than the file has.
    #[error("the entry declares {compressed} compressed bytes in a {file_len}-byte file")]
    CompressedBeyondFile {
        /// Compressed size the entry declares.
        compressed: u64,
        /// Size of the file.
        file_len: u64,
    },
    /// The entry is neither stored nor deflated.
    #[error("the entry is compressed with {0}; only stored and deflate entries are read")]
    Compression(CompressionMethod),
    /// The declared sizes cannot come from the compression method.
    #[error(
        "the entry declares {declared} bytes uncompressed from {compressed} bytes ({method}), \
         which is impossible"
    )]
    ImpossibleSize {
        /// Uncompressed size the entry declares.
        declared: u64,
        /// Compressed size the entry declares.
        compressed: u64,
        /// The compression method.
        method: CompressionMethod,
    },
    /// The entry is shorter than its own `.npy` header.
    #[error("the entry declares {declared} bytes, fewer than its {header_len}-byte .npy header")]
    ShorterThanHeader {
        /// Uncompressed size the entry declares.
        declared: u64,
        /// Bytes of the `.npy` preamble and header.
        header_len: u64,
    },
    /// The header's shape and dtype need a different number of bytes than the entry holds.
    #[error(
        "header declares shape {shape:?} ({} of {dtype}) but the entry holds {holds} bytes of data",
        needed_bytes(*.needed)
    )]
    DataSize {
        /// The declared shape.
        shape: Vec<u64>,
        /// Bytes it needs, `None` beyond 2^64.
        needed: Option<u64>,
        /// The element type, as numpy names it.
        dtype: &'static str,
        /// Bytes of data the entry declares after its header.
        holds: u64,
    },
    /// Reading or inflating the data failed.
    #[error("reading the data: {0}")]
    ReadData(std::io::Error),
    /// The entry yields more bytes than it declares.
    #[error("the entry holds more than the {declared} bytes it declares (corrupt archive)")]
    LongerThanDeclared {
        /// Uncompressed size the entry declares.
        declared: u64,
    },
    /// The entry's data ends early.
    #[error(
        "the entry's data ends after {read} of the {holds} bytes its header declares \
         (truncated or corrupt archive)"
    )]
    Truncated {
        /// Bytes of data read.
        read: usize,
        /// Bytes of data declared.
        holds: u64,
    },
    /// The `.npy` entry itself is malformed.
    #[error("{0}")]
    Npy(NpyError),
}

/// Why a `.npy` stream (preamble, header dict or data) is unreadable.
#[derive(Debug, thiserror::Error)]
pub enum NpyError {
    /// The stream ends inside a fixed-size part.
    #[error("the entry ends inside {0}")]
    EndsInside(&'static str),
    /// Reading a fixed-size part failed.
    #[error("reading {what}: {error}")]
    Read {
        /// The part being read.
        what: &'static str,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The magic string is wrong.
    #[error(
        "not a .npy file (it starts with {:?}, not \"\\x93NUMPY\")",
        String::from_utf8_lossy(.0)
    )]
    Magic([u8; 6]),
    /// A version other than 1.0, 2.0 and 3.0.
    #[error("unsupported .npy format version {major}.{minor}")]
    Version {
        /// Major version.
        major: u8,
        /// Minor version.
        minor: u8,
    },
    /// The header is longer than is read.
    #[error("the .npy header declares {0} bytes (at most {max} are read)", max = MAX_HEADER_LEN)]
    HeaderTooLong(u32),
    /// A version 3.0 header that is not UTF-8.
    #[error("the .npy header is not UTF-8")]
    HeaderNotUtf8,
    /// The header is not a Python dict literal.
    #[error("the .npy header is malformed: {0}")]
    Malformed(LiteralError),
    /// A key other than `descr`, `fortran_order` and `shape` (as written, shortened).
    #[error("the .npy header has the unexpected key {0}")]
    UnexpectedKey(String),
    /// A key given twice (as written, shortened).
    #[error("the .npy header has the key {0} twice")]
    DuplicateKey(String),
    /// A required key is absent.
    #[error("the .npy header has no '{0}'")]
    MissingKey(&'static str),
    /// `fortran_order` is not a boolean (its text, shortened).
    #[error("'fortran_order' is {0}, not True or False")]
    FortranOrder(String),
    /// A dtype other than float64 and float32 (its text, shortened).
    #[error("dtype is {0}; only float64 and float32 are read")]
    Dtype(String),
    /// `shape` is not a tuple (its text, shortened).
    #[error("'shape' is {0}, not a tuple of integers")]
    ShapeNotTuple(String),
    /// A dimension of `shape` is negative.
    #[error("'shape' {shape} has the negative dimension {dimension}")]
    NegativeDimension {
        /// The shape's text, shortened.
        shape: String,
        /// The dimension's text, shortened.
        dimension: String,
    },
    /// A dimension of `shape` does not fit in 64 bits.
    #[error("'shape' {shape} has the dimension {dimension}, too large for 64 bits")]
    DimensionOverflow {
        /// The shape's text, shortened.
        shape: String,
        /// The dimension's text, shortened.
        dimension: String,
    },
    /// An item of `shape` is not an integer.
    #[error("'shape' {shape} has {item}, not an integer")]
    NotAnInteger {
        /// The shape's text, shortened.
        shape: String,
        /// The item's text, shortened.
        item: String,
    },
    /// A dimension does not fit in a `usize` here.
    #[error("dimension {0} is too large here")]
    DimensionTooLarge(u64),
    /// Fortran-order data could not be reordered.
    #[error("reordering Fortran-order data: {0}")]
    Reorder(ndarray::ShapeError),
}

/// Why the text of a `.npy` header is not one Python dict literal.
#[derive(Debug, thiserror::Error)]
pub enum LiteralError {
    /// Something follows the dict.
    #[error("unexpected {0} after the header dict")]
    Trailing(FoundInHeader),
    /// The header is a literal other than a dict (its text, shortened).
    #[error("the header is {0}, not a dict")]
    NotADict(String),
    /// No value starts here.
    #[error("expected a value, found {0}")]
    ExpectedValue(FoundInHeader),
    /// A backslash or line break inside a string, at this offset.
    #[error("unsupported escape or line break in a string at offset {0}")]
    Escape(usize),
    /// A string with no closing quote, starting at this offset.
    #[error("unterminated string starting at offset {0}")]
    UnterminatedString(usize),
    /// A sign with no digits after it, at this offset.
    #[error("expected digits at offset {0}")]
    ExpectedDigits(usize),
    /// A bare name other than `True`, `False` and `None`.
    #[error("unexpected name {name:?} at offset {offset} (only literals are allowed)")]
    Name {
        /// The name, shortened.
        name: String,
        /// Where it starts.
        offset: usize,
    },
    /// Brackets nested deeper than allowed, at this offset.
    #[error("brackets nested deeper than {max} at offset {0}", max = MAX_DEPTH)]
    TooDeep(usize),
    /// Neither a comma nor the closing bracket after an item.
    #[error("expected ',' or '{close}', found {found}")]
    ExpectedSeparator {
        /// The closing bracket expected.
        close: char,
        /// What is there instead.
        found: FoundInHeader,
    },
    /// No colon after a dict key.
    #[error("expected ':', found {0}")]
    ExpectedColon(FoundInHeader),
}

/// What the literal parser found where it expected something else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FoundInHeader {
    /// A character, at a byte offset.
    Char {
        /// The character.
        character: char,
        /// Its byte offset in the header.
        offset: usize,
    },
    /// The end of the header.
    End,
}

impl fmt::Display for FoundInHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FoundInHeader::Char { character, offset } => {
                write!(f, "{character:?} at offset {offset}")
            }
            FoundInHeader::End => f.write_str("end of header"),
        }
    }
}

/// The arrays named when one is missing: the first [`LISTED_NAMES`], then how many more.
fn listed_names(names: &[String]) -> String {
    if names.len() <= LISTED_NAMES {
        return format!("{names:?}");
    }
    format!(
        "{:?} and {} more",
        &names[..LISTED_NAMES],
        names.len() - LISTED_NAMES
    )
}

/// "N bytes", or "more than 2^64 bytes" when the size overflows.
fn needed_bytes(needed: Option<u64>) -> String {
    needed.map_or_else(
        || "more than 2^64 bytes".to_string(),
        |bytes| format!("{bytes} bytes"),
    )
}
