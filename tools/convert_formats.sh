#!/usr/bin/env bash
# Writes the format fixtures (tests/Glmm.Tests/fixtures/data/formats): cbpp and Contraception as TSV, gzip CSV, Parquet
# (Parquet.Net's writer, two row groups) and Arrow IPC files (Apache.Arrow's writer, factors as dictionary arrays), from
# the committed CSV files. Usage: tools/convert_formats.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(mktemp -d)
dotnet build bench/Glmm.Bench -c Release -o "$bin" -v quiet -nologo >/dev/null
fx=tests/Glmm.Tests/fixtures/data
mkdir -p "$fx/formats"
for f in cbpp Contraception; do
  for e in tsv csv.gz parquet arrow; do
    dotnet "$bin/Glmm.Bench.dll" convert "$fx/$f.csv" "$fx/formats/$f.$e"
  done
done
rm -rf "$bin"
