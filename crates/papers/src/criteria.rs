//! The criteria a reproduction decides its verdicts by, fixed before the data: every part
//! lists the thresholds and rules its analysis applies ([`Criterion`]), and its spec states
//! the same ones in its `[criteria]` table. The runner compares the two for the spec a run
//! used ([`criteria_differences`]); a report whose criteria differ from its spec's says so in
//! every verdict line. The committed specs agree with the analyses (a test checks it).

/// What a criterion fixes: a number (a threshold) or a rule in words.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Threshold {
    /// A threshold, e.g. the cosine above which a neuron is aligned.
    Number(f64),
    /// A rule, e.g. which runs a claim is counted over.
    Rule(&'static str),
}

impl Threshold {
    /// As the spec would write it (`0.99`, `"m >= n"`).
    pub fn text(&self) -> String {
        match self {
            Threshold::Number(value) => toml::Value::Float(*value).to_string(),
            Threshold::Rule(rule) => toml::Value::String((*rule).to_string()).to_string(),
        }
    }

    /// Whether the spec's `value` states this threshold (numbers equal to 1e-12 relative;
    /// an integer stands for its float).
    fn is_stated_by(&self, value: &toml::Value) -> bool {
        match (self, value) {
            (Threshold::Number(applied), toml::Value::Float(stated)) => {
                (applied - stated).abs() <= 1e-12 * applied.abs().max(stated.abs())
            }
            (Threshold::Number(applied), toml::Value::Integer(stated)) => {
                *applied == *stated as f64
            }
            (Threshold::Rule(applied), toml::Value::String(stated)) => applied == stated,
            _ => false,
        }
    }
}

/// One criterion of a part's analysis: its key in the spec's `[criteria]` table, what the
/// analysis applies, and what it means.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Criterion {
    /// The key in `[criteria]`, snake_case.
    pub key: &'static str,
    /// What the analysis applies.
    pub value: Threshold,
    /// What it decides, in a few words.
    pub meaning: &'static str,
}

/// Where `applied` (a part's criteria) and `stated` (its spec's `[criteria]` table) differ,
/// one sentence each: a criterion the spec does not state, states otherwise, or a key the
/// analysis does not know. Empty when they agree.
pub fn criteria_differences(applied: &[Criterion], stated: &toml::Table) -> Vec<String> {
    let mut differences = Vec::new();
    for criterion in applied {
        match stated.get(criterion.key) {
            None => differences.push(format!(
                "the spec does not state `{}` ({}; applied: {})",
                criterion.key,
                criterion.meaning,
                criterion.value.text()
            )),
            Some(value) if !criterion.value.is_stated_by(value) => differences.push(format!(
                "the spec fixes `{} = {value}`, the analysis applied {}",
                criterion.key,
                criterion.value.text()
            )),
            Some(_) => {}
        }
    }
    for key in stated.keys() {
        if !applied.iter().any(|criterion| criterion.key == key) {
            differences.push(format!(
                "the spec's `{key}` is not a criterion of this analysis (known: {})",
                applied
                    .iter()
                    .map(|criterion| criterion.key)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    differences
}

#[cfg(test)]
mod tests {
    use super::*;

    const APPLIED: &[Criterion] = &[
        Criterion {
            key: "aligned_cosine",
            value: Threshold::Number(0.99),
            meaning: "aligned neuron",
        },
        Criterion {
            key: "counted_over",
            value: Threshold::Rule("m >= n"),
            meaning: "which runs",
        },
    ];

    fn table(text: &str) -> toml::Table {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn a_spec_stating_the_applied_criteria_agrees() {
        let stated = table("aligned_cosine = 0.99\ncounted_over = \"m >= n\"");
        assert!(criteria_differences(APPLIED, &stated).is_empty());
        let integer = [Criterion {
            key: "factor",
            value: Threshold::Number(2.0),
            meaning: "",
        }];
        assert!(criteria_differences(&integer, &table("factor = 2")).is_empty());
    }

    #[test]
    fn missing_changed_and_unknown_criteria_are_each_named() {
        let stated = table("aligned_cosine = 0.95\nalinged = 1.0");
        let differences = criteria_differences(APPLIED, &stated);
        assert_eq!(differences.len(), 3, "{differences:?}");
        assert!(differences[0].contains("`aligned_cosine = 0.95`, the analysis applied 0.99"));
        assert!(differences[1].contains("does not state `counted_over`"));
        assert!(differences[2].contains("`alinged` is not a criterion"));
        let wrong_type = table("aligned_cosine = \"0.99\"\ncounted_over = \"m >= n\"");
        assert_eq!(criteria_differences(APPLIED, &wrong_type).len(), 1);
    }
}
