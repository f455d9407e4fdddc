//! A reproduction's report: verdicts computed from measurements, sections of text, tables and
//! figures, written as `report.md` (figures linked as PNG), a self-contained `report.html`
//! (figures inlined as SVG) and `report.json` (the verdicts, for scripts and CI).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Serialize;

use overparam_sweep::files::write_atomically;

/// The outcome of checking a claim against the measurements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The stated criterion is met.
    Holds,
    /// The stated criterion is not met.
    DoesNotHold,
    /// The measurements cannot decide (the reason says why).
    Inconclusive,
}

impl Verdict {
    /// `holds`, `does not hold` or `inconclusive`.
    pub fn text(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::DoesNotHold => "does not hold",
            Verdict::Inconclusive => "inconclusive",
        }
    }

    /// `Holds` when `condition`, else `DoesNotHold`.
    pub fn from_condition(condition: bool) -> Verdict {
        if condition {
            Verdict::Holds
        } else {
            Verdict::DoesNotHold
        }
    }
}

/// One claim and what the measurements say about it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClaimVerdict {
    /// The claim in one sentence.
    pub claim: String,
    /// The verdict.
    pub verdict: Verdict,
    /// The criterion the verdict applies, stated before looking at the data.
    pub criterion: String,
    /// What was measured, with numbers.
    pub measured: String,
    /// Why the verdict is inconclusive (or any caveat); empty when none.
    pub reason: String,
}

/// A table of text cells.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TextTable {
    /// Header cells.
    pub columns: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<String>>,
}

/// A figure: an SVG/PNG pair written by the plot module, relative to the report's directory.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Figure {
    /// Path without extension, e.g. `subquadratic/plots/critical_width`.
    pub stem: PathBuf,
    /// What the figure shows.
    pub caption: String,
}

/// A section of the report.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Section {
    /// Heading.
    pub title: String,
    /// Paragraphs (plain text).
    pub paragraphs: Vec<String>,
    /// Tables.
    pub tables: Vec<TextTable>,
    /// Figures.
    pub figures: Vec<Figure>,
}

/// A whole report.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Report {
    /// Title, e.g. "Subquadratic over-parameterization (seed paper 000)".
    pub title: String,
    /// The paper and the claim in a few sentences.
    pub summary: String,
    /// How it was run: the command, scale, specs, backend, dtype, wall time.
    pub settings: Vec<String>,
    /// The verdicts.
    pub verdicts: Vec<ClaimVerdict>,
    /// The sections.
    pub sections: Vec<Section>,
}

impl Report {
    /// The report as Markdown (figures as links to their PNG).
    pub fn to_markdown(&self) -> String {
        let mut md = format!("# {}\n\n{}\n\n## Verdicts\n\n", self.title, self.summary);
        md.push_str("| claim | verdict | criterion | measured |\n|---|---|---|---|\n");
        for v in &self.verdicts {
            let measured = if v.reason.is_empty() {
                v.measured.clone()
            } else {
                format!("{} ({})", v.measured, v.reason)
            };
            let _ = writeln!(
                md,
                "| {} | **{}** | {} | {} |",
                cell(&v.claim),
                v.verdict.text(),
                cell(&v.criterion),
                cell(&measured)
            );
        }
        md.push_str("\n## How it was run\n\n");
        for line in &self.settings {
            let _ = writeln!(md, "- {line}");
        }
        for section in &self.sections {
            let _ = write!(md, "\n## {}\n\n", section.title);
            for paragraph in &section.paragraphs {
                let _ = write!(md, "{paragraph}\n\n");
            }
            for table in &section.tables {
                let _ = writeln!(md, "| {} |", table.columns.join(" | "));
                let _ = writeln!(md, "|{}", "---|".repeat(table.columns.len()));
                for row in &table.rows {
                    let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
                    let _ = writeln!(md, "| {} |", cells.join(" | "));
                }
                md.push('\n');
            }
            for figure in &section.figures {
                let _ = write!(
                    md,
                    "![{}]({}.png)\n\n*{}*\n\n",
                    figure.caption,
                    figure.stem.display(),
                    figure.caption
                );
            }
        }
        md
    }

