//! The batch scripts: a bash script with `#SBATCH` lines for the resources and the commands
//! to run, every path absolute and shell-quoted, so the script can be read, edited and
//! resubmitted by hand (`sbatch DIR/slurm/sweep.sbatch`).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::ensure;

use super::options::SlurmOptions;

/// One batch script.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchScript {
    /// Comment lines at the top (without `# `).
    pub comments: Vec<String>,
    /// `#SBATCH` options, each `--name=value` (or a bare `--flag`).
    pub directives: Vec<String>,
    /// Environment variables the commands need, exported first.
    pub environment: Vec<(String, String)>,
    /// Shell lines run before the commands (`--setup`).
    pub setup: Vec<String>,
    /// The commands, one shell line each; the last is `exec`'d when `exec_last`.
    pub commands: Vec<String>,
    /// Replace the shell by the last command, so that Slurm's signals (SIGTERM before the
    /// kill) reach it directly and the job ends when it does.
    pub exec_last: bool,
}

impl BatchScript {
    /// The script's text.
    pub fn text(&self) -> String {
        let mut text = String::from("#!/bin/bash\n");
        for comment in &self.comments {
            let _ = writeln!(text, "# {comment}");
        }
        for directive in &self.directives {
            let _ = writeln!(text, "#SBATCH {directive}");
        }
        text.push_str("set -euo pipefail\n");
        for (name, value) in &self.environment {
            let _ = writeln!(text, "export {name}={}", shell_quote(value));
        }
        for line in &self.setup {
            let _ = writeln!(text, "{line}");
        }
        let last = self.commands.len().saturating_sub(1);
        for (k, command) in self.commands.iter().enumerate() {
            let exec = if self.exec_last && k == last {
                "exec "
            } else {
                ""
            };
            let _ = writeln!(text, "{exec}{command}");
        }
        text
    }
}

/// The `#SBATCH` lines every job of a submission shares: job name, log file (under `logs`,
/// with Slurm's `%`-patterns in `log_name`), CPUs, and the options' time, memory,
/// partition, account and extra arguments. Errors when `logs` holds characters an `#SBATCH`
/// line cannot carry (white space, `%`).
pub fn common_directives(
    options: &SlurmOptions,
    job_name: &str,
    logs: &Path,
    log_name: &str,
) -> anyhow::Result<Vec<String>> {
    let logs_text = logs.display().to_string();
    ensure!(
        !logs_text.chars().any(|c| c.is_whitespace() || c == '%'),
        "{logs_text}: Slurm's #SBATCH --output cannot hold a path with white space or `%`; \
         use another --out"
    );
    let mut directives = vec![
        format!("--job-name={job_name}"),
        format!("--output={logs_text}/{log_name}"),
        format!("--cpus-per-task={}", options.cpus()),
    ];
    let optional = [
        ("time", &options.time),
        ("mem", &options.mem),
        ("partition", &options.partition),
        ("account", &options.account),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            directives.push(format!("--{name}={value}"));
        }
    }
    directives.extend(options.sbatch_args.iter().cloned());
    Ok(directives)
}

/// `word` as one bash word: unchanged when it is made of safe characters only, else in
/// single quotes (a `'` inside written as `'\''`).
pub fn shell_quote(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "/._-+=:,@".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// A command line of shell-quoted words.
pub fn shell_line<I, S>(words: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    words
        .into_iter()
        .map(|word| shell_quote(word.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Slurm's `--array` list of `tasks` (sorted ascending): ranges where they run on, e.g.
/// `0-3,6,8-9`.
pub fn array_list(tasks: &[usize]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut k = 0;
    while k < tasks.len() {
        let start = tasks[k];
        let mut end = start;
        while k + 1 < tasks.len() && tasks[k + 1] == end + 1 {
            k += 1;
            end = tasks[k];
        }
        parts.push(if end == start {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        k += 1;
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_keeps_safe_words_and_quotes_the_rest() {
        assert_eq!(shell_quote("/a/b-c_d.toml"), "/a/b-c_d.toml");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("$HOME"), "'$HOME'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn array_lists_join_runs_of_tasks() {
        assert_eq!(array_list(&[0, 1, 2, 3]), "0-3");
        assert_eq!(array_list(&[0, 1, 2, 3, 6, 8, 9]), "0-3,6,8-9");
        assert_eq!(array_list(&[5]), "5");
        assert_eq!(array_list(&[]), "");
    }

    #[test]
    fn a_script_exports_sets_up_and_execs_its_last_command() {
        let script = BatchScript {
            comments: vec!["hello".into()],
            directives: vec!["--array=0-3".into()],
            environment: vec![("PYTHONPATH".into(), "/x y".into())],
            setup: vec!["module load gcc".into()],
            commands: vec!["echo a".into(), "run b".into()],
            exec_last: true,
        };
        assert_eq!(
            script.text(),
            "#!/bin/bash\n# hello\n#SBATCH --array=0-3\nset -euo pipefail\n\
             export PYTHONPATH='/x y'\nmodule load gcc\necho a\nexec run b\n"
        );
    }

    #[test]
    fn log_paths_with_spaces_are_refused() {
        let options = SlurmOptions::default();
        let error = common_directives(&options, "j", Path::new("/a b"), "x.out").unwrap_err();
        assert!(error.to_string().contains("white space"), "{error}");
        let lines = common_directives(
            &SlurmOptions {
                time: Some("01:00:00".into()),
                sbatch_args: vec!["--qos=long".into()],
                ..SlurmOptions::default()
            },
            "j",
            Path::new("/a/logs"),
            "x-%j.out",
        )
        .unwrap();
        assert_eq!(
            lines,
            [
                "--job-name=j",
                "--output=/a/logs/x-%j.out",
                "--cpus-per-task=1",
                "--time=01:00:00",
                "--qos=long"
            ]
        );
    }
}
