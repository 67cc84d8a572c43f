//! The bundled demo incident (`data/demo/`), embedded in the binary so `tocsin --demo` works
//! from any directory: written out to a folder for ingest.

use std::path::{Path, PathBuf};

/// Each demo file: its path under the demo folder and its bytes.
pub const FILES: &[(&str, &[u8])] = &[
    ("auth.log", include_bytes!("../../data/demo/auth.log")),
    (
        "suricata-eve.json",
        include_bytes!("../../data/demo/suricata-eve.json"),
    ),
    (
        "sysmon-ws-fin-07.jsonl",
        include_bytes!("../../data/demo/sysmon-ws-fin-07.jsonl"),
    ),
    (
        "wazuh-alerts.json",
        include_bytes!("../../data/demo/wazuh-alerts.json"),
    ),
    (
        "webhooks/kibana.json",
        include_bytes!("../../data/demo/webhooks/kibana.json"),
    ),
    (
        "webhooks/splunk.json",
        include_bytes!("../../data/demo/webhooks/splunk.json"),
    ),
    (
        "zeek/conn.log",
        include_bytes!("../../data/demo/zeek/conn.log"),
    ),
    (
        "zeek/dns.log",
        include_bytes!("../../data/demo/zeek/dns.log"),
    ),
];

/// The year the demo's year-less syslog lines belong to.
pub const YEAR: i16 = 2026;

/// Writes the demo files under `dir/demo` and returns that folder.
pub fn write(dir: &Path) -> std::io::Result<PathBuf> {
    let root = dir.join("demo");
    for (name, bytes) in FILES {
        let path = root.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, bytes)?;
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_demo_file_is_embedded() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/demo");
        let on_disk: Vec<String> = walkdir::WalkDir::new(dir)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                e.path()
                    .strip_prefix(dir)
                    .map(|p| p.to_string_lossy().into_owned())
                    .unwrap_or_default()
            })
            .filter(|p| !p.ends_with(".md") && !p.ends_with(".py"))
            .collect();
        for p in &on_disk {
            assert!(
                super::FILES.iter().any(|(name, _)| name == p),
                "data/demo/{p} is not embedded"
            );
        }
        assert_eq!(on_disk.len(), super::FILES.len());
    }
}