    /// The report as one self-contained HTML page, reading each figure's SVG from `dir`.
    pub fn to_html(&self, dir: &Path) -> anyhow::Result<String> {
        let mut html = format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\n<style>{STYLE}</style></head><body>\n<h1>{}</h1>\n<p>{}</p>\n<h2>Verdicts</h2>\n<table><tr><th>claim</th><th>verdict</th><th>criterion</th><th>measured</th></tr>\n",
            escape(&self.title),
            escape(&self.title),
            escape(&self.summary)
        );
        for v in &self.verdicts {
            let reason = if v.reason.is_empty() {
                String::new()
            } else {
                format!(" ({})", escape(&v.reason))
            };
            let _ =
                writeln!(
                html,
                "<tr><td>{}</td><td class=\"{}\"><b>{}</b></td><td>{}</td><td>{}{reason}</td></tr>",
                escape(&v.claim),
                serde_json::to_value(v.verdict)?.as_str().unwrap_or_default(),
                v.verdict.text(),
                escape(&v.criterion),
                escape(&v.measured)
            );
        }
        html.push_str("</table>\n<h2>How it was run</h2>\n<ul>\n");
        for line in &self.settings {
            let _ = writeln!(html, "<li>{}</li>", escape(line));
        }
        html.push_str("</ul>\n");
        for section in &self.sections {
            let _ = writeln!(html, "<h2>{}</h2>", escape(&section.title));
            for paragraph in &section.paragraphs {
                let _ = writeln!(html, "<p>{}</p>", escape(paragraph));
            }
            for table in &section.tables {
                html.push_str("<table><tr>");
                for column in &table.columns {
                    let _ = write!(html, "<th>{}</th>", escape(column));
                }
                html.push_str("</tr>\n");
                for row in &table.rows {
                    html.push_str("<tr>");
                    for value in row {
                        let _ = write!(html, "<td>{}</td>", escape(value));
                    }
                    html.push_str("</tr>\n");
                }
                html.push_str("</table>\n");
            }
            for figure in &section.figures {
                let path = dir.join(&figure.stem).with_extension("svg");
                let svg = std::fs::read_to_string(&path)
                    .with_context(|| format!("reading {} to inline it", path.display()))?;
                let svg = svg.trim_start_matches(|c| c != '<');
                let svg = svg.strip_prefix("<?xml").map_or(svg, |rest| {
                    rest.split_once("?>")
                        .map_or(rest, |(_, after)| after.trim_start())
                });
                let _ = writeln!(
                    html,
                    "<figure>{svg}<figcaption>{}</figcaption></figure>",
                    escape(&figure.caption)
                );
            }
        }
        html.push_str("</body></html>\n");
        Ok(html)
    }

    /// Writes `report.md`, `report.html` and `report.json` into `dir`, atomically.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        write_atomically(&dir.join("report.md"), self.to_markdown().as_bytes())?;
        write_atomically(&dir.join("report.html"), self.to_html(dir)?.as_bytes())?;
        let mut json = serde_json::to_vec_pretty(self).context("encoding the report")?;
        json.push(b'\n');
        write_atomically(&dir.join("report.json"), &json)
    }
}

/// The page's style: readable tables and figures.
const STYLE: &str = "body{font-family:sans-serif;max-width:70em;margin:2em auto;line-height:1.45}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:.3em .6em;vertical-align:top}\
.holds{background:#dff0d8}.does_not_hold{background:#f2dede}.inconclusive{background:#fcf8e3}\
figure{margin:1.5em 0}figure svg{max-width:100%;height:auto}figcaption{font-style:italic}";

/// Text made safe for a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Text made safe for HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_and_html_carry_the_verdicts_and_inline_the_figures() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("plots")).unwrap();
        std::fs::write(
            dir.path().join("plots/fig.svg"),
            "<?xml version=\"1.0\"?>\n<svg><text>drawn</text></svg>",
        )
        .unwrap();
        let report = Report {
            title: "T <1>".into(),
            summary: "S".into(),
            settings: vec!["scale small".into()],
            verdicts: vec![ClaimVerdict {
                claim: "a | b".into(),
                verdict: Verdict::Inconclusive,
                criterion: "α < 2".into(),
                measured: "α = 2.1".into(),
                reason: "grid too coarse".into(),
            }],
            sections: vec![Section {
                title: "Fit".into(),
                paragraphs: vec!["p".into()],
                tables: vec![TextTable {
                    columns: vec!["n".into()],
                    rows: vec![vec!["16".into()]],
                }],
                figures: vec![Figure {
                    stem: "plots/fig".into(),
                    caption: "c".into(),
                }],
            }],
        };
        report.write(dir.path()).unwrap();
        let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
        assert!(
            md.contains("| a \\| b | **inconclusive** | α < 2 | α = 2.1 (grid too coarse) |"),
            "{md}"
        );
        assert!(md.contains("![c](plots/fig.png)"));
        let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
        assert!(html.contains("<svg><text>drawn</text></svg>") && !html.contains("<?xml"));
        assert!(html.contains("T &lt;1&gt;") && html.contains("class=\"inconclusive\""));
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
                .unwrap();
        assert_eq!(json["verdicts"][0]["verdict"], "inconclusive");
    }
}
