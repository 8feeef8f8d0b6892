//! Build steps cargo does not know on its own:
//! - rebuild when a migration is added or edited (`refinery::embed_migrations!` reads
//!   `../migrations` at compile time);
//! - vendor the dashboard's chart library: `npm ci` of `dashboard/package-lock.json` (uPlot,
//!   pinned) into `OUT_DIR`, once per lockfile, so the binary embeds the exact file the
//!   lockfile's integrity hash names. `TELEMETRY_UPLOT_DIR` (a directory holding
//!   `uPlot.iife.min.js` and `uPlot.min.css`) builds without npm, e.g. offline.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=../migrations");
    println!("cargo:rerun-if-changed=dashboard/package.json");
    println!("cargo:rerun-if-changed=dashboard/package-lock.json");
    println!("cargo:rerun-if-env-changed=TELEMETRY_UPLOT_DIR");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let dist = match std::env::var_os("TELEMETRY_UPLOT_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => npm_ci(&out.join("npm")),
    };
    for file in ["uPlot.iife.min.js", "uPlot.min.css"] {
        let from = dist.join(file);
        std::fs::copy(&from, out.join(file))
            .unwrap_or_else(|e| panic!("cannot copy {}: {e}", from.display()));
    }
}

/// `npm ci` of the pinned lockfile into `dir` (skipped when that lockfile is installed);
/// the directory of uPlot's built files.
fn npm_ci(dir: &Path) -> PathBuf {
    let dist = dir.join("node_modules/uplot/dist");
    let lock = std::fs::read("dashboard/package-lock.json").expect("dashboard/package-lock.json");
    let installed = dir.join("package-lock.json");
    if std::fs::read(&installed).ok().as_ref() == Some(&lock) && dist.is_dir() {
        return dist;
    }
    std::fs::create_dir_all(dir).expect("npm dir");
    std::fs::copy("dashboard/package.json", dir.join("package.json")).expect("package.json");
    std::fs::write(&installed, &lock).expect("package-lock.json");
    let status = Command::new("npm")
        .args([
            "ci",
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            "--silent",
        ])
        .current_dir(dir)
        .status()
        .unwrap_or_else(|e| {
            panic!(
                "the dashboard's chart library is vendored with npm, which could not run ({e}): \
                 install Node.js and npm (Debian: apt-get install npm), or set \
                 TELEMETRY_UPLOT_DIR to a directory holding uPlot.iife.min.js and uPlot.min.css"
            )
        });
    assert!(
        status.success(),
        "npm ci in {} failed: {status}",
        dir.display()
    );
    dist
}
