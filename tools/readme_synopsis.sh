#!/usr/bin/env bash
# Rewrites the README's command synopsis (the code block after the marker line) from the tool's own `glmm --synopsis`,
# so that the synopsis lists every verb and option and cannot drift; tests/Glmm.Tests/Cli/ReadmeTests.cs checks it.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build src/Glmm.Cli -c Release >/dev/null
synopsis=$(dotnet src/Glmm.Cli/bin/Release/net10.0/glmm.dll --synopsis)
python3 - "$synopsis" <<'PY'
import sys
marker = "<!-- synopsis: generated from `glmm --synopsis` by tools/readme_synopsis.sh; do not edit by hand -->"
text = open("README.md", encoding="utf-8").read()
start = text.index(marker) + len(marker)
open_fence = text.index("```\n", start)
close_fence = text.index("```\n", open_fence + 4)
text = text[:open_fence] + "```\n" + sys.argv[1].rstrip("\n") + "\n" + text[close_fence:]
open("README.md", "w", encoding="utf-8").write(text)
PY
echo "README.md: synopsis regenerated"
