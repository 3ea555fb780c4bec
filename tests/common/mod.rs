//! Helpers shared by the integration-test binaries: running the real binary and reading what
//! it wrote. Each test binary uses a different subset, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

/// The `copydesk` binary, run in `dir`.
pub fn copydesk(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("copydesk").expect("binary builds");
    c.current_dir(dir);
    c
}

/// Every line of a JSONL output file (none when the file is missing).
pub fn read_jsonl(path: &Path) -> Vec<Value> {
    fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("every output line is JSON"))
        .collect()
}

/// report.json without its volatile `timing` key.
pub fn stable_report(dir: &Path) -> Value {
    let mut v: Value =
        serde_json::from_str(&fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    v.as_object_mut().unwrap().remove("timing");
    v
}
