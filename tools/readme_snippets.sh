#!/usr/bin/env bash
# Runs the README's C# blocks as written: the first is a complete program, each later one continues it, so they are
# joined in order (their `using` lines first) into the Program.cs of APP, a console app that references the Glmm
# package, and run from the repository root (the snippets read examples/…). Used by .ci/run; exit 0 when it ran.
set -uo pipefail
app=${1:?usage: tools/readme_snippets.sh APP_DIR}
cd "$(dirname "$0")/.."
python3 - "$app/Program.cs" <<'PY' || exit 1
import re, sys
text = open("README.md", encoding="utf-8").read()
blocks = re.findall(r"^```csharp\n(.*?)^```$", text, flags=re.S | re.M)
if len(blocks) < 3:
    sys.exit("README.md: fewer C# blocks than expected")
usings, body = [], []
for i, block in enumerate(blocks):
    body.append(f"// ---- README C# block {i + 1}")
    for line in block.splitlines():
        if re.match(r"^using [A-Za-z.]+;", line):
            u = line.split("//")[0].strip()
            if u not in usings:
                usings.append(u)
        else:
            body.append(line)
open(sys.argv[1], "w", encoding="utf-8").write("\n".join(usings + [""] + body) + "\nConsole.WriteLine(\"README snippets: done\");\n")
print(f"README.md: {len(blocks)} C# blocks joined into {sys.argv[1]}")
PY
# "From the repository root": a scratch folder that sees the repository's examples, so that the files the snippets
# write (ranef.csv, model.json) do not land in the working tree.
app=$(cd "$app" && pwd); repo=$(pwd); scratch=$(mktemp -d)
ln -s "$repo/examples" "$scratch/examples"
(cd "$scratch" && dotnet run --project "$app" -c Release 2>&1) | tail -n 5 | tee /dev/stderr | grep -q "README snippets: done"
status=$?
rm -rf "$scratch"
exit $status
