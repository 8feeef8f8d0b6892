"""Checks on the docs that `mdbook build` does not make (run by scripts/test):

- every relative link in README.md and docs/src resolves to a file, and its #anchor to a
  heading of that file;
- every page under docs/src is in SUMMARY.md;
- every environment variable the code reads (an upper-case name with an underscore in a
  Rust string literal, or `${NAME:-...}` in a script) is in the configuration page;
- every alarm in template.yaml has a section in the runbook;
- every outbox event kind in the catalogue is in the outbox page's table;
- the module diagram in develop/architecture.md lists exactly the dependencies between the
  modules of shared/src, and they have no cycle.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "src"
problems = []


def slug(heading: str) -> str:
    """mdBook's (and GitHub's) anchor of a heading."""
    text = re.sub(r"`|\*|\[|\]\([^)]*\)", "", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set:
    found, fence = set(), False
    for line in path.read_text().splitlines():
        if line.startswith("```"):
            fence = not fence
        elif not fence and line.startswith("#"):
            found.add(slug(line.lstrip("#")))
    return found


def without_code(text: str) -> str:
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    return re.sub(r"`[^`\n]*`", "", text)


pages = sorted(DOCS.rglob("*.md"))
for page in [ROOT / "README.md", *pages]:
    for target in re.findall(r"\]\(([^)\s]+)\)", without_code(page.read_text())):
        if re.match(r"^[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        dest = (page.parent / file).resolve() if file else page
        where = f"{page.relative_to(ROOT)}: link {target!r}"
        if not dest.exists():
            problems.append(f"{where}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            problems.append(f"{where}: no heading #{anchor}")

summary = (DOCS / "SUMMARY.md").read_text()
listed = {(DOCS / p).resolve() for p in re.findall(r"\]\(([^)]+\.md)\)", summary)}
for page in pages:
    if page.name != "SUMMARY.md" and page.resolve() not in listed:
        problems.append(f"{page.relative_to(ROOT)}: not in SUMMARY.md")

config = (DOCS / "operate" / "configuration.md").read_text()
local = (DOCS / "operate" / "local-cloud.md").read_text()
rust = [p for d in ("shared/src", "functions", "cli/src", "client/src") for p in (ROOT / d).rglob("*.rs")]
read = set()
for path in rust:
    read |= set(re.findall(r'"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)"', path.read_text()))
# CARGO_* and OUT_DIR are set by cargo for the build, not by a user.
read = {v for v in read if not v.startswith("CARGO_") and v != "OUT_DIR"}
for v in sorted(read):
    if f"`{v}`" not in config:
        problems.append(f"{v}: read by the code, not in docs/src/operate/configuration.md")
scripts = [
    s
    for s in [*(ROOT / "scripts").rglob("*"), *(ROOT / "infra").rglob("*")]
    if s.is_file() and s.suffix in ("", ".sh")
]
# A name a script sets itself (`NAME=...`) is its own state, not configuration.
own = {v for s in scripts for v in re.findall(r"^\s*([A-Z][A-Z0-9_]+)=", s.read_text(), re.M)}
own -= {"DATABASE_URL"}
for script in scripts:
    for v in set(re.findall(r"\$\{([A-Z][A-Z0-9_]+):-", script.read_text())):
        if v not in own and v != "CARGO_TARGET_DIR" and f"`{v}`" not in config and f"`{v}`" not in local:
                problems.append(f"{v}: read by {script.relative_to(ROOT)}, not in the configuration page")

runbook = (DOCS / "operate" / "runbook.md").read_text()
template = (ROOT / "template.yaml").read_text()
for alarm in re.findall(r"^  (\w+):\n    Type: AWS::CloudWatch::Alarm", template, re.M):
    if f"## {alarm}" not in runbook:
        problems.append(f"{alarm}: an alarm with no section in docs/src/operate/runbook.md")

kinds = re.findall(r'=> "(\w+)",', (ROOT / "shared/src/outbox/kinds.rs").read_text().split("pub fn source")[0])
outbox = (DOCS / "use" / "outbox.md").read_text()
for kind in kinds:
    if f"`{kind}`" not in outbox:
        problems.append(f"{kind}: an outbox event kind not in docs/src/use/outbox.md")


def module_graph() -> dict:
    src = ROOT / "shared" / "src"
    graph = {}
    for path in src.rglob("*.rs"):
        module = path.relative_to(src).parts[0].removesuffix(".rs")
        if module == "lib":
            continue
        text = path.read_text()
        deps = set(re.findall(r"crate::(\w+)", text))
        for group in re.findall(r"use crate::\{([^}]*)\}", text, re.S):
            deps |= set(re.findall(r"(?:^|[,{\s])(\w+)::", group))
        graph.setdefault(module, set()).update(deps - {module})
    # Only modules count (`crate::text_enum!` is a macro at the crate root).
    return {m: deps & set(graph) for m, deps in graph.items()}


code = module_graph()
arch = (DOCS / "develop" / "architecture.md").read_text()
block = re.search(r"<!-- modules -->\n```text\n(.*?)```", arch, re.S)
if not block:
    problems.append("develop/architecture.md: no module list (```text after <!-- modules -->)")
else:
    drawn = {}
    for line in block.group(1).strip().splitlines():
        name, _, deps = line.partition("->")
        drawn[name.strip()] = set(deps.split())
    for module in sorted(set(code) | set(drawn)):
        have, say = code.get(module, set()), drawn.get(module, set())
        if have != say:
            problems.append(
                f"architecture.md: {module} -> {' '.join(sorted(have))} in the code, "
                f"{' '.join(sorted(say))} in the diagram"
            )


def cycle(graph: dict):
    state = {}

    def visit(node, path):
        state[node] = 1
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                return path + [node, dep]
            if dep not in state:
                found = visit(dep, path + [node])
                if found:
                    return found
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node, [])
            if found:
                return found
    return None


loop = cycle(code)
if loop:
    problems.append("shared/src modules depend on each other in a cycle: " + " -> ".join(loop))

if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"docs: {len(pages)} pages, links, configuration, runbook, outbox kinds and module graph checked")
