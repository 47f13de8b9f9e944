# Reference fits of the families with a dispersion parameter (Gamma, nbinom2) for tests/Glmm.Tests/Dispersion.
# glmmTMB (the reference: it maximises the likelihood in the dispersion, with the exact Laplace approximation) and,
# for the negative binomial, lme4's glmer.nb (theta alternated with glmer fits; Laplace with lme4's expected
# information), and for Gamma lme4's glmer (which does not maximise the likelihood in the dispersion: recorded only).
# Writes the simulated data sets as CSV under tests/Glmm.Tests/fixtures/data and one JSON fixture per model under
# tests/Glmm.Tests/fixtures/reference/dispersion (dispersion_*.json). Run from the repository root:
#   Rscript tools/dispersion_fixtures.R
suppressPackageStartupMessages({
  library(lme4)
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
    # glmmTMB's dispersion coefficient is log(theta) for nbinom2 (sigma = exp(d)) and log(shape) for Gamma
    # (sigma = exp(-d/2)): the delta method gives SE(sigma) = sigma * SE(d), times 1/2 for Gamma.
    sigmaStdError = sigma(m) * sqrt(v[disp, disp]) * (if (family(m)$family == "Gamma") 0.5 else 1),
    convergence = m$fit$convergence)
}

# 1. grouseticks, nbinom2 (glmmTMB) and glmer.nb.
d <- read.csv(file.path(data_dir, "grouseticks.csv"))
d$BROOD <- factor(d$BROOD); d$LOCATION <- factor(d$LOCATION)
f <- TICKS ~ factor(YEAR) + cHEIGHT + (1 | BROOD) + (1 | LOCATION)
m <- glmmTMB(f, family = nbinom2, data = d)
nb <- glmer.nb(f, data = d)
ref <- c(list(data = "grouseticks.csv", formula = "TICKS ~ factor(YEAR) + cHEIGHT + (1|BROOD) + (1|LOCATION)",
              family = "nbinom2", link = "log"), tmb_reference(m))
ref$glmerNb <- list(logLik = as.numeric(logLik(nb)), theta = unname(getME(nb, "glmer.nb.theta")),
                    fixedEffects = I(unname(fixef(nb))))
write_fixture(ref, "dispersion_grouseticks_nbinom2")

# 2. A simulated Gamma set with a correlated random slope, log link (fixed seed).
set.seed(20261202)
n <- 2000; ng <- 40
g <- factor(sprintf("g%02d", sample(ng, n, replace = TRUE)))
x <- rnorm(n)
b0 <- rnorm(ng, 0, 0.5); b1 <- 0.3 * (0.3 * b0 / 0.5 + sqrt(1 - 0.09) * rnorm(ng))
mu <- exp(1 + 0.5 * x + b0[g] + b1[g] * x)
y <- rgamma(n, shape = 4, rate = 4 / mu)
gd <- data.frame(y = signif(y, 10), x = round(x, 6), g = g)
write.csv(gd, file.path(data_dir, "gamma_slope.csv"), row.names = FALSE)
gd <- read.csv(file.path(data_dir, "gamma_slope.csv"), stringsAsFactors = TRUE)
m <- glmmTMB(y ~ x + (1 + x | g), family = Gamma(link = "log"), data = gd)
gl <- glmer(y ~ x + (1 + x | g), family = Gamma(link = "log"), data = gd)
ref <- c(list(data = "gamma_slope.csv", formula = "y ~ x + (1 + x | g)", family = "Gamma", link = "log"), tmb_reference(m))
ref$glmer <- list(logLik = as.numeric(logLik(gl)), sigma = sigma(gl))
write_fixture(ref, "dispersion_gamma_slope_log")

# 3. A simulated Gamma set with the inverse (canonical) link.
set.seed(7)
n <- 1000; ng <- 30
g <- factor(sprintf("h%02d", sample(ng, n, replace = TRUE)))
x <- runif(n)
eta <- 0.5 + 0.2 * x + rnorm(ng, 0, 0.05)[g]
y <- rgamma(n, shape = 2, rate = 2 * eta)
gd <- data.frame(y = signif(y, 10), x = round(x, 6), g = g)
write.csv(gd, file.path(data_dir, "gamma_inverse.csv"), row.names = FALSE)
gd <- read.csv(file.path(data_dir, "gamma_inverse.csv"), stringsAsFactors = TRUE)
m <- glmmTMB(y ~ x + (1 | g), family = Gamma(link = "inverse"), data = gd)
ref <- c(list(data = "gamma_inverse.csv", formula = "y ~ x + (1 | g)", family = "Gamma", link = "inverse"), tmb_reference(m))
write_fixture(ref, "dispersion_gamma_inverse")
print(summary(m))
cat("glmmTMB", as.character(packageVersion("glmmTMB")), "lme4", as.character(packageVersion("lme4")), "\n")

