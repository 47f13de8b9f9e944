# glmmTMB REML = TRUE (beta integrated out with the random effects by one Laplace approximation) for the families with
# a dispersion parameter, the reference of `glmm fit --reml laplace` for Gamma, nbinom2, nbinom1 and gaussian(log).
# Reads the data sets tools/dispersion_fixtures.R and tools/gaussian_link_fixtures.R wrote (their fixtures untouched);
# writes tests/Glmm.Tests/fixtures/reference/dispersion/reml_*.json. Run from the repository root:
#   Rscript tools/dispersion_reml_fixtures.R
suppressPackageStartupMessages({
  library(glmmTMB)
  library(jsonlite)
})
data_dir <- "tests/Glmm.Tests/fixtures/data"
ref_dir <- "tests/Glmm.Tests/fixtures/reference/dispersion"

write_fixture <- function(x, name) {
  path <- file.path(ref_dir, paste0(name, ".json"))
  writeLines(toJSON(x, auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null", na = "null"), path, useBytes = TRUE)
  message("wrote ", path)
}

reml_reference <- function(m, ml) {
  cf <- summary(m)$coefficients$cond
  vc <- VarCorr(m)$cond
  fam <- family(m)$family
  # The dispersion coefficient's SE from the fixed-parameter covariance (theta and d are the outer parameters):
  # log(theta) for nbinom2, log(phi) for nbinom1, log(shape) for Gamma (sigma = exp(-d/2)), log(sigma^2) for gaussian
  # (sigma = exp(d/2)): SE(sigma) = sigma * SE(d), times 1/2 for Gamma and gaussian.
  v <- m$sdr$cov.fixed
  disp <- which(rownames(v) == "betadisp" | rownames(v) == "betad")
  list(
    # logLik() of a REML fit is minus the restricted objective (the Laplace-integrated likelihood over (b, beta)).
    restrictedLogLik = as.numeric(logLik(m)),
    objective = m$fit$objective,
    fixedEffects = lapply(seq_len(nrow(cf)), function(i) list(name = rownames(cf)[i], estimate = unname(cf[i, 1]), stdError = unname(cf[i, 2]))),
    stdDev = I(unname(unlist(lapply(vc, function(x) attr(x, "stddev"))))),
    correlations = I(unname(unlist(lapply(vc, function(x) { cr <- attr(x, "correlation"); if (is.null(cr)) numeric(0) else cr[lower.tri(cr)] })))),
    sigma = sigma(m),
    sigmaStdError = sigma(m) * sqrt(v[disp, disp]) * (if (fam %in% c("Gamma", "gaussian")) 0.5 else 1),
    convergence = m$fit$convergence,
    ml = list(logLik = as.numeric(logLik(ml)), stdDev = I(unname(unlist(lapply(VarCorr(ml)$cond, function(x) attr(x, "stddev"))))),
              sigma = sigma(ml)))
}

one <- function(name, data, formula, family, link, d) {
  message("== ", name)
  f <- as.formula(formula)
  m <- glmmTMB(f, data = d, family = family, REML = TRUE)
  ml <- glmmTMB(f, data = d, family = family)
  ref <- c(list(data = data, formula = formula, family = family$family, link = link, REML = TRUE), reml_reference(m, ml))
  ref$versions <- list(glmmTMB = as.character(packageVersion("glmmTMB")), TMB = as.character(packageVersion("TMB")),
                       R = paste(R.version$major, R.version$minor, sep = "."))
  write_fixture(ref, name)
  print(summary(m))
}

gt <- read.csv(file.path(data_dir, "grouseticks.csv"))
gt$BROOD <- factor(gt$BROOD); gt$LOCATION <- factor(gt$LOCATION)
one("reml_grouseticks_nbinom2", "grouseticks.csv", "TICKS ~ factor(YEAR) + cHEIGHT + (1|BROOD) + (1|LOCATION)", nbinom2(), "log", gt)
one("reml_grouseticks_nbinom1", "grouseticks.csv", "TICKS ~ factor(YEAR) + cHEIGHT + (1|BROOD) + (1|LOCATION)", nbinom1(), "log", gt)
gs <- read.csv(file.path(data_dir, "gamma_slope.csv"), stringsAsFactors = TRUE)
one("reml_gamma_slope_log", "gamma_slope.csv", "y ~ x + (1 + x | g)", Gamma(link = "log"), "log", gs)
gi <- read.csv(file.path(data_dir, "gamma_inverse.csv"), stringsAsFactors = TRUE)
one("reml_gamma_inverse", "gamma_inverse.csv", "y ~ x + (1 | g)", Gamma(link = "inverse"), "inverse", gi)
gl <- read.csv(file.path(data_dir, "gaussian_log_slope.csv"), stringsAsFactors = TRUE)
one("reml_gaussian_log_slope", "gaussian_log_slope.csv", "y ~ x + (1 + x | g)", gaussian(link = "log"), "log", gl)
