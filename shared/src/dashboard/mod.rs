//! The dashboard (`GET /dashboard`): one page of HTML, CSS and JS embedded in the binary (its
//! links are relative, so it works under any path prefix: a stage, a function URL), with
//! uPlot vendored at build time from `dashboard/package-lock.json` (see `build.rs`). It reads
//! the read API with a read key; `telemetry report --html` writes the same page with the
//! answers inlined ([`offline_page`]).

mod report;

pub use report::{report_answers, REPORT_ROUTES};

use serde_json::Value;

/// The page's Content-Security-Policy: its own scripts, styles and API only; no inline
/// code, no frames, no forms posting elsewhere.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// The page.
pub const INDEX: &str = include_str!("../../dashboard/index.html");

/// A file the page loads from `/dashboard/<name>`.
pub struct Asset {
    /// File name.
    pub name: &'static str,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// Contents.
    pub body: &'static str,
}

/// Every file the page loads, in the order it loads them.
pub const ASSETS: [Asset; 6] = [
    Asset {
        name: "uPlot.min.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!(concat!(env!("OUT_DIR"), "/uPlot.min.css")),
    },
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../../dashboard/app.css"),
    },
    Asset {
        name: "uPlot.iife.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!(concat!(env!("OUT_DIR"), "/uPlot.iife.min.js")),
    },
    Asset {
        name: "charts.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../dashboard/charts.js"),
    },
    Asset {
        name: "views.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../dashboard/views.js"),
    },
    Asset {
        name: "more-views.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../dashboard/more-views.js"),
    },
];

/// The app's shell, loaded last.
pub const APP: Asset = Asset {
    name: "app.js",
    content_type: "text/javascript; charset=utf-8",
    body: include_str!("../../dashboard/app.js"),
};

/// The file `/dashboard/<name>`, if the page has one by that name.
pub fn asset(name: &str) -> Option<&'static Asset> {
    ASSETS
        .iter()
        .chain(std::iter::once(&APP))
        .find(|a| a.name == name)
}

/// The page as one file, its styles and scripts inline and `report` (the answers of
/// [`REPORT_ROUTES`], with `range` and `generated_at`) in a JSON script element.
pub fn offline_page(report: &Value) -> String {
    let mut html = INDEX.to_string();
    for a in ASSETS.iter().chain(std::iter::once(&APP)) {
        let (tag, inline) = if a.name.ends_with(".css") {
            (
                format!(r#"<link rel="stylesheet" href="dashboard/{}">"#, a.name),
                format!("<style>\n{}\n</style>", a.body),
            )
        } else {
            (
                format!(r#"<script src="dashboard/{}"></script>"#, a.name),
                // Nothing in a script may close the element early.
                format!("<script>\n{}\n</script>", a.body.replace("</", "<\\/")),
            )
        };
        html = html.replacen(&tag, &inline, 1);
    }
    // `<` only occurs inside JSON strings, where `\u003c` means the same.
    let data = report.to_string().replace('<', "\\u003c");
    let first_script = html.find("<script>").unwrap_or(html.len());
    html.insert_str(
        first_script,
        &format!("<script id=\"telemetry-data\" type=\"application/json\">{data}</script>\n"),
    );
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offline_page_inlines_every_asset_and_cannot_be_broken_out_of() {
        let page = offline_page(&serde_json::json!({"answers": {"x": "</script><b>"}}));
        assert!(!page.contains("src=\"dashboard/") && !page.contains("href=\"dashboard/"));
        assert_eq!(page.matches("</script>").count(), ASSETS.len() - 2 + 1 + 1);
        assert!(page.contains(r"\u003c/script>\u003cb>"));
        for a in &ASSETS {
            assert!(!a.body.is_empty(), "{}", a.name);
        }
    }
}
