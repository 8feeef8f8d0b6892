"""Checks on template.yaml that cfn-lint does not make (run by scripts/test):
every schedule expression is valid, every function's CodeUri is a workspace crate whose
binary matches BuildProperties.Binary, every function has a log group and an errors alarm
and may publish to the event bus it relays to, and the HTTP API's routes use real methods and are exactly the routes of the OpenAPI file."""

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
    # Every function relays the outbox (EVENT_BUS_NAME in Globals): each needs PutEvents on it.
    statements = [
        st
        for pol in props.get("Policies", [])
        if isinstance(pol, dict)
        for st in pol.get("Statement", [])
    ]
    if not any(
        st.get("Action") == "events:PutEvents" and st.get("Resource") == {"Fn::GetAtt": ["EventBus", "Arn"]}
        for st in statements
    ):
        problems.append(f"{name}: no events:PutEvents on EventBus (it relays the outbox)")
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
