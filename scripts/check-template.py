"""Checks on template.yaml that cfn-lint does not make (run by scripts/test):
every schedule expression is valid, every function's CodeUri is a workspace crate whose
binary matches BuildProperties.Binary, every function has a log group and an errors alarm
and may publish to the event bus exactly when its code relays the outbox, every S3 call a function's code makes is
allowed by its policy (moto checks no IAM), and the HTTP API's routes use real methods and are
exactly the routes of the OpenAPI file."""

import json
import re
import sys
import tomllib
from pathlib import Path

from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parent.parent
RATE = re.compile(r"^rate\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\)$")
CRON = re.compile(r"^cron\((\S+ ){5}\S+\)$")

template, errors = decode(str(ROOT / "template.yaml"))
if errors:
    sys.exit(f"template.yaml does not parse: {errors}")
resources = template["Resources"]
problems = []
functions = {k: v for k, v in resources.items() if v["Type"] == "AWS::Serverless::Function"}
for name, fn in functions.items():
    props = fn["Properties"]
    for ev_name, ev in props.get("Events", {}).items():
        if ev["Type"] in ("Schedule", "ScheduleV2"):
            expr = ev["Properties"]["Schedule" if ev["Type"] == "Schedule" else "ScheduleExpression"]
            if not (RATE.match(expr) or CRON.match(expr)):
                problems.append(f"{name}.{ev_name}: invalid schedule {expr!r}")
    crate = ROOT / props["CodeUri"] / "Cargo.toml"
    if not crate.exists():
        problems.append(f"{name}: CodeUri {props['CodeUri']} has no Cargo.toml")
    else:
        bins = [b["name"] for b in tomllib.loads(crate.read_text()).get("bin", [])]
        want = fn.get("Metadata", {}).get("BuildProperties", {}).get("Binary")
        if want not in bins:
            problems.append(f"{name}: Binary {want!r} is not a [[bin]] of {crate} ({bins})")
    text = (ROOT / "template.yaml").read_text()
    if f"/aws/lambda/${{{name}}}" not in text:
        problems.append(f"{name}: no log group with a retention")
    alarmed = any(
        r["Type"] == "AWS::CloudWatch::Alarm"
        and r["Properties"].get("MetricName") == "Errors"
        and any(d.get("Value") == {"Ref": name} for d in r["Properties"].get("Dimensions", []))
        for r in resources.values()
    )
    if not alarmed:
        problems.append(f"{name}: no alarm on its Errors metric")
    # PutEvents on the bus exactly for the functions whose code relays the outbox (least
    # privilege: http-ingest never publishes, the prune schedule does it for it).
    statements = [
        st
        for pol in props.get("Policies", [])
        if isinstance(pol, dict)
        for st in pol.get("Statement", [])
    ]
    may_publish = any(
        st.get("Action") == "events:PutEvents" and st.get("Resource") == {"Fn::GetAtt": ["EventBus", "Arn"]}
        for st in statements
    )
    main = ROOT / props["CodeUri"] / "src" / "main.rs"
    relays = main.exists() and "Relayer" in main.read_text()
    if relays and not may_publish:
        problems.append(f"{name}: no events:PutEvents on EventBus (its code relays the outbox)")
    if may_publish and not relays:
        problems.append(f"{name}: events:PutEvents granted but its code never relays the outbox")
# S3 permissions, derived from the code: each ObjectStore method of the S3 adapter
# (shared/src/objects.rs) needs the IAM actions of the SDK calls in its body, and each
# function needs those of the methods its code calls.
SDK_ACTIONS = {
    "get_object": "s3:GetObject",
    "head_object": "s3:GetObject",
    "put_object": "s3:PutObject",
    "version_id": "s3:GetObjectVersion",
    "list_objects_v2": "s3:ListBucket",
    "delete_object": "s3:DeleteObject",
}
STORE_CALLERS = {"S3IngestFunction": ["shared/src/s3/handler.rs"], "PruneFunction": ["shared/src/prune"]}
store_src = (ROOT / "shared/src/objects.rs").read_text()
adapter = store_src[store_src.index("impl ObjectStore for S3ObjectStore"):]
method_actions = {}
for part in re.split(r"\n    async fn ", adapter)[1:]:
    name = part.split("(", 1)[0]
    method_actions[name] = {a for call, a in SDK_ACTIONS.items() if re.search(rf"\.{call}\(", part)}
for name, paths in STORE_CALLERS.items():
    if name not in functions:
        problems.append(f"{name}: expected in the template (it calls the object store)")
        continue
    code = "".join(
        f.read_text() for p in paths for f in ([ROOT / p] if p.endswith(".rs") else (ROOT / p).rglob("*.rs"))
    )
    needed = set()
    for method, actions in method_actions.items():
        if re.search(rf"store\.{method}\(", code):
            needed |= actions
    granted = set()
    for pol in functions[name]["Properties"].get("Policies", []):
        for st in pol.get("Statement", []) if isinstance(pol, dict) else []:
            acts = st.get("Action", [])
            granted |= set([acts] if isinstance(acts, str) else acts)
    for action in sorted(needed - granted):
        problems.append(f"{name}: its code calls S3 in a way that needs {action}, which its policy does not grant")
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"}
routes = set()
for name, fn in functions.items():
    for ev_name, ev in fn["Properties"].get("Events", {}).items():
        if ev["Type"] == "HttpApi":
            method, path = ev["Properties"]["Method"], ev["Properties"]["Path"]
            if method.upper() not in METHODS:
                problems.append(f"{name}.{ev_name}: unknown HTTP method {method!r}")
            routes.add((method.lower(), path))
spec = json.loads((ROOT / "shared/src/http/openapi.json").read_text())
documented = {(m, p) for p, ops in spec["paths"].items() for m in ops}
if routes and routes != documented:
    problems.append(
        f"HTTP routes and openapi.json differ: only in the template {sorted(routes - documented)}, "
        f"only in the spec {sorted(documented - routes)}"
    )
if problems:
    sys.exit("template.yaml:\n  " + "\n  ".join(problems))
print(f"template.yaml: {len(functions)} functions checked")
