#!/usr/bin/env bash
# Refreshes the screenshots in docs/dashboard/ from real devnets in Debian's Chromium: the dashboard tests take
# them anyway, and with CHAINLAB_WRITE_SCREENSHOTS=1 they write them here. Needs the chromium package.
set -euo pipefail
cd "$(dirname "$0")/../.."
CHAINLAB_WRITE_SCREENSHOTS=1 dotnet test tests/Chainlab.Node.Tests --filter "FullyQualifiedName~Chainlab.Node.Tests.Dashboard.Dashboard"
ls -1 docs/dashboard/*.png
