//! Finding the files to scan: a parallel walk that honours `.gitignore`, the files changed
//! since a git revision, and the reasons a file is skipped.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};
use serde::Serialize;

use crate::source::Language;

/// Why a file was not analysed. Every skipped file is counted and listed in the report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SkipReason {
    /// The file has NUL bytes in its first 8 KiB.
    Binary,
    /// The file is larger than `--max-file-size`.
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The file is not valid UTF-8.
    InvalidUtf8,
    /// The file could not be parsed at all.
    SyntaxError {
        /// The line of the error, when the parser said.
        line: Option<usize>,
    },
    /// Following a symbolic link led back to a directory already on the path.
    SymlinkLoop,
    /// The file or directory could not be read.
    Unreadable {
        /// What the operating system said, without the path.
        error: String,
    },
}

impl SkipReason {
    /// A short label for summaries.
    pub fn label(&self) -> &'static str {
        match self {
            SkipReason::Binary => "binary",
            SkipReason::TooLarge { .. } => "too large",
            SkipReason::InvalidUtf8 => "invalid UTF-8",
            SkipReason::SyntaxError { .. } => "syntax error",
            SkipReason::SymlinkLoop => "symlink loop",
            SkipReason::Unreadable { .. } => "unreadable",
        }
    }
}

/// A file the scan did not analyse, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Skipped {
    /// The path, as displayed in reports.
    pub path: PathBuf,
    /// Why.
    #[serde(flatten)]
    pub reason: SkipReason,
}

/// A file to analyse.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Candidate {
    /// Where to read it.
    pub path: PathBuf,
    /// How to show it, and how the inventory's globs and baselines see it: relative to the
    /// scanned root, with `/` separators.
    pub display: PathBuf,
    pub language: Language,
}

/// The outcome of walking the roots.
#[derive(Debug, Default)]
pub(crate) struct Discovery {
    pub candidates: Vec<Candidate>,
    pub skipped: Vec<Skipped>,
    /// Files walked but in no language scan reads.
    pub unsupported: usize,
}

/// Walks `roots` in parallel on `threads` threads, honouring `.gitignore`, `.ignore` and hidden
/// files, following symbolic links (loops are reported, not followed forever).
pub(crate) fn discover(roots: &[PathBuf], threads: usize) -> Discovery {
    let found = Mutex::new(Discovery::default());

    for root in roots {
        if root.is_file() {
            push(&found, root.clone(), clean_display(root));
            continue;
        }

        WalkBuilder::new(root)
            .follow_links(true)
            .threads(threads)
            .build_parallel()
            .run(|| {
                let found = &found;
                Box::new(move |entry| {
                    match entry {
                        Ok(entry) => {
                            if entry.file_type().is_some_and(|t| t.is_file()) {
                                let path = entry.path().to_path_buf();
                                let relative = path.strip_prefix(root).unwrap_or(&path);
                                let display = if roots.len() > 1 {
                                    clean_display(&path)
                                } else {
                                    clean_display(relative)
                                };
                                push(found, path, display);
                            }
                        }
                        Err(error) => record_walk_error(found, &error),
                    }
                    WalkState::Continue
                })
            });
    }

    let mut discovery = found
        .into_inner()
        .unwrap_or_else(|poison| poison.into_inner());
    discovery.candidates.sort();
    discovery.candidates.dedup_by(|a, b| a.path == b.path);
    discovery.skipped.sort();
    discovery
}

fn push(found: &Mutex<Discovery>, path: PathBuf, display: PathBuf) {
    let mut found = found.lock().unwrap_or_else(|poison| poison.into_inner());
    match Language::of(&path) {
        Some(language) => found.candidates.push(Candidate {
            path,
            display,
            language,
        }),
        None => found.unsupported += 1,
    }
}

fn record_walk_error(found: &Mutex<Discovery>, error: &ignore::Error) {
    let (path, reason) = describe(error);
    let mut found = found.lock().unwrap_or_else(|poison| poison.into_inner());
    found.skipped.push(Skipped {
        path: path.map(|p| clean_display(&p)).unwrap_or_default(),
        reason,
    });
}

fn describe(error: &ignore::Error) -> (Option<PathBuf>, SkipReason) {
    match error {
        ignore::Error::WithPath { path, err } => (Some(path.clone()), describe(err).1),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            describe(err)
        }
        ignore::Error::Loop { child, .. } => (Some(child.clone()), SkipReason::SymlinkLoop),
        ignore::Error::Io(io) => (
            None,
            SkipReason::Unreadable {
                error: io.kind().to_string(),
            },
        ),
        ignore::Error::Partial(errors) => errors
            .first()
            .map_or((None, unreadable("partial")), describe),
        _ => (None, unreadable("ignore-file error")),
    }
}

