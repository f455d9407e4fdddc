//! Where a part's sweep spec lies in a specs directory: `DIR/<reproduction>/<stem>.toml`, or
//! `DIR/<stem>.toml` in the older flat layout, which scripts may still point at.

use std::path::{Path, PathBuf};

use crate::{Part, Reproduction, Scale};

/// The spec's file name at `scale`: `<stem>.toml` (full) or `<stem>.small.toml` (small).
pub fn spec_name(part: &Part, scale: Scale) -> String {
    match scale {
        Scale::Small => format!("{}.small.toml", part.spec),
        Scale::Full => format!("{}.toml", part.spec),
    }
}

/// The spec of `part` of `reproduction` at `scale` in `specs`: `specs/<name>/<file>` where it
/// exists, else `specs/<file>` where that exists (the flat layout); `None` when neither does.
pub fn spec_file(
    specs: &Path,
    reproduction: &Reproduction,
    part: &Part,
    scale: Scale,
) -> Option<PathBuf> {
    let name = spec_name(part, scale);
    [specs.join(reproduction.name).join(&name), specs.join(&name)]
        .into_iter()
        .find(|path| path.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::find;

    #[test]
    fn the_per_paper_layout_comes_first_and_the_flat_one_still_works() {
        let dir = tempfile::tempdir().unwrap();
        let quadratic = find("quadratic").unwrap();
        let part = &quadratic.parts[1];
        assert_eq!(spec_file(dir.path(), quadratic, part, Scale::Small), None);
        let flat = dir.path().join("quadratic-softplus.small.toml");
        std::fs::write(&flat, "").unwrap();
        assert_eq!(
            spec_file(dir.path(), quadratic, part, Scale::Small),
            Some(flat)
        );
        let nested = dir.path().join("quadratic/quadratic-softplus.small.toml");
        std::fs::create_dir(dir.path().join("quadratic")).unwrap();
        std::fs::write(&nested, "").unwrap();
        assert_eq!(
            spec_file(dir.path(), quadratic, part, Scale::Small),
            Some(nested)
        );
        assert_eq!(spec_file(dir.path(), quadratic, part, Scale::Full), None);
    }

    #[test]
    fn every_committed_spec_is_in_its_papers_directory() {
        let specs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/papers");
        for reproduction in crate::REPRODUCTIONS {
            for part in reproduction.parts {
                for scale in [Scale::Small, Scale::Full] {
                    let expected = specs.join(reproduction.name).join(spec_name(part, scale));
                    let found = spec_file(&specs, reproduction, part, scale);
                    assert_eq!(found.as_ref(), Some(&expected), "{}", reproduction.name);
                }
            }
        }
    }
}
