# Profile-likelihood intervals of the families with a dispersion parameter from glmmTMB (confint(method = "profile"),
# which profiles its internal parameters: log SDs and the log dispersion; a profile interval is invariant under a
# monotone transformation of the parameter, so its SD and sigma limits are comparable with ours). glmmTMB interpolates
# the profile by a spline. Reads the data sets tools/dispersion_fixtures.R wrote; writes
# tests/Glmm.Tests/fixtures/reference/dispersion/profile_*.json. Run from the repository root:
#   Rscript tools/dispersion_profile_fixtures.R
suppressPackageStartupMessages({
  library(glmmTMB)
  library(jsonlite)
})
data_dir <- "tests/Glmm.Tests/fixtures/data"
ref_dir <- "tests/Glmm.Tests/fixtures/reference/dispersion"

one <- function(name, data, formula, family, link, d) {
  message("== ", name)
  m <- glmmTMB(as.formula(formula), data = d, family = family)
  # The random-effect SDs (NULL when glmmTMB's profile fails, e.g. an SD whose profile reaches 0), glmmTMB's dispersion
  # coefficient d, the fixed effects.
  ci <- tryCatch(confint(m, method = "profile", parm = "theta_"), error = function(e) NULL)
  cs <- confint(m, method = "profile", parm = "disp_")
  cb <- confint(m, method = "profile", parm = "beta_")
  fam <- family$family
  # sigma from d: nbinom2 exp(d) (theta), nbinom1 exp(d) (phi), Gamma exp(-d/2) (1/sqrt(shape)), gaussian exp(d/2).
  to_sigma <- function(x) switch(fam, Gamma = exp(-x / 2), gaussian = exp(x / 2), exp(x))
  sl <- sort(to_sigma(unname(cs[1, 1:2])))
  rows <- function(c) lapply(seq_len(nrow(c)), function(i) list(name = rownames(c)[i], lower = unname(c[i, 1]), upper = unname(c[i, 2])))
  out <- list(data = data, formula = formula, family = fam, link = link, level = 0.95,
              logLik = as.numeric(logLik(m)), sigma = sigma(m),
              stdDev = if (is.null(ci)) NULL else rows(ci), sigmaInterval = list(lower = sl[1], upper = sl[2]), fixedEffects = rows(cb),
              versions = list(glmmTMB = as.character(packageVersion("glmmTMB")), R = paste(R.version$major, R.version$minor, sep = ".")))
  path <- file.path(ref_dir, paste0(name, ".json"))
  writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null", na = "null"), path, useBytes = TRUE)
  message("wrote ", path)
  print(ci); print(cs); print(cb)
}

gt <- read.csv(file.path(data_dir, "grouseticks.csv"))
gt$BROOD <- factor(gt$BROOD); gt$LOCATION <- factor(gt$LOCATION)
one("profile_grouseticks_nbinom2", "grouseticks.csv", "TICKS ~ factor(YEAR) + cHEIGHT + (1|BROOD) + (1|LOCATION)", nbinom2(), "log", gt)
gi <- read.csv(file.path(data_dir, "gamma_inverse.csv"), stringsAsFactors = TRUE)
one("profile_gamma_inverse", "gamma_inverse.csv", "y ~ x + (1 | g)", Gamma(link = "inverse"), "inverse", gi)
