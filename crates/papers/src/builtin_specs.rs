//! The reproductions' sweep specs and their base configs as committed in `configs/papers/`,
//! built into the binary, so that `overparam reproduce NAME` works from any directory (an
//! installed binary, the Python module). The run writes the ones it uses into its output
//! directory (`DIR/specs/NAME/`), where every part's sweep reads them and the report points;
//! `--specs DIR` reads another copy instead.

use std::path::Path;

use overparam_sweep::files::write_atomically;

use crate::Reproduction;

/// `(path under the specs directory, text)` of one committed file.
macro_rules! builtin {
    ($path:literal) => {
        (
            $path,
            include_str!(concat!("../../../configs/papers/", $path)),
        )
    };
}

/// Every file of `configs/papers/`, `NAME/FILE`, with its text.
pub const BUILTIN_SPECS: &[(&str, &str)] = &[
    builtin!("quadratic/quadratic-landscape.base.toml"),
    builtin!("quadratic/quadratic-landscape.small.toml"),
    builtin!("quadratic/quadratic-landscape.toml"),
    builtin!("quadratic/quadratic-softplus.base.toml"),
    builtin!("quadratic/quadratic-softplus.small.toml"),
    builtin!("quadratic/quadratic-softplus.toml"),
    builtin!("sparse-bias/sparse-bias-generalization.base.toml"),
    builtin!("sparse-bias/sparse-bias-generalization.small.toml"),
    builtin!("sparse-bias/sparse-bias-generalization.toml"),
    builtin!("sparse-bias/sparse-bias.base.toml"),
    builtin!("sparse-bias/sparse-bias.small.toml"),
    builtin!("sparse-bias/sparse-bias.toml"),
    builtin!("subquadratic/subquadratic-generalization.base.toml"),
    builtin!("subquadratic/subquadratic-generalization.small.toml"),
    builtin!("subquadratic/subquadratic-generalization.toml"),
    builtin!("subquadratic/subquadratic.base.toml"),
    builtin!("subquadratic/subquadratic.small.toml"),
    builtin!("subquadratic/subquadratic.toml"),
    builtin!("teacher-student/teacher-student-near-teacher.base.toml"),
    builtin!("teacher-student/teacher-student-near-teacher.small.toml"),
    builtin!("teacher-student/teacher-student-near-teacher.toml"),
    builtin!("teacher-student/teacher-student.base.toml"),
    builtin!("teacher-student/teacher-student.small.toml"),
    builtin!("teacher-student/teacher-student.toml"),
    builtin!("two-rates/two-rates.base.toml"),
    builtin!("two-rates/two-rates.small.toml"),
    builtin!("two-rates/two-rates.toml"),
];

/// Writes the built-in files of `reproduction` (its specs at both scales and their base
/// configs) into `dir/NAME/`, replacing what is there, and returns how many.
pub fn write_builtin_specs(reproduction: &Reproduction, dir: &Path) -> anyhow::Result<usize> {
    let prefix = format!("{}/", reproduction.name);
    let mut written = 0;
    for (path, text) in BUILTIN_SPECS.iter().filter(|(p, _)| p.starts_with(&prefix)) {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|error| anyhow::anyhow!("creating {}: {error}", parent.display()))?;
        }
        write_atomically(&target, text.as_bytes())?;
        written += 1;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{criteria_differences, spec_file, spec_name, Scale, REPRODUCTIONS};

    /// The committed directory, file by file, is what is built in.
    #[test]
    fn every_committed_file_is_built_in_with_its_text() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/papers");
        let mut committed = Vec::new();
        for paper in std::fs::read_dir(&root).unwrap().flatten() {
            for file in std::fs::read_dir(paper.path()).unwrap().flatten() {
                let name = format!(
                    "{}/{}",
                    paper.file_name().to_string_lossy(),
                    file.file_name().to_string_lossy()
                );
                committed.push((name, std::fs::read_to_string(file.path()).unwrap()));
            }
        }
        committed.sort();
        let built_in: Vec<(String, String)> = BUILTIN_SPECS
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        assert_eq!(built_in, committed);
    }

    /// Written out, every part's spec is where `reproduce` looks, and its base config beside it.
    #[test]
    fn written_specs_hold_every_part_at_both_scales() {
        let dir = tempfile::tempdir().unwrap();
        for reproduction in REPRODUCTIONS {
            assert!(write_builtin_specs(reproduction, dir.path()).unwrap() > 0);
            for part in reproduction.parts {
                for scale in [Scale::Small, Scale::Full] {
                    let spec = spec_file(dir.path(), reproduction, part, scale)
                        .unwrap_or_else(|| panic!("{}", spec_name(part, scale)));
                    let loaded = overparam_sweep::spec::SweepSpec::load(&spec).unwrap();
                    assert!(loaded.base.is_file(), "{}", loaded.base.display());
                    // Fixed before the data: the spec states what the analysis applies.
                    assert!(!part.criteria.is_empty(), "{}", part.name);
                    let differences = criteria_differences(part.criteria, &loaded.criteria);
                    assert!(
                        differences.is_empty(),
                        "{}: {differences:?}",
                        spec.display()
                    );
                }
            }
        }
    }
}
