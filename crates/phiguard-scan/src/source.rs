//! A file being scanned: its text, its language and positions within it.

use std::path::{Path, PathBuf};

/// The languages phiguard scan reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// JavaScript, including JSX.
    JavaScript,
    /// TypeScript.
    TypeScript,
    /// TypeScript with JSX.
    Tsx,
    /// Shopify Liquid templates.
    Liquid,
    /// HTML pages.
    Html,
    /// PHP, including Magento's `app/etc/env.php`.
    Php,
    /// Magento PHTML templates: HTML with PHP islands.
    Phtml,
    /// Terraform HCL.
    Terraform,
    /// Kubernetes manifests in YAML.
    Yaml,
}

impl Language {
    /// The language of a file, from its extension; `None` for files scan does not read.
    pub fn of(path: &Path) -> Option<Language> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        let extension = name.rsplit_once('.').map(|(_, e)| e)?;
        Some(match extension {
            "js" | "mjs" | "cjs" | "jsx" => Language::JavaScript,
            "ts" | "mts" | "cts" if !name.ends_with(".d.ts") => Language::TypeScript,
            "tsx" => Language::Tsx,
            "liquid" => Language::Liquid,
            "html" | "htm" => Language::Html,
            "php" => Language::Php,
            "phtml" => Language::Phtml,
            "tf" => Language::Terraform,
            "yaml" | "yml" => Language::Yaml,
            _ => return None,
        })
    }

    /// The language's name in reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            Language::JavaScript => "javascript",
            Language::TypeScript => "typescript",
            Language::Tsx => "tsx",
            Language::Liquid => "liquid",
            Language::Html => "html",
            Language::Php => "php",
            Language::Phtml => "phtml",
            Language::Terraform => "terraform",
            Language::Yaml => "yaml",
        }
    }
}

/// One file's text with a line index.
#[derive(Debug)]
pub(crate) struct SourceFile {
    /// The path relative to the scanned root, with `/` separators.
    pub path: PathBuf,
    /// The language it is read as.
    pub language: Language,
    /// The text.
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// Wraps a file's text.
    pub(crate) fn new(path: PathBuf, language: Language, text: String) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            path,
            language,
            text,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub(crate) fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self
            .line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(0);
        let column = self
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().count())
            + 1;
        (line.max(1), column)
    }

    /// The text of a 1-based line, without its newline.
    pub(crate) fn line_text(&self, line: usize) -> &str {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |&next| next);
        self.text
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_come_from_extensions() {
        assert_eq!(
            Language::of(Path::new("a/b/theme.liquid")),
            Some(Language::Liquid)
        );
        assert_eq!(Language::of(Path::new("x.TSX")), Some(Language::Tsx));
        assert_eq!(Language::of(Path::new("types.d.ts")), None);
        assert_eq!(
            Language::of(Path::new("main.tf")),
            Some(Language::Terraform)
        );
        assert_eq!(Language::of(Path::new("README.md")), None);
        assert_eq!(Language::of(Path::new("Makefile")), None);
    }

    #[test]
    fn positions_and_lines() {
        let file = SourceFile::new("f.js".into(), Language::JavaScript, "ab\ncdé\n\nx".into());
        assert_eq!(file.position(0), (1, 1));
        assert_eq!(file.position(3), (2, 1));
        assert_eq!(file.position(7), (2, 4));
        assert_eq!(file.position(9), (4, 1));
        assert_eq!(file.line_text(2), "cdé");
        assert_eq!(file.line_text(3), "");
        assert_eq!(file.line_text(9), "");
    }
}
