//! Checks responses against the OpenAPI document: the route, method and status must be
//! described, and the JSON body must match the schema (the JSON Schema subset the document
//! uses: `$ref`, `type`, `required`, `properties`, `items`, `enum`, `const`, `minimum`,
//! `minItems`/`maxItems`, `minLength`/`maxLength`).

use serde_json::Value;

/// The spec's path template for a concrete path.
fn template(path: &str) -> String {
    match path.split('/').collect::<Vec<_>>().as_slice() {
        ["", "p", _, "ingest"] => "/p/{token}/ingest".into(),
        ["", "dashboard", _] => "/dashboard/{file}".into(),
        _ => path.into(),
    }
}

fn resolve<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let target = spec
                .pointer(r.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("dangling $ref {r}"));
            resolve(spec, target)
        }
        None => v,
    }
}

fn check(spec: &Value, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    let s = resolve(spec, schema);
    let types: Vec<&str> = match s.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let is = |t: &str| match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        _ => true,
    };
    if !types.is_empty() && !types.iter().any(|t| is(t)) {
        return Err(format!("{at}: expected {}, found {v}", types.join(" or ")));
    }
    if let Some(c) = s.get("const") {
        if c != v {
            return Err(format!("{at}: expected {c}, found {v}"));
        }
    }
    if let Some(options) = s.get("enum").and_then(Value::as_array) {
        if !options.contains(v) {
            return Err(format!("{at}: {v} is not one of {options:?}"));
        }
    }
    if let (Some(min), Some(n)) = (s.get("minimum").and_then(Value::as_f64), v.as_f64()) {
        if n < min {
            return Err(format!("{at}: {n} < {min}"));
        }
    }
    if let Some(text) = v.as_str() {
        let len = text.chars().count() as u64;
        if s.get("minLength")
            .and_then(Value::as_u64)
            .is_some_and(|m| len < m)
            || s.get("maxLength")
                .and_then(Value::as_u64)
                .is_some_and(|m| len > m)
        {
            return Err(format!("{at}: length {len} out of bounds"));
        }
    }
    if let Some(obj) = v.as_object() {
        for r in s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = r.as_str().unwrap_or_default();
            if !obj.contains_key(name) {
                return Err(format!("{at}: required {name:?} is missing"));
            }
        }
        if let Some(props) = s.get("properties").and_then(Value::as_object) {
            for (k, sub) in props {
                if let Some(val) = obj.get(k) {
                    check(spec, sub, val, &format!("{at}.{k}"))?;
                }
            }
        }
    }
    if let (Some(items), Some(arr)) = (s.get("items"), v.as_array()) {
        let n = arr.len() as u64;
        if s.get("minItems")
            .and_then(Value::as_u64)
            .is_some_and(|m| n < m)
            || s.get("maxItems")
                .and_then(Value::as_u64)
                .is_some_and(|m| n > m)
        {
            return Err(format!("{at}: {n} items out of bounds"));
        }
        for (i, item) in arr.iter().enumerate() {
            check(spec, items, item, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

/// Validates a response of `method path` with `status` and JSON `body` against `spec`.
pub fn validate_response(
    spec: &Value,
    method: &str,
    path: &str,
    status: u16,
    body: &Value,
) -> Result<(), String> {
    let path = path.split('?').next().unwrap_or(path);
    let Some(route) = spec.pointer(&format!(
        "/paths/{}/{}",
        template(path).replace('~', "~0").replace('/', "~1"),
        method.to_ascii_lowercase()
    )) else {
        // An unknown route or method answers 404/405 in the shared error shape.
        if matches!(status, 404 | 405) {
            return validate_error(spec, body);
        }
        return Err(format!("{method} {path} is not in the spec"));
    };
    let Some(resp) = route.pointer(&format!("/responses/{status}")) else {
        // Unknown routes and wrong methods answer with the shared error shape.
        if matches!(status, 404 | 405) {
            return Ok(());
        }
        return Err(format!("{method} {path}: status {status} is not described"));
    };
    let resp = resolve(spec, resp);
    match resp.pointer("/content/application~1json/schema") {
        Some(schema) => check(spec, schema, body, "$"),
        None => Ok(()),
    }
}

/// The shared error shape, for routes' 404/405 answers.
pub fn validate_error(spec: &Value, body: &Value) -> Result<(), String> {
    check(
        spec,
        &serde_json::json!({"$ref": "#/components/schemas/Error"}),
        body,
        "$",
    )
}
