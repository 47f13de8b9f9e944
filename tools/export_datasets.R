# Exports the data sets used by the tests and examples from R packages (lme4, mlmRev) as CSV.
# Run from the repository root: Rscript tools/export_datasets.R
suppressPackageStartupMessages({ library(lme4); library(mlmRev) })
out <- "tests/Glmm.Tests/fixtures/data"
dir.create(out, recursive = TRUE, showWarnings = FALSE)
w <- function(d, name) write.csv(d, file.path(out, paste0(name, ".csv")), row.names = FALSE)
w(cbpp, "cbpp")
w(Contraception, "Contraception")
w(VerbAgg, "VerbAgg")
w(grouseticks, "grouseticks")
dir.create("examples", showWarnings = FALSE)
write.csv(cbpp, "examples/cbpp.csv", row.names = FALSE)
write.csv(Contraception, "examples/contraception.csv", row.names = FALSE)
