# Fits one model with lme4 or glmmTMB for bench/run and prints "logLik=<value>".
# Usage: Rscript bench/fit_reference.R ENGINE DATA.csv FORMULA FAMILY LINK [NAGQ]
args <- commandArgs(trailingOnly = TRUE)
engine <- args[1]; file <- args[2]; formula <- as.formula(args[3]); fam <- args[4]; link <- args[5]
nagq <- if (length(args) >= 6) as.integer(args[6]) else 1L
Sys.setlocale("LC_COLLATE", "C")
d <- read.csv(file, stringsAsFactors = TRUE)
if (fam == "nbinom1") {
  # glmmTMB's nbinom1 (lme4 has none; bench/run does not call it with lme4).
  suppressPackageStartupMessages(library(glmmTMB))
  fit <- glmmTMB(formula, data = d, family = nbinom1(link = link))
  cat(sprintf("logLik=%.6f\n", as.numeric(logLik(fit))))
  quit(save = "no")
}
if (fam == "nbinom2") {
  # The negative binomial: lme4's glmer.nb, glmmTMB's nbinom2.
  if (engine == "lme4") {
    suppressPackageStartupMessages(library(lme4))
    fit <- glmer.nb(formula, data = d)
  } else {
    suppressPackageStartupMessages(library(glmmTMB))
    fit <- glmmTMB(formula, data = d, family = nbinom2(link = link))
  }
  cat(sprintf("logLik=%.6f\n", as.numeric(logLik(fit))))
  quit(save = "no")
}
family <- get(fam)(link = link)
if (engine == "lme4" && fam == "gaussian" && link == "identity") {
  # The linear mixed model: lmer by maximum likelihood (glmm's default; glmer would hand it to lmer with REML).
  suppressPackageStartupMessages(library(lme4))
  fit <- lmer(formula, data = d, REML = FALSE)
} else if (engine == "lme4") {
  suppressPackageStartupMessages(library(lme4))
  fit <- glmer(formula, data = d, family = family, nAGQ = nagq)
} else {
  suppressPackageStartupMessages(library(glmmTMB))
  fit <- glmmTMB(formula, data = d, family = family)
}
cat(sprintf("logLik=%.6f\n", as.numeric(logLik(fit))))
