"""Checks on template.yaml that cfn-lint does not make (run by scripts/test):
every schedule expression is valid, every function's CodeUri is a workspace crate whose
binary matches BuildProperties.Binary, and every function has a log group and an errors alarm."""

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
if problems:
    sys.exit("template.yaml:\n  " + "\n  ".join(problems))
print(f"template.yaml: {len(functions)} functions checked")
