//! The property tests of the `.npz` reader: round trips, numpy-made archives, and hostile
//! files (random bytes, truncations, edited headers, lying sizes), 6,000 cases in all.

use proptest::prelude::*;

use super::*;

fn dtype_strategy() -> impl Strategy<Value = Dtype> {
    (any::<bool>(), any::<bool>()).prop_map(|(f32, big_endian)| Dtype { f32, big_endian })
}

fn shape_strategy() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0usize..5, 0..4)
}

/// A random archive of 1–3 arrays named `w1`, `b1`, `a`.
fn arrays_strategy() -> impl Strategy<Value = Vec<NamedArray>> {
    prop::collection::vec(shape_strategy(), 1..4).prop_flat_map(|shapes| {
        shapes
            .into_iter()
            .zip(["w1", "b1", "a"])
            .map(|(shape, name)| {
                let count = shape.iter().product::<usize>();
                prop::collection::vec(any::<u64>().prop_map(f64::from_bits), count).prop_map(
                    move |values| NamedArray {
                        name: name.to_string(),
                        shape: shape.clone(),
                        values,
                    },
                )
            })
            .collect::<Vec<_>>()
    })
}

/// One hostile edit of the header of a valid `w1` entry.
#[derive(Clone, Debug)]
enum HeaderEdit {
    /// The shape tuple replaced by this text.
    Shape(String),
    /// The descr replaced.
    Descr(String),
    /// The header-length field replaced.
    HeaderLength(u32),
    /// The whole dict replaced by garbage.
    Dict(String),
    /// The version bytes replaced.
    Version(u8, u8),
}

fn header_edit_strategy() -> impl Strategy<Value = HeaderEdit> {
    let dimension = prop_oneof![
        Just("4294967296".to_string()),
        Just("4611686018427387904".to_string()),
        Just("18446744073709551616".to_string()),
        Just("18446744073709551615".to_string()),
        Just("-1".to_string()),
        Just("-4294967296".to_string()),
        any::<u64>().prop_map(|d| d.to_string()),
        (0u64..10).prop_map(|d| d.to_string()),
    ];
    let shape = prop_oneof![
        prop::collection::vec(dimension, 0..6).prop_map(|dims| format!("({},)", dims.join(", "))),
        (1usize..5000).prop_map(|n| format!("({})", vec!["1"; n].join(", "))),
        (1usize..200).prop_map(|n| format!("({})", vec!["65536"; n].join(", "))),
        "[^']{0,20}".prop_map(|s| s),
    ];
    prop_oneof![
        shape.prop_map(HeaderEdit::Shape),
        prop_oneof![
            Just("<i8".to_string()),
            Just("<f2".to_string()),
            Just("<c16".to_string()),
            Just("O".to_string()),
            Just("f8".to_string()),
            "[<>|=]?[a-zA-Z][0-9]{0,3}",
        ]
        .prop_map(HeaderEdit::Descr),
        any::<u32>().prop_map(HeaderEdit::HeaderLength),
        "\\PC{0,80}".prop_map(HeaderEdit::Dict),
        (any::<u8>(), any::<u8>()).prop_map(|(a, b)| HeaderEdit::Version(a, b)),
    ]
}