# 4. Per-row values of the families (dgamma, dnbinom, dev.resids, lgamma).
write_fixture(list(
  gamma = list(y = 2.5, mu = 1.7, phi = 0.3, logLik = dgamma(2.5, shape = 1 / 0.3, scale = 1.7 * 0.3, log = TRUE),
               devResid = Gamma()$dev.resids(2.5, 1.7, 1)),
  nbinom2 = list(y = I(c(0, 3, 17)), mu = 4.1, theta = 2.2, logLik = I(dnbinom(c(0, 3, 17), size = 2.2, mu = 4.1, log = TRUE)),
                 devResid = I(MASS::negative.binomial(2.2)$dev.resids(c(0, 3, 17), 4.1, 1))),
  lgamma = list(x = I(c(0.5, 3.7, 12.25, 171.5, 1e-8)), value = I(lgamma(c(0.5, 3.7, 12.25, 171.5, 1e-8))))),
  "dispersion_family_values")

# 5. Likelihood-ratio test between nested nbinom2 fits (glmmTMB's anova), grouseticks without and with (1 | LOCATION).
d <- read.csv(file.path(data_dir, "grouseticks.csv"))
d$BROOD <- factor(d$BROOD); d$LOCATION <- factor(d$LOCATION)
m0 <- glmmTMB(TICKS ~ factor(YEAR) + cHEIGHT + (1 | BROOD), family = nbinom2, data = d)
m1 <- glmmTMB(TICKS ~ factor(YEAR) + cHEIGHT + (1 | BROOD) + (1 | LOCATION), family = nbinom2, data = d)
a <- anova(m0, m1)
write_fixture(list(data = "grouseticks.csv", family = "nbinom2", link = "log",
                   formulas = I(c("TICKS ~ factor(YEAR) + cHEIGHT + (1|BROOD)", "TICKS ~ factor(YEAR) + cHEIGHT + (1|BROOD) + (1|LOCATION)")),
                   npar = I(unname(a$Df)), logLik = I(unname(a$logLik)), AIC = I(unname(a$AIC)),
                   chisq = unname(a$Chisq[2]), df = unname(a[["Chi Df"]][2]), p = unname(a[["Pr(>Chisq)"]][2])),
              "dispersion_grouseticks_anova")

# 6. nbinom1 (glmmTMB: size = mu/phi, Var y = mu(1 + phi), sigma() = phi): grouseticks, and a simulated set with a
# correlated random slope (fixed seed). glmmTMB's dispersion coefficient is log(phi): SE(sigma) = sigma * SE(d).
d <- read.csv(file.path(data_dir, "grouseticks.csv"))
d$BROOD <- factor(d$BROOD); d$LOCATION <- factor(d$LOCATION)
m <- glmmTMB(TICKS ~ factor(YEAR) + cHEIGHT + (1 | BROOD) + (1 | LOCATION), family = nbinom1, data = d)
ref <- c(list(data = "grouseticks.csv", formula = "TICKS ~ factor(YEAR) + cHEIGHT + (1|BROOD) + (1|LOCATION)",
              family = "nbinom1", link = "log"), tmb_reference(m))
write_fixture(ref, "dispersion_grouseticks_nbinom1")
print(summary(m))
set.seed(20261203)
n <- 1500; ng <- 30
g <- factor(sprintf("k%02d", sample(ng, n, replace = TRUE)))
x <- round(rnorm(n), 6)
b0 <- rnorm(ng, 0, 0.6); b1 <- 0.25 * (0.4 * b0 / 0.6 + sqrt(1 - 0.16) * rnorm(ng))
mu <- exp(1.2 + 0.4 * x + b0[g] + b1[g] * x)
y <- rnbinom(n, size = mu / 1.5, mu = mu)
write.csv(data.frame(y = y, x = x, g = g), file.path(data_dir, "nbinom1_slope.csv"), row.names = FALSE)
sd1 <- read.csv(file.path(data_dir, "nbinom1_slope.csv"), stringsAsFactors = TRUE)
m <- glmmTMB(y ~ x + (1 + x | g), family = nbinom1, data = sd1)
ref <- c(list(data = "nbinom1_slope.csv", formula = "y ~ x + (1 + x | g)", family = "nbinom1", link = "log"), tmb_reference(m))
write_fixture(ref, "dispersion_nbinom1_slope")
print(summary(m))
# Per-row values of nbinom1 (dnbinom with size = mu/phi) and the polygamma functions its derivatives use.
yv <- c(0, 3, 17, 150)
write_fixture(list(
  nbinom1 = list(y = I(yv), mu = 4.1, phi = 1.7, logLik = I(dnbinom(yv, size = 4.1 / 1.7, mu = 4.1, log = TRUE))),
  trigamma = list(x = I(c(0.3, 2.5, 11, 250)), value = I(trigamma(c(0.3, 2.5, 11, 250)))),
  tetragamma = list(x = I(c(0.3, 2.5, 11, 250)), value = I(psigamma(c(0.3, 2.5, 11, 250), 2)))),
  "dispersion_nbinom1_values")
