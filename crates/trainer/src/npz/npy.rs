//! The `.npy` format: the preamble (magic `\x93NUMPY`, version 1.0, 2.0 or 3.0, header length),
//! the header dict (`descr`, `fortran_order`, `shape`), and float64/float32 data decoded to f64
//! in row-major order.
//!
//! Nothing here allocates from what the header declares: the caller compares
//! [`NpyHeader::data_bytes`] with the bytes the entry really holds before reading the data.

use std::io::Read;

use ndarray::{ArrayD, IxDyn, ShapeBuilder};

use super::error::NpyError;
use super::limits::MAX_HEADER_LEN;
use super::literal::{parse_dict, shorten, Literal, Spanned};

/// The `.npy` magic string.
const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Byte order of the stored elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Endian {
    Little,
    Big,
}

/// The element types read: float64 and float32.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Float {
    F64,
    F32,
}

/// What a `.npy` header declares.
#[derive(Debug)]
pub(super) struct NpyHeader {
    float: Float,
    endian: Endian,
    fortran_order: bool,
    /// The shape as declared (each dimension fits in a u64).
    pub shape: Vec<u64>,
    /// Bytes of the preamble and header together (where the data starts).
    pub preamble_len: u64,
}

impl NpyHeader {
    /// Bytes of data the shape and dtype need, or `None` when that overflows a u64.
    pub fn data_bytes(&self) -> Option<u64> {
        if self.shape.contains(&0) {
            return Some(0);
        }
        let itemsize = match self.float {
            Float::F64 => 8,
            Float::F32 => 4,
        };
        self.shape
            .iter()
            .try_fold(itemsize, |bytes: u64, &dim| bytes.checked_mul(dim))
    }

    /// The shape in `usize` (after [`Self::data_bytes`] has been checked against real data,
    /// every dimension fits).
    pub fn shape_usize(&self) -> Result<Vec<usize>, NpyError> {
        self.shape
            .iter()
            .map(|&dim| usize::try_from(dim).map_err(|_| NpyError::DimensionTooLarge(dim)))
            .collect()
    }

    /// The element type's name, as numpy calls it.
    pub fn dtype_name(&self) -> &'static str {
        match self.float {
            Float::F64 => "float64",
            Float::F32 => "float32",
        }
    }

    /// Decodes `data` (exactly [`Self::data_bytes`] long) into f64 values in row-major order.
    pub fn decode(&self, data: &[u8]) -> Result<Vec<f64>, NpyError> {
        let values: Vec<f64> = match (self.float, self.endian) {
            (Float::F64, Endian::Little) => decode_with(data, f64::from_le_bytes),
            (Float::F64, Endian::Big) => decode_with(data, f64::from_be_bytes),
            (Float::F32, Endian::Little) => {
                decode_with(data, |b: [u8; 4]| f64::from(f32::from_le_bytes(b)))
            }
            (Float::F32, Endian::Big) => {
                decode_with(data, |b: [u8; 4]| f64::from(f32::from_be_bytes(b)))
            }
        };
        if !self.fortran_order || self.shape.len() < 2 {
            return Ok(values);
        }
        let shape = self.shape_usize()?;
        let column_major =
            ArrayD::from_shape_vec(IxDyn(&shape).f(), values).map_err(NpyError::Reorder)?;
        Ok(column_major.iter().copied().collect())
    }
}

fn decode_with<const N: usize>(data: &[u8], from_bytes: impl Fn([u8; N]) -> f64) -> Vec<f64> {
    data.chunks_exact(N)
        .map(|chunk| {
            let mut bytes = [0u8; N];
            bytes.copy_from_slice(chunk);
            from_bytes(bytes)
        })
        .collect()
}

/// Reads and checks the preamble and header of a `.npy` stream, leaving `reader` at the data.
pub(super) fn read_header<R: Read>(reader: &mut R) -> Result<NpyHeader, NpyError> {
    let mut fixed = [0u8; 8];
    read_exact(reader, &mut fixed, "the .npy magic and version")?;
    let [magic @ .., major, minor] = fixed;
    if &magic != MAGIC {
        return Err(NpyError::Magic(magic));
    }
    let header_len = match (major, minor) {
        (1, 0) => {
            let mut len = [0u8; 2];
            read_exact(reader, &mut len, "the .npy header length")?;
            usize::from(u16::from_le_bytes(len))
        }
        (2, 0) | (3, 0) => {
            let mut len = [0u8; 4];
            read_exact(reader, &mut len, "the .npy header length")?;
            let len = u32::from_le_bytes(len);
            usize::try_from(len)
                .ok()
                .filter(|&len| len <= MAX_HEADER_LEN)
                .ok_or(NpyError::HeaderTooLong(len))?
        }
        _ => return Err(NpyError::Version { major, minor }),
    };
    let mut header = vec![0u8; header_len];
    read_exact(reader, &mut header, "the .npy header")?;
    let text = if major == 3 {
        String::from_utf8(header).map_err(|_| NpyError::HeaderNotUtf8)?
    } else {
        header.iter().map(|&b| char::from(b)).collect()
    };
    let length_field = if major == 1 { 2 } else { 4 };
    let preamble_len = (MAGIC.len() + 2 + length_field + header_len) as u64;
    parse_header(&text, preamble_len)
}