/// The `w1` [2, 3] float64 payload with `edit` applied.
fn edited_payload(edit: &HeaderEdit) -> Vec<u8> {
    let data = Dtype {
        f32: false,
        big_endian: false,
    }
    .encode(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let mut payload = match edit {
        HeaderEdit::Shape(shape) => npy_bytes(1, &header_dict("<f8", false, shape), &data),
        HeaderEdit::Descr(descr) => npy_bytes(1, &header_dict(descr, false, "(2, 3)"), &data),
        HeaderEdit::Dict(dict) => npy_bytes(3, dict, &data),
        _ => npy_bytes(2, &header_dict("<f8", false, "(2, 3)"), &data),
    };
    match *edit {
        HeaderEdit::HeaderLength(length) => payload[8..12].copy_from_slice(&length.to_le_bytes()),
        HeaderEdit::Version(major, minor) => payload[6..8].copy_from_slice(&[major, minor]),
        _ => {}
    }
    payload
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn written_arrays_read_back_bit_for_bit(arrays in arrays_strategy()) {
        let dir = scratch();
        let path = dir.path().join("round.npz");
        write_npz_arrays(std::fs::File::create(&path).unwrap(), &arrays).unwrap();
        let names: Vec<&str> = arrays.iter().map(|a| a.name.as_str()).collect();
        let read = read_npz_arrays(&path, &names).unwrap();
        for (written, read) in arrays.iter().zip(&read) {
            prop_assert_eq!(&written.name, &read.name);
            prop_assert_eq!(&written.shape, &read.shape);
            let bits = |a: &NamedArray| a.values.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            prop_assert_eq!(bits(written), bits(read));
        }
    }

    #[test]
    fn numpy_made_archives_read_equal(
        shape in shape_strategy(),
        dtype in dtype_strategy(),
        fortran in any::<bool>(),
        deflate in any::<bool>(),
        major in 1u8..4,
        seed in any::<u64>(),
    ) {
        let count = shape.iter().product::<usize>();
        // Values exact in float32 so both dtypes must read them back unchanged.
        let values: Vec<f64> = (0..count)
            .map(|i| f64::from(((seed >> (i % 48)) as i32 as f32) / 16.0))
            .collect();
        let stored = if fortran { to_fortran_order(&values, &shape) } else { values.clone() };
        let shape64: Vec<u64> = shape.iter().map(|&d| d as u64).collect();
        let dict = header_dict(&dtype.descr(), fortran, &shape_repr(&shape64));
        let payload = npy_bytes(major, &dict, &dtype.encode(&stored));
        let bytes = zip_bytes(&[("x.npy", &payload)], deflate);
        let dir = scratch();
        let read = read_checked(dir.path(), &bytes, &["x"], None).unwrap();
        prop_assert_eq!(&read[0].shape, &shape);
        prop_assert_eq!(&read[0].values, &values);
    }

    #[test]
    fn random_bytes_are_an_error_naming_the_file(
        zip_like in any::<bool>(),
        bytes in prop::collection::vec(any::<u8>(), 0..600),
    ) {
        let bytes = if zip_like { [b"PK\x03\x04".as_slice(), &bytes].concat() } else { bytes };
        let dir = scratch();
        prop_assert!(read_checked(dir.path(), &bytes, &["w1"], None).is_err());
    }

    #[test]
    fn truncated_archives_are_an_error_naming_the_file(
        cut in 0.0f64..1.0,
        arrays in arrays_strategy(),
    ) {
        let mut bytes = Vec::new();
        write_npz_arrays(&mut bytes, &arrays).unwrap();
        let end = (cut * bytes.len() as f64) as usize;
        let names: Vec<&str> = arrays.iter().map(|a| a.name.as_str()).collect();
        let dir = scratch();
        prop_assert!(read_checked(dir.path(), &bytes[..end], &names, None).is_err());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn edited_headers_are_an_error_naming_the_array(
        edit in header_edit_strategy(),
        deflate in any::<bool>(),
    ) {
        let payload = edited_payload(&edit);
        let bytes = zip_bytes(&[("w1.npy", &payload)], deflate);
        let dir = scratch();
        // Only an edit that leaves a valid header of six float64 values may succeed, and then
        // the values are the payload's bytes in the byte order the header declares (an edit to
        // `>f8` reads the little-endian payload as big-endian).
        if let Ok(arrays) = read_checked(dir.path(), &bytes, &["w1"], Some("w1")) {
            prop_assert_eq!(arrays[0].shape.iter().product::<usize>(), 6);
            let big_endian = matches!(&edit, HeaderEdit::Descr(descr) if descr.starts_with('>'));
            let expected: Vec<f64> = [1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0]
                .iter()
                .map(|&v| if big_endian { f64::from_bits(v.to_bits().swap_bytes()) } else { v })
                .collect();
            prop_assert_eq!(
                arrays[0].values.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                expected.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn lying_entry_sizes_are_an_error_naming_the_file(
        deflate in any::<bool>(),
        compressed in any::<u32>(),
        uncompressed in any::<u32>(),
        patch_local in any::<bool>(),
    ) {
        let mut bytes = reference_archive();
        if deflate {
            let w1 = npy_bytes(1, &header_dict("<f8", false, "(0,)"), &[]);
            bytes = zip_bytes(&[("w1.npy", &w1), ("b1.npy", &w1)], true);
        }
        let central = central_headers(&bytes)[0];
        bytes[central + 20..central + 24].copy_from_slice(&compressed.to_le_bytes());
        bytes[central + 24..central + 28].copy_from_slice(&uncompressed.to_le_bytes());
        if patch_local {
            bytes[18..22].copy_from_slice(&compressed.to_le_bytes());
            bytes[22..26].copy_from_slice(&uncompressed.to_le_bytes());
        }
        let dir = scratch();
        if let Err(message) = read_checked(dir.path(), &bytes, &["w1", "b1"], None) {
            prop_assert!(
                message.contains("`w1`") || message.contains("not a readable .npz archive"),
                "{}", message
            );
        }
    }
}

/// The case the header-edit property found: `descr` edited to `>f8` is a valid header, and the
/// little-endian payload is then read as big-endian, value by value.
#[test]
fn a_header_edited_to_big_endian_reads_the_bytes_big_endian() {
    let payload = edited_payload(&HeaderEdit::Descr(">f8".to_string()));
    let bytes = zip_bytes(&[("w1.npy", &payload)], false);
    let dir = scratch();
    let arrays = read_checked(dir.path(), &bytes, &["w1"], Some("w1")).unwrap();
    let swapped: Vec<u64> = [1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0]
        .iter()
        .map(|v| v.to_bits().swap_bytes())
        .collect();
    let read: Vec<u64> = arrays[0].values.iter().map(|v| v.to_bits()).collect();
    assert_eq!(read, swapped);
}
