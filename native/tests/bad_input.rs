//! The bad-input table: every row of `tests/bad-input.json` for the command-line tool is
//! run here as a process and must give its error text and exit code; the JavaScript rows
//! are run by `tests/js/user/bad-input.test.mjs`. `docs/BAD_INPUT.md` is rendered from the
//! same file and must match it (`MEMPRESSURE_BLESS=1` rewrites it).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn table() -> Value {
    let text = std::fs::read_to_string(repo().join("tests/bad-input.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn string(value: &Value) -> &str {
    value.as_str().unwrap()
}

#[test]
fn every_bad_command_line_input_gets_its_error_and_exit_code() {
    let table = table();
    let rows = table["cli"].as_array().unwrap();
    for (i, row) in rows.iter().enumerate() {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("bad-input-{i}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut file = PathBuf::new();
        if let Some(name) = row["file"].as_str() {
            file = dir.join(name);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, string(&row["input"])).unwrap();
        }
        let args: Vec<String> = row["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                string(a)
                    .replace("{file}", file.to_str().unwrap())
                    .replace("{dir}", dir.to_str().unwrap())
            })
            .collect();

        let output = Command::new(env!("CARGO_BIN_EXE_mempressure"))
            .args(&args)
            .env("MEMPRESSURE_LOG", "off")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let what = string(&row["what"]);
        assert_eq!(
            output.status.code(),
            Some(row["exit"].as_i64().unwrap() as i32),
            "{what}: {stderr}"
        );
        assert!(
            stderr.contains(string(&row["error"])),
            "{what}: {stderr:?} lacks {:?}",
            row["error"]
        );
        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    }
}

/// A cell of a Markdown table: code, with line breaks shown as `\n` and pipes escaped.
fn cell(text: &str) -> String {
    if text.is_empty() {
        return "(empty)".to_string();
    }
    format!("`{}`", text.replace('\n', "\\n").replace('|', "\\|"))
}

fn render(table: &Value) -> String {
    let mut doc = String::from(
        "# Bad input, and what it gets\n\n\
         Every row is a test: the command-line rows run `mempressure` as a process\n\
         (`native/tests/bad_input.rs`), the JavaScript rows call the npm package\n\
         (`tests/js/user/bad-input.test.mjs`). This page is rendered from\n\
         `tests/bad-input.json`; `MEMPRESSURE_BLESS=1 cargo test -p mempressure-native --test\n\
         bad_input` rewrites it. No row panics; nothing is clamped or defaulted in silence.\n\n\
         ## The `mempressure` command\n\n\
         | kind | what | input | command | error (excerpt) | exit |\n|---|---|---|---|---|---|\n",
    );
    for row in table["cli"].as_array().unwrap() {
        let input = match row["file"].as_str() {
            Some(name) => format!("{name}: {}", cell(string(&row["input"]))),
            None => "".to_string(),
        };
        let args: Vec<&str> = row["args"].as_array().unwrap().iter().map(string).collect();
        doc.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            string(&row["kind"]),
            string(&row["what"]),
            input,
            cell(&format!("mempressure {}", args.join(" "))),
            cell(string(&row["error"])),
            row["exit"]
        ));
    }
    doc.push_str(
        "\n## The npm package\n\nEach call throws an `Error` whose message contains the text \
         shown.\n\n| kind | what | call | error (excerpt) |\n|---|---|---|---|\n",
    );
    for row in table["js"].as_array().unwrap() {
        doc.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            string(&row["kind"]),
            string(&row["what"]),
            cell(string(&row["call"])),
            cell(string(&row["error"]))
        ));
    }
    doc
}

#[test]
fn the_documented_table_is_the_tested_one() {
    let path = repo().join("docs/BAD_INPUT.md");
    let rendered = render(&table());
    if std::env::var_os("MEMPRESSURE_BLESS").is_some() {
        std::fs::write(&path, &rendered).unwrap();
    }
    let written = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        written == rendered,
        "docs/BAD_INPUT.md is out of date: run with MEMPRESSURE_BLESS=1"
    );
}
