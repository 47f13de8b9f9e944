# Reference fits of the Gaussian family with non-identity links (log, inverse) through the GLMM path, for
# tests/Glmm.Tests/Dispersion/GaussianLinkReferenceTests.cs. glmmTMB is the reference (lme4's glmer refuses the
# gaussian family; lmer has only the identity link): sigma() is the residual SD, glmmTMB's dispersion coefficient d is
# log(sigma^2) (fixef(m)$disp), so SE(sigma) = sigma * SE(d) / 2. Writes the simulated data set as CSV under tests/Glmm.Tests/fixtures/data and
# one JSON fixture per model under tests/Glmm.Tests/fixtures/reference/dispersion (gaussian_*.json). Existing fixtures
# are not touched. Run from the repository root:
#   Rscript tools/gaussian_link_fixtures.R
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

tmb_reference <- function(m) {
  cf <- summary(m)$coefficients$cond
  vc <- VarCorr(m)$cond
  v <- vcov(m, full = TRUE)
  disp <- grep("^d~", rownames(v))
  list(
    logLik = as.numeric(logLik(m)),
    fixedEffects = lapply(seq_len(nrow(cf)), function(i) list(name = rownames(cf)[i], estimate = unname(cf[i, 1]), stdError = unname(cf[i, 2]))),
    stdDev = I(unname(unlist(lapply(vc, function(x) attr(x, "stddev"))))),
    correlations = I(unname(unlist(lapply(vc, function(x) { cr <- attr(x, "correlation"); if (is.null(cr)) numeric(0) else cr[lower.tri(cr)] })))),
    sigma = sigma(m),
    sigmaStdError = sigma(m) * sqrt(v[disp, disp]) / 2,
    logSigma2 = unname(fixef(m)$disp),
    convergence = m$fit$convergence)
}

# 1. A simulated positive response with a correlated random slope, log link (fixed seed).
set.seed(20261203)
n <- 1500; ng <- 30
g <- factor(sprintf("g%02d", sample(ng, n, replace = TRUE)))
x <- rnorm(n)
b0 <- rnorm(ng, 0, 0.4); b1 <- 0.2 * (0.4 * b0 / 0.4 + sqrt(1 - 0.16) * rnorm(ng))
mu <- exp(2.5 + 0.4 * x + b0[g] + b1[g] * x)
y <- mu + rnorm(n, 0, 1)
stopifnot(all(y > 0))
gd <- data.frame(y = signif(y, 10), x = round(x, 6), g = g)
write.csv(gd, file.path(data_dir, "gaussian_log_slope.csv"), row.names = FALSE)
gd <- read.csv(file.path(data_dir, "gaussian_log_slope.csv"), stringsAsFactors = TRUE)
m <- glmmTMB(y ~ x + (1 + x | g), family = gaussian(link = "log"), data = gd)
ref <- c(list(data = "gaussian_log_slope.csv", formula = "y ~ x + (1 + x | g)", family = "gaussian", link = "log"), tmb_reference(m))
write_fixture(ref, "gaussian_log_slope")

# 2. sleepstudy, log link, correlated random slope.
sl <- read.csv(file.path(data_dir, "sleepstudy.csv"), stringsAsFactors = TRUE)
sl$Subject <- factor(sl$Subject)
m <- glmmTMB(Reaction ~ Days + (Days | Subject), family = gaussian(link = "log"), data = sl)
ref <- c(list(data = "sleepstudy.csv", formula = "Reaction ~ Days + (Days | Subject)", family = "gaussian", link = "log"), tmb_reference(m))
write_fixture(ref, "gaussian_sleepstudy_log")

# 3. A simulated positive response, inverse link, random intercept (sleepstudy's starting values fail in glmmTMB).
set.seed(11)
n <- 800; ng <- 25
g <- factor(sprintf("h%02d", sample(ng, n, replace = TRUE)))
x <- runif(n)
mu <- 1 / (0.5 + 0.3 * x + rnorm(ng, 0, 0.08)[g])
y <- mu + rnorm(n, 0, 0.2)
stopifnot(all(y > 0))
gd <- data.frame(y = signif(y, 10), x = round(x, 6), g = g)
write.csv(gd, file.path(data_dir, "gaussian_inverse.csv"), row.names = FALSE)
gd <- read.csv(file.path(data_dir, "gaussian_inverse.csv"), stringsAsFactors = TRUE)
m <- glmmTMB(y ~ x + (1 | g), family = gaussian(link = "inverse"), data = gd)
ref <- c(list(data = "gaussian_inverse.csv", formula = "y ~ x + (1 | g)", family = "gaussian", link = "inverse"), tmb_reference(m))
write_fixture(ref, "gaussian_inverse")