fn unreadable(what: &str) -> SkipReason {
    SkipReason::Unreadable {
        error: what.to_owned(),
    }
}

/// `./a/b.js` → `a/b.js`, with `/` separators on every platform.
pub(crate) fn clean_display(path: &Path) -> PathBuf {
    let text = path.to_string_lossy().replace('\\', "/");
    PathBuf::from(text.trim_start_matches("./"))
}

/// Reads a candidate, or says why it is skipped.
pub(crate) fn read(candidate: &Candidate, max_size: u64) -> Result<String, SkipReason> {
    let io_error = |e: std::io::Error| SkipReason::Unreadable {
        error: e.kind().to_string(),
    };
    let metadata = std::fs::metadata(&candidate.path).map_err(io_error)?;
    if metadata.len() > max_size {
        return Err(SkipReason::TooLarge { limit: max_size });
    }

    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    std::fs::File::open(&candidate.path)
        .and_then(|file| file.take(max_size + 1).read_to_end(&mut bytes))
        .map_err(io_error)?;
    if bytes.len() as u64 > max_size {
        return Err(SkipReason::TooLarge { limit: max_size });
    }
    if bytes.iter().take(8192).any(|&b| b == 0) {
        return Err(SkipReason::Binary);
    }
    String::from_utf8(bytes).map_err(|_| SkipReason::InvalidUtf8)
}

/// Why `--changed-since` could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum ChangedSinceError {
    /// git could not be started.
    #[error("cannot run git to list changed files: {0}")]
    Git(std::io::ErrorKind),
    /// git refused: not a repository, or an unknown revision.
    #[error(
        "git could not list the files changed since `{revision}` in {}: {message}",
        root.display()
    )]
    Refused {
        /// The revision asked for.
        revision: String,
        /// The root scanned.
        root: PathBuf,
        /// git's first line of error output.
        message: String,
    },
}

/// The files under `root` changed since `revision` (committed, staged, unstaged and
/// untracked), as canonical paths.
pub(crate) fn changed_since(
    root: &Path,
    revision: &str,
) -> Result<BTreeSet<PathBuf>, ChangedSinceError> {
    let directory = if root.is_file() {
        root.parent().unwrap_or(Path::new("."))
    } else {
        root
    };
    let directory = if directory.as_os_str().is_empty() {
        Path::new(".")
    } else {
        directory
    };

    let top = git(directory, &["rev-parse", "--show-toplevel"], revision, root)?;
    let top = PathBuf::from(top.trim());

    let mut changed = BTreeSet::new();
    let diff = git(
        directory,
        &["diff", "--name-only", "-z", revision, "--"],
        revision,
        root,
    )?;
    let untracked = git(
        directory,
        &["ls-files", "--others", "--exclude-standard", "-z"],
        revision,
        root,
    )?;
    for name in diff.split('\0').filter(|n| !n.is_empty()) {
        changed.insert(canonical(&top.join(name)));
    }
    for name in untracked.split('\0').filter(|n| !n.is_empty()) {
        changed.insert(canonical(&directory.join(name)));
    }
    Ok(changed)
}

pub(crate) fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

fn git(
    directory: &Path,
    args: &[&str],
    revision: &str,
    root: &Path,
) -> Result<String, ChangedSinceError> {
    let output = Command::new("git")
        .arg("-C")
        .arg(directory)
        .args(args)
        .output()
        .map_err(|e| ChangedSinceError::Git(e.kind()))?;
    if !output.status.success() {
        let message = String::from_utf8_lossy(&output.stderr)
            .lines()
            .next()
            .unwrap_or("git failed")
            .to_owned();
        return Err(ChangedSinceError::Refused {
            revision: revision.to_owned(),
            root: root.to_path_buf(),
            message,
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_are_clean() {
        assert_eq!(
            clean_display(Path::new("./a/b.js")),
            PathBuf::from("a/b.js")
        );
    }

    #[test]
    fn bad_files_are_skipped_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            Candidate {
                path,
                display: PathBuf::from(name),
                language: Language::JavaScript,
            }
        };
        assert_eq!(read(&write("a.js", b"x\0y"), 100), Err(SkipReason::Binary));
        assert_eq!(
            read(&write("b.js", &[0xff, 0xfe, b'a']), 100),
            Err(SkipReason::InvalidUtf8)
        );
        assert_eq!(
            read(&write("c.js", &[b'a'; 101]), 100),
            Err(SkipReason::TooLarge { limit: 100 })
        );
        assert_eq!(read(&write("d.js", b"ok"), 100), Ok("ok".to_owned()));
    }
}
