#!/usr/bin/env bash
# Install the Debian packages the app needs, only those missing (idempotent, fast when done).
set -euo pipefail
packages=(
  fonts-noto-cjk          # Noto Sans CJK TC for pages, PDFs and SVG charts
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0   # WeasyPrint; HarfBuzz subsetting
  poppler-utils           # pdftotext/pdftoppm for checking PDFs
  chromium                # the real browser for end-to-end and accessibility tests
  wrk                     # load generator for `make bench`
  nginx                   # the local reverse proxy in front of two app hosts (`make bench-load`)
)
# npm installs htmx from the npm registry; a machine with Node.js from elsewhere keeps it.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
# Debian's own python3 needs python3-venv for `python3 -m venv`.
python3 -c "import ensurepip" >/dev/null 2>&1 || packages+=(python3-venv)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -q
  # Packages with a service (nginx) must not start it: the benchmark runs its own nginx with
  # a temporary config on 127.0.0.1; a policy-rc.d answering 101 forbids the start.
  guard=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    guard=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' | $sudo_cmd tee "$guard" >/dev/null
    $sudo_cmd chmod +x "$guard"
  fi
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
  [ -z "$guard" ] || $sudo_cmd rm -f "$guard"
fi
