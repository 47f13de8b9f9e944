# Exports lme4's InstEval (73,421 ratings of lecturers d by students s) as CSV for the benchmark cases.
#  binary (default): y = 1 when the rating is above 3 (4 or 5 on the 1-5 scale), for insteval_bin. All six factors have
#    numbers as labels; they are written with a prefix (s1, d1, dept15; sv0/sv1 for service, la1-la6 for lectage,
#    sa2-sa8 for studage: short, to keep the file under 3 MB) so that every CSV reader (Glmm's, R's read.csv) reads
#    them as factors, not numbers. R's ordered factors (lectage, studage) come back unordered.
#  numeric: the rating y itself (1-5), for the linear mixed model insteval_lmm, with one-letter prefixes (s, d, p for
#    dept, v for service, a for lectage, b for studage) to keep the file near 1.5 MB.
# Run from the repository root: Rscript tools/export_insteval.R [binary|numeric] [OUT.csv]
suppressPackageStartupMessages(library(lme4))
args <- commandArgs(trailingOnly = TRUE)
mode <- if (length(args) >= 1) args[1] else "binary"
if (!mode %in% c("binary", "numeric")) stop("mode must be binary or numeric")
out <- if (length(args) >= 2) args[2] else if (mode == "binary") "bench/data/insteval_bin.csv" else "bench/data/insteval.csv"
dir.create(dirname(out), recursive = TRUE, showWarnings = FALSE)
d <- InstEval
lab <- function(name, prefix = name) paste0(prefix, as.character(d[[name]]))
e <- if (mode == "binary") {
  data.frame(y = as.integer(d$y > 3), s = lab("s"), d = lab("d"), dept = lab("dept"),
             service = lab("service", "sv"), lectage = lab("lectage", "la"), studage = lab("studage", "sa"))
} else {
  data.frame(y = as.integer(d$y), s = lab("s"), d = lab("d"), dept = lab("dept", "p"),
             service = lab("service", "v"), lectage = lab("lectage", "a"), studage = lab("studage", "b"))
}
write.csv(e, out, row.names = FALSE, quote = FALSE)
