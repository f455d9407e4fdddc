//! `.npz` reading and writing: numpy-made files (stored and deflate, f4/f8, both byte orders,
//! C and Fortran order) read back exactly; hostile files (random bytes, truncations, edited
//! headers, lying sizes) are errors naming the file and the array, never a panic or an abort;
//! and a full disk while writing is one `io::Error`.

#[path = "npz_reader/fixtures.rs"]
mod fixtures;
#[path = "npz_reader/properties.rs"]
mod properties;

use std::io::Cursor;
use std::path::Path;

use fixtures::*;
use ndarray::{ArrayD, IxDyn};
use overparam_model::NamedArray;
use overparam_trainer::{read_npz_arrays, write_npy_array, write_npz_arrays, TrainerError};

/// A valid stored archive of `w1` [2, 3] and `b1` [2], as numpy writes it.
fn reference_archive() -> Vec<u8> {
    let dtype = Dtype {
        f32: false,
        big_endian: false,
    };
    let w1 = npy_bytes(
        1,
        &header_dict("<f8", false, "(2, 3)"),
        &dtype.encode(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
    );
    let b1 = npy_bytes(
        1,
        &header_dict("<f8", false, "(2,)"),
        &dtype.encode(&[-1.0, 0.5]),
    );
    zip_bytes(&[("w1.npy", &w1), ("b1.npy", &b1)], false)
}

fn message_of(path: &Path, names: &[&str]) -> String {
    read_npz_arrays(path, names).unwrap_err().to_string()
}

#[test]
fn huge_declared_shape_is_refused_before_allocating() {
    let dir = scratch();
    let payload = npy_bytes(
        1,
        &header_dict("<f8", false, "(4294967296, 16)"),
        &[0u8; 1024],
    );
    for deflate in [false, true] {
        let bytes = zip_bytes(&[("w1.npy", &payload)], deflate);
        let message = read_checked(dir.path(), &bytes, &["w1"], Some("w1")).unwrap_err();
        assert!(
            message.contains("header declares shape [4294967296, 16] (549755813888 bytes of float64) but the entry holds 1024 bytes of data"),
            "{message}"
        );
    }
    let overflowing = npy_bytes(
        1,
        &header_dict("<f4", false, "(18446744073709551615, 2)"),
        &[0u8; 8],
    );
    let bytes = zip_bytes(&[("w1.npy", &overflowing)], false);
    let message = read_checked(dir.path(), &bytes, &["w1"], Some("w1")).unwrap_err();
    assert!(
        message.contains("more than 2^64 bytes of float32"),
        "{message}"
    );
}

#[test]
fn savez_compressed_archives_are_read() {
    let dir = scratch();
    let values: Vec<f64> = (0..600).map(|i| f64::from(i % 7) * 0.25).collect();
    let dtype = Dtype {
        f32: false,
        big_endian: false,
    };
    let payload = npy_bytes(
        1,
        &header_dict("<f8", false, "(20, 30)"),
        &dtype.encode(&values),
    );
    let bytes = zip_bytes(&[("x.npy", &payload)], true);
    assert!(bytes.len() < payload.len(), "the entry was not compressed");
    let arrays = read_checked(dir.path(), &bytes, &["x"], None).unwrap();
    assert_eq!(arrays[0].shape, [20, 30]);
    assert_eq!(arrays[0].values, values);
}

#[test]
fn directory_path_is_named_as_a_directory() {
    for dir in ["/", ".."] {
        let message = message_of(Path::new(dir), &["x"]);
        assert_eq!(message, format!("{dir}: is a directory, not an .npz file"));
    }
    let message = message_of(Path::new(""), &["x"]);
    assert!(message.starts_with("empty path"), "{message}");
}

#[cfg(unix)]
#[test]
fn fifo_is_refused_without_blocking() {
    let dir = scratch();
    let path = dir.path().join("pipe.npz");
    let made = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .unwrap();
    assert!(made.success());
    let message = message_of(&path, &["x"]);
    assert!(message.contains("is not a regular file"), "{message}");
}

#[test]
fn missing_file_keeps_the_io_error_naming_the_path() {
    let dir = scratch();
    let path = dir.path().join("absent.npz");
    let error = read_npz_arrays(&path, &["x"]).unwrap_err();
    let TrainerError::Io { source, .. } = &error else {
        panic!("not an I/O error: {error}");
    };
    assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
    assert!(error.to_string().contains(&path.display().to_string()));
}

#[test]
fn archive_errors_do_not_print_an_empty_array_name() {
    let dir = scratch();
    let path = file_with(
        dir.path(),
        "garbage.npz",
        b"this is not a zip archive at all",
    );
    let message = message_of(&path, &["x"]);
    assert_eq!(
        message.split(": ").take(2).collect::<Vec<_>>(),
        [
            path.display().to_string().as_str(),
            "not a readable .npz archive"
        ],
        "{message}"
    );
    assert!(!message.contains("array"), "{message}");
}

#[test]
fn missing_array_lists_what_the_file_holds() {
    let dir = scratch();
    let message = read_checked(dir.path(), &reference_archive(), &["a"], Some("a")).unwrap_err();
    assert!(
        message.contains(r#"missing (the file holds ["w1", "b1"])"#),
        "{message}"
    );
}

#[test]
fn entries_are_found_with_or_without_the_npy_suffix() {
    let dir = scratch();
    let dtype = Dtype {
        f32: true,
        big_endian: false,
    };
    let plain = npy_bytes(1, &header_dict("<f4", false, "(1,)"), &dtype.encode(&[2.5]));
    let bytes = zip_bytes(&[("a", &plain), ("w1.npy", &plain)], false);
    let arrays = read_checked(dir.path(), &bytes, &["a", "w1", "w1.npy"], None).unwrap();
    assert!(arrays.iter().all(|a| a.values == [2.5] && a.shape == [1]));
    assert_eq!(arrays[0].name, "a");
}

#[test]
fn other_dtypes_are_refused_naming_the_array_and_its_descr() {
    let dir = scratch();
    let payload = npy_bytes(1, &header_dict("<i8", false, "(2,)"), &[0u8; 16]);
    let bytes = zip_bytes(&[("x.npy", &payload)], false);
    let message = read_checked(dir.path(), &bytes, &["x"], Some("x")).unwrap_err();
    assert!(
        message.contains("'<i8'; only float64 and float32 are read"),
        "{message}"
    );
}

#[test]
fn zero_dimensional_and_empty_arrays_are_read() {
    let dir = scratch();
    let dtype = Dtype {
        f32: false,
        big_endian: true,
    };
    let scalar = npy_bytes(1, &header_dict(">f8", false, "()"), &dtype.encode(&[7.0]));
    let empty = npy_bytes(1, &header_dict(">f8", true, "(0, 3)"), &[]);
    let bytes = zip_bytes(&[("s.npy", &scalar), ("e.npy", &empty)], true);
    let arrays = read_checked(dir.path(), &bytes, &["s", "e"], None).unwrap();
    assert_eq!(
        (arrays[0].shape.clone(), arrays[0].values.clone()),
        (vec![], vec![7.0])
    );
    assert_eq!(
        (arrays[1].shape.clone(), arrays[1].values.len()),
        (vec![0, 3], 0)
    );
}

#[test]
fn truncation_at_every_offset_is_an_error_naming_the_file() {
    let dir = scratch();
    let bytes = reference_archive();
    for end in 0..bytes.len() {
        read_checked(dir.path(), &bytes[..end], &["w1", "b1"], None).unwrap_err();
    }
    read_checked(dir.path(), &bytes, &["w1", "b1"], None).unwrap();
}

#[test]
fn lying_uncompressed_size_is_an_error_naming_the_array() {
    let dir = scratch();
    let dtype = Dtype {
        f32: false,
        big_endian: false,
    };
    let payload = npy_bytes(
        1,
        &header_dict("<f8", false, "(64,)"),
        &dtype.encode(&[0.0; 64]),
    );
    let mut bytes = zip_bytes(&[("w1.npy", &payload)], true);
    // Central directory: the uncompressed size sits 24 bytes into the header.
    let central = central_headers(&bytes)[0];
    bytes[central + 24..central + 28].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
    bytes[22..26].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
    let message = read_checked(dir.path(), &bytes, &["w1"], None).unwrap_err();
    assert!(
        message.contains("`w1`") || message.contains("not a readable .npz archive"),
        "{message}"
    );
}

/// The arrays `write_npz_arrays` writes for the full-disk and byte-layout tests.
fn some_arrays() -> Vec<NamedArray> {
    vec![
        NamedArray::new("w1", vec![3, 2], vec![0.5, -1.0, 2.0, 3.5, 1e-300, -0.0]).unwrap(),
        NamedArray::new("a", vec![3], vec![1.0, 2.0, 3.0]).unwrap(),
    ]
}

#[test]
fn full_disk_is_one_error() {
    let mut whole = Vec::new();
    write_npz_arrays(&mut whole, &some_arrays()).unwrap();
    for capacity in [0, 1, 30, whole.len() / 2, whole.len() - 1] {
        let mut disk = FullDisk {
            capacity,
            written: Vec::new(),
            failures: 0,
        };
        let error = write_npz_arrays(&mut disk, &some_arrays()).unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::StorageFull, "{error}");
        assert_eq!(disk.failures, 1, "capacity {capacity}");
        assert_eq!(disk.written, whole[..capacity]);
    }
}

#[test]
fn npy_write_errors_keep_their_kind() {
    let mut disk = FullDisk {
        capacity: 10,
        written: Vec::new(),
        failures: 0,
    };
    let error = write_npy_array(&mut disk, &some_arrays()[0]).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::StorageFull, "{error}");
}

#[test]
fn written_archives_keep_the_previous_byte_layout_and_are_deterministic() {
    let mut first = Vec::new();
    write_npz_arrays(&mut first, &some_arrays()).unwrap();
    let mut second = Vec::new();
    write_npz_arrays(&mut second, &some_arrays()).unwrap();
    assert_eq!(first, second);
    // What the writer produced before it built archives in memory: ndarray-npy's NpzWriter.
    let mut previous = ndarray_npy::NpzWriter::new(Cursor::new(Vec::new()));
    for array in some_arrays() {
        let values = ArrayD::from_shape_vec(IxDyn(&array.shape), array.values).unwrap();
        previous.add_array(array.name, &values).unwrap();
    }
    assert_eq!(first, previous.finish().unwrap().into_inner());
}
