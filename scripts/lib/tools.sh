# Sourced by scripts/*: a virtualenv with the Python stand-ins (requirements-dev.txt) on PATH.

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
}
