# Exports lme4's InstEval (73,421 ratings of lecturers d by students s) as CSV with a binary response,
# y = 1 when the rating is above 3 (4 or 5 on the 1-5 scale), for the benchmark case insteval_bin.
# All six factors have numbers as labels; they are written with a prefix (s1, d1, dept15; sv0/sv1 for
# service, la1-la6 for lectage, sa2-sa8 for studage: short, to keep the file under 3 MB) so that every
# CSV reader (Glmm's, R's read.csv) reads them as factors, not numbers. R's ordered factors (lectage,
# studage) come back unordered.
# Run from the repository root: Rscript tools/export_insteval.R [OUT.csv]
suppressPackageStartupMessages(library(lme4))
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "bench/data/insteval_bin.csv"
dir.create(dirname(out), recursive = TRUE, showWarnings = FALSE)
d <- InstEval
lab <- function(name, prefix = name) paste0(prefix, as.character(d[[name]]))
e <- data.frame(y = as.integer(d$y > 3), s = lab("s"), d = lab("d"), dept = lab("dept"),
                service = lab("service", "sv"), lectage = lab("lectage", "la"), studage = lab("studage", "sa"))
write.csv(e, out, row.names = FALSE, quote = FALSE)
