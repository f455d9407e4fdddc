//! Runs the Python module's pytest suite (`crates/python/tests/test_*.py`) against the
//! extension module this very build produced, so that the README's one test command builds
//! the module and tests it, with Burn compiled once.
//!
//! The package is assembled in a temporary directory: the `.py` sources and stubs of
//! `python/overparam/`, and this build's cdylib as `overparam/_core.abi3.so`. Python,
//! numpy and pytest must be installed (`pip install numpy pytest pandas`); without them the
//! test fails with that instruction rather than skipping.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `target/<profile>/`, where cargo put this build's cdylib and the `overparam` binary (the
/// test executable is in its `deps/`).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    exe.parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>")
        .to_path_buf()
}

/// Copies the package's Python files and the extension module into `dir/overparam/`.
fn assemble_package(dir: &Path) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/overparam");
    let package = dir.join("overparam");
    std::fs::create_dir_all(&package).unwrap();
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, package.join(path.file_name().unwrap())).unwrap();
        }
    }
    // The cdylib as this build produced it: in deps/ (cargo uplifts it to target/<profile>/
    // only when the library itself is a requested target, not for an integration test).
    let library = profile_dir().join("deps").join(format!(
        "{}overparam_python{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    assert!(
        library.is_file(),
        "{} was not built: run `cargo test --release --workspace --all-targets`",
        library.display()
    );
    std::fs::copy(&library, package.join("_core.abi3.so")).unwrap();
}

#[test]
fn the_python_module_passes_its_pytest_suite() {
    let dir = tempfile::tempdir().unwrap();
    assemble_package(dir.path());
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    let probe = Command::new(&python)
        .args(["-c", "import numpy, pytest"])
        .status();
    assert!(
        probe.is_ok_and(|status| status.success()),
        "`{python} -c 'import numpy, pytest'` failed: the Python tests need CPython ≥ 3.9 with \
         numpy and pytest (pip install numpy pytest pandas); PYTHON names another interpreter"
    );
    let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let binary = profile_dir().join(format!("overparam{}", std::env::consts::EXE_SUFFIX));
    let status = Command::new(&python)
        .args([
            "-m",
            "pytest",
            "crates/python/tests",
            "-q",
            "-p",
            "no:cacheprovider",
        ])
        .current_dir(&repository)
        .env("PYTHONPATH", dir.path())
        .env("OVERPARAM_BIN", &binary)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .status()
        .expect("running pytest");
    assert!(
        status.success(),
        "pytest failed: {status} (its report is above)"
    );
}
