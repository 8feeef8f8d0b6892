//! Cobertura XML (coverage.py, JaCoCo converters, cargo-llvm-cov, gcovr, ...): the root
//! `<coverage>` element's `lines-covered`/`lines-valid` and `branches-covered`/`branches-valid`
//! when present, else counted from each class's `<line>`s; functions from `<method>`s.
//! A small tag scanner, enough for this machine-written format, keeps the build free of an
//! XML crate.

use super::CoverageTotals;

/// One start or empty-element tag.
struct Tag<'a> {
    name: &'a str,
    attrs: &'a str,
    closing: bool,
    empty: bool,
}

impl Tag<'_> {
    fn attr(&self, name: &str) -> Option<&str> {
        let mut rest = self.attrs;
        while let Some(eq) = rest.find('=') {
            let key = rest[..eq].trim();
            let after = rest[eq + 1..].trim_start();
            let quote = after.chars().next()?;
            if quote != '"' && quote != '\'' {
                return None;
            }
            let end = after[1..].find(quote)? + 1;
            if key == name {
                return Some(&after[1..end]);
            }
            rest = &after[end + 1..];
        }
        None
    }
}

fn tags(text: &str) -> impl Iterator<Item = Tag<'_>> {
    let mut rest = text;
    std::iter::from_fn(move || loop {
        let start = rest.find('<')?;
        rest = &rest[start + 1..];
        if rest.starts_with("!--") {
            rest = &rest[rest.find("-->")? + 3..];
            continue;
        }
        if rest.starts_with('?') || rest.starts_with('!') {
            rest = &rest[rest.find('>')? + 1..];
            continue;
        }
        let end = rest.find('>')?;
        let inner = &rest[..end];
        rest = &rest[end + 1..];
        let closing = inner.starts_with('/');
        let inner = inner.trim_start_matches('/');
        let empty = inner.ends_with('/');
        let inner = inner.trim_end_matches('/');
        let (name, attrs) = inner.split_once(char::is_whitespace).unwrap_or((inner, ""));
        return Some(Tag {
            name,
            attrs,
            closing,
            empty,
        });
    })
}

fn count(tag: &Tag, name: &str) -> Result<Option<i64>, String> {
    match tag.attr(name) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| *n >= 0.0 && n.fract() == 0.0)
            .map(|n| Some(n as i64))
            .ok_or_else(|| format!("<{}> {name}={v:?} is not a count", tag.name)),
    }
}

/// The root element's lines-covered, lines-valid, branches-covered, branches-valid.
type RootCounts = (Option<i64>, Option<i64>, Option<i64>, Option<i64>);

/// Reads the totals.
pub(super) fn parse(text: &str) -> Result<CoverageTotals, String> {
    let mut root: Option<RootCounts> = None;
    let (mut lines, mut hit, mut br_total, mut br_hit, mut br_seen) = (0, 0, 0, 0, false);
    let (mut methods, mut methods_hit) = (0, 0);
    // Where we are: inside a <method> its lines repeat the class's, so they are not counted.
    let mut in_method = false;
    let mut method_hit = false;
    for tag in tags(text) {
        match (tag.name, tag.closing) {
            ("coverage", false) => {
                root = Some((
                    count(&tag, "lines-covered")?,
                    count(&tag, "lines-valid")?,
                    count(&tag, "branches-covered")?,
                    count(&tag, "branches-valid")?,
                ));
            }
            ("method", false) => {
                methods += 1;
                in_method = !tag.empty;
                method_hit = tag
                    .attr("line-rate")
                    .and_then(|r| r.parse::<f64>().ok())
                    .is_some_and(|r| r > 0.0);
                if tag.empty && method_hit {
                    methods_hit += 1;
                }
            }
            ("method", true) => {
                in_method = false;
                methods_hit += i64::from(method_hit);
            }
            ("line", false) => {
                let hits = count(&tag, "hits")?.unwrap_or(0);
                if in_method {
                    method_hit |= hits > 0;
                    continue;
                }
                lines += 1;
                hit += i64::from(hits > 0);
                if tag.attr("branch") == Some("true") {
                    // condition-coverage="50% (1/2)"
                    if let Some((c, t)) = tag
                        .attr("condition-coverage")
                        .and_then(|c| c.split_once('(')?.1.strip_suffix(')')?.split_once('/'))
                    {
                        br_seen = true;
                        br_hit += c.trim().parse::<i64>().unwrap_or(0);
                        br_total += t.trim().parse::<i64>().unwrap_or(0);
                    }
                }
            }
            _ => {}
        }
    }
    let Some((lc, lv, bc, bv)) = root else {
        return Err("no <coverage> element: not a Cobertura report".into());
    };
    let (branches_covered, branches_total) = match (bc, bv) {
        (Some(c), Some(t)) => (Some(c), Some(t)),
        _ if br_seen => (Some(br_hit), Some(br_total)),
        _ => (None, None),
    };
    Ok(CoverageTotals {
        lines_covered: lc.unwrap_or(hit),
        lines_total: lv.unwrap_or(lines),
        branches_covered,
        branches_total,
        functions_covered: (methods > 0).then_some(methods_hit),
        functions_total: (methods > 0).then_some(methods),
    })
}