fn read_exact<R: Read>(reader: &mut R, buf: &mut [u8], what: &'static str) -> Result<(), NpyError> {
    reader.read_exact(buf).map_err(|error| {
        if error.kind() == std::io::ErrorKind::UnexpectedEof {
            NpyError::EndsInside(what)
        } else {
            NpyError::Read { what, error }
        }
    })
}

fn parse_header(text: &str, preamble_len: u64) -> Result<NpyHeader, NpyError> {
    let pairs = parse_dict(text).map_err(NpyError::Malformed)?;
    let mut descr = None;
    let mut fortran_order = None;
    let mut shape = None;
    for (key, value) in &pairs {
        let slot = match key.value {
            Literal::Str("descr") => &mut descr,
            Literal::Str("fortran_order") => &mut fortran_order,
            Literal::Str("shape") => &mut shape,
            _ => return Err(NpyError::UnexpectedKey(shorten(key.text))),
        };
        if slot.replace(value).is_some() {
            return Err(NpyError::DuplicateKey(shorten(key.text)));
        }
    }
    let (float, endian) = parse_descr(descr.ok_or(NpyError::MissingKey("descr"))?)?;
    let fortran = fortran_order.ok_or(NpyError::MissingKey("fortran_order"))?;
    let Literal::Bool(fortran_order) = fortran.value else {
        return Err(NpyError::FortranOrder(shorten(fortran.text)));
    };
    let shape = parse_shape(shape.ok_or(NpyError::MissingKey("shape"))?)?;
    Ok(NpyHeader {
        float,
        endian,
        fortran_order,
        shape,
        preamble_len,
    })
}

fn parse_descr(descr: &Spanned<'_>) -> Result<(Float, Endian), NpyError> {
    let refused = || NpyError::Dtype(shorten(descr.text));
    let Literal::Str(text) = descr.value else {
        return Err(refused());
    };
    let (endian, code) = match text.as_bytes().first() {
        Some(b'<' | b'|') => (Endian::Little, &text[1..]),
        Some(b'>') => (Endian::Big, &text[1..]),
        _ => return Err(refused()),
    };
    match code {
        "f8" => Ok((Float::F64, endian)),
        "f4" => Ok((Float::F32, endian)),
        _ => Err(refused()),
    }
}

fn parse_shape(shape: &Spanned<'_>) -> Result<Vec<u64>, NpyError> {
    let Literal::Tuple(items) = &shape.value else {
        return Err(NpyError::ShapeNotTuple(shorten(shape.text)));
    };
    items
        .iter()
        .map(|item| match item.value {
            Literal::Int(digits) if digits.starts_with('-') => Err(NpyError::NegativeDimension {
                shape: shorten(shape.text),
                dimension: shorten(digits),
            }),
            Literal::Int(digits) => digits.trim_start_matches('+').parse::<u64>().map_err(|_| {
                NpyError::DimensionOverflow {
                    shape: shorten(shape.text),
                    dimension: shorten(digits),
                }
            }),
            _ => Err(NpyError::NotAnInteger {
                shape: shorten(shape.text),
                item: shorten(item.text),
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(dict: &str) -> Result<NpyHeader, NpyError> {
        parse_header(dict, 128)
    }

    #[test]
    fn shapes_and_dtypes_of_numpy_headers_are_understood() {
        let h = header("{'descr': '>f4', 'fortran_order': True, 'shape': (2, 3), }").unwrap();
        assert_eq!(
            (h.float, h.endian, h.fortran_order),
            (Float::F32, Endian::Big, true)
        );
        assert_eq!(h.shape, [2, 3]);
        assert_eq!(h.data_bytes(), Some(24));
        let scalar = header("{'descr': '<f8', 'fortran_order': False, 'shape': ()}").unwrap();
        assert_eq!(scalar.data_bytes(), Some(8));
    }

    #[test]
    fn overflowing_shapes_have_no_byte_count_unless_empty() {
        let big =
            header("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296)}")
                .unwrap();
        assert_eq!(big.data_bytes(), None);
        let empty = header(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 0)}",
        )
        .unwrap();
        assert_eq!(empty.data_bytes(), Some(0));
    }

    #[test]
    fn bad_headers_are_refused_with_the_reason() {
        let cases = [
            (
                "{'descr': '<i8', 'fortran_order': False, 'shape': (1,)}",
                "'<i8'",
            ),
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': (-1,)}",
                "negative",
            ),
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': (18446744073709551616,)}",
                "too large",
            ),
            (
                "{'descr': '<f8', 'fortran_order': 0, 'shape': (1,)}",
                "fortran_order",
            ),
            ("{'descr': '<f8', 'shape': (1,)}", "no 'fortran_order'"),
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': [1]}",
                "not a tuple",
            ),
            (
                "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1,)}",
                "twice",
            ),
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': 1}",
                "'x'",
            ),
        ];
        for (dict, expected) in cases {
            let message = header(dict).unwrap_err().to_string();
            assert!(message.contains(expected), "{dict}: {message}");
        }
    }

    #[test]
    fn fortran_order_data_is_returned_row_major() {
        let h = header("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3)}").unwrap();
        // Column-major storage of [[0, 1, 2], [3, 4, 5]].
        let data: Vec<u8> = [0.0f64, 3.0, 1.0, 4.0, 2.0, 5.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        assert_eq!(h.decode(&data).unwrap(), [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    }
}
