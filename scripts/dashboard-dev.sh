#!/usr/bin/env bash
# Working on the dashboard (web/): the demo's organisation, live traffic and export, with the dashboard,
# kept running until Ctrl-C. It prints the dashboard's address and a sign-in link. After changing web/,
# rebuild the front end (npx vite build --config web/vite.config.mts) and reload the page: the API reads
# dist/web on each request. Extra arguments go to `insider demo` (see insider demo --help).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build --silent
exec node bin/insider.js demo --employees 60 --days 21 --duration 0 "$@"
