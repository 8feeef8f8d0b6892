# Sourced by scripts/*: a virtualenv with the Python stand-ins (requirements-dev.txt) on PATH,
# and Node.js for the seed client's end-to-end test.

ensure_tools() {
  local venv=${TELEMETRY_VENV:-$HOME/.cache/telemetry-venv}
  local req="$ROOT/requirements-dev.txt"
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
  fi
  # Reinstall only when requirements changed.
  if ! cmp -s "$req" "$venv/.requirements" 2>/dev/null; then
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$req" && cp "$req" "$venv/.requirements"
  fi
  export PATH="$venv/bin:$PATH"
  # The seed's TypeScript client is exercised as a Node script (fetch needs Node 18+).
  # npm also vendors the dashboard's chart library at build time (shared/build.rs).
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "installing nodejs and npm from the Debian registry" >&2
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm >&2
  fi
}

# The dashboard's browser test: Debian's Chromium (CHROMIUM overrides the path) and
# playwright-core, pinned in tests/browser/package-lock.json, installed beside the test.
ensure_browser() {
  local chromium=${CHROMIUM:-/usr/bin/chromium}
  if [ ! -x "$chromium" ]; then
    echo "installing chromium from the Debian registry" >&2
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >&2
  fi
  local dir="$ROOT/tests/browser"
  if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.installed" 2>/dev/null; then
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --silent >&2) &&
      cp "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.installed"
  fi
}

# mdbook, pinned, built once from crates.io into TELEMETRY_TOOLS (no default features: the
# book is only built, never served or watched).
MDBOOK_VERSION=0.5.4
ensure_mdbook() {
  local tools=${TELEMETRY_TOOLS:-$HOME/.cache/telemetry-tools}
  if ! "$tools/bin/mdbook" --version 2>/dev/null | grep -q "v$MDBOOK_VERSION"; then
    echo "installing mdbook $MDBOOK_VERSION from crates.io into $tools" >&2
    cargo install --quiet --locked mdbook --version "$MDBOOK_VERSION" \
      --no-default-features --features search --root "$tools" >&2
  fi
  export PATH="$tools/bin:$PATH"
}
