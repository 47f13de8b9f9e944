# Reference values for the deterministic part of DHARMa's residual tests (glmm check).
# DHARMa is not installed here (Debian does not package it), so this script writes DHARMa's definitions
# (DHARMa 0.5.0, R/helper.R getQuantile method "PIT" and R/tests.R testUniformity, testDispersion type "DHARMa"
# without refits, testZeroInflation, testOutliers type "binomial" margin "both", getP two-sided) in a few lines of
# base R on top of R's own ks.test and binom.test, and evaluates them on fixed simulated matrices. The simulated
# matrix, the observed responses, the fitted values and the uniforms of the randomization are written to the
# fixture, so the C# tests feed the same numbers to ResidualCheck.FromSimulations (random streams differ between R
# and .NET; the deterministic part must agree to rounding).
# Usage: Rscript tools/check_fixtures.R   (writes tests/Glmm.Tests/fixtures/check/dharma_tests.json)
suppressPackageStartupMessages(library(jsonlite))

getP <- function(simulated, observed) min(min(mean(simulated <= observed), mean(simulated >= observed)) * 2, 1)

dharma <- function(observed, sim, fitted, u, integer) {
  nSim <- ncol(sim)
  lower <- unname(rowMeans(sim < observed))
  lowerOrEqual <- unname(rowMeans(sim <= observed))
  needs <- lower != lowerOrEqual
  # runif(n, lower, lowerOrEqual) is lower + (lowerOrEqual - lower) * u
  res <- ifelse(needs, lower + (lowerOrEqual - lower) * u, lower)
  ks <- suppressWarnings(ks.test(res, "punif"))
  expectedVar <- sd(sim)^2
  spread <- function(x) var(x - fitted) / expectedVar
  simSpread <- apply(sim, 2, spread)
  obsSpread <- spread(observed)
  countZeros <- function(x) sum(x == 0)
  simZeros <- apply(sim, 2, countZeros)
  obsZeros <- countZeros(observed)
  outliers <- sum(res < 1 / (nSim + 1)) + sum(res > 1 - 1 / (nSim + 1))
  bt <- binom.test(outliers, length(res), p = 2 / (nSim + 1))
  out <- list(
    residuals = res,
    uniformity = list(statistic = unname(ks$statistic), p = ks$p.value, exact = ks$exact),
    dispersion = list(statistic = obsSpread / mean(simSpread), p = getP(simSpread, obsSpread)),
    outliers = list(statistic = outliers, p = bt$p.value))
  if (integer) out$zeroInflation <- list(statistic = obsZeros / mean(simZeros), p = getP(simZeros, obsZeros))
  out
}

case <- function(name, observed, sim, fitted, integer) {
  u <- runif(length(observed))
  r <- dharma(observed, sim, fitted, u, integer)
  c(list(name = name, integerResponse = integer, observed = observed, fitted = fitted, uniforms = u,
         simulated = lapply(seq_len(ncol(sim)), function(j) sim[, j])), r)
}

set.seed(20261202)
cases <- list()
# Poisson, well specified, n < 100: the exact Kolmogorov distribution.
n <- 60; mu <- exp(0.5 + 0.4 * rnorm(n))
cases[[1]] <- case("poisson_exact", rpois(n, mu), matrix(rpois(n * 100, mu), n), mu, TRUE)
# Poisson, overdispersed (negative binomial counts), n = 300: the asymptotic distribution, dispersion flagged.
n <- 300; mu <- exp(1 + 0.3 * rnorm(n))
cases[[2]] <- case("poisson_overdispersed", rnbinom(n, size = 1.2, mu = mu), matrix(rpois(n * 150, mu), n), mu, TRUE)
# Zero-inflated counts.
n <- 200; mu <- exp(1.2 + 0.2 * rnorm(n))
y <- rpois(n, mu) * rbinom(n, 1, 0.7)
cases[[3]] <- case("poisson_zero_inflated", y, matrix(rpois(n * 120, mu), n), mu, TRUE)
# Binomial with trials (counts of successes), fitted as the proportion (DHARMa's fittedPredictedResponse).
n <- 80; size <- sample(1:12, n, replace = TRUE); p <- plogis(-0.3 + 0.8 * rnorm(n))
cases[[4]] <- case("binomial_trials", rbinom(n, size, p), matrix(rbinom(n * 100, size, p), n), p, TRUE)
# Gaussian (continuous: no randomization), n < 100, with a few gross outliers (outlier test's upper branch).
n <- 90; mu <- 10 + rnorm(n)
y <- rnorm(n, mu, 2); y[1:8] <- y[1:8] + 15
cases[[5]] <- case("gaussian_outliers", y, matrix(rnorm(n * 100, mu, 2), n), mu, FALSE)
# Gamma, n = 400, asymptotic KS, underdispersed observations (less spread than simulated).
n <- 400; mu <- exp(1 + 0.2 * rnorm(n))
cases[[6]] <- case("gamma_underdispersed", rgamma(n, shape = 8, rate = 8 / mu), matrix(rgamma(n * 100, shape = 2, rate = 2 / mu), n), mu, FALSE)

dir.create("tests/Glmm.Tests/fixtures/check", showWarnings = FALSE, recursive = TRUE)
doc <- list(note = paste("DHARMa 0.5.0's definitions in base R (tools/check_fixtures.R) on fixed matrices; R", R.version$major,
                         R.version$minor), cases = cases)
writeLines(toJSON(doc, digits = NA, auto_unbox = TRUE, pretty = FALSE), "tests/Glmm.Tests/fixtures/check/dharma_tests.json")
cat("wrote", length(cases), "cases\n")
for (c in cases) cat(sprintf("%-24s KS D=%.5f p=%.4g exact=%s  disp=%.4f p=%.4g  out=%d p=%.4g  zero=%s\n", c$name,
  c$uniformity$statistic, c$uniformity$p, c$uniformity$exact, c$dispersion$statistic, c$dispersion$p, c$outliers$statistic,
  c$outliers$p, if (is.null(c$zeroInflation)) "-" else sprintf("%.4f p=%.4g", c$zeroInflation$statistic, c$zeroInflation$p)))

# DHARMa's bootstrapped outlier test (testOutliers type = "bootstrap", margin = "both", two-sided; DHARMa 0.5.0 R/tests.R),
# on the integer cases above: the resamples drawn in R are written too (0-based), so the C# test ranks the same simulations.
# Outliers there are residuals exactly 0 or 1 (all simulations above, or all below: runif never returns its bounds).
getQuantilePIT <- function(simulations, observed) {
  lower <- unname(rowMeans(simulations < observed))
  lowerOrEqual <- unname(rowMeans(simulations <= observed))
  needs <- lower != lowerOrEqual
  if (any(needs)) ifelse(needs, runif(length(lower), lower, lowerOrEqual), lower) else lower
}
bootstrapOutliers <- function(c, nBoot) {
  simResp <- do.call(cbind, c$simulated)
  nSim <- ncol(simResp)
  nBoot <- min(nBoot, nSim)
  outliers <- mean(c$residuals == 0) + mean(c$residuals == 1)
  frequBoot <- rep(NA, nBoot)
  sels <- list()
  for (i in 1:nBoot) {
    sel <- sample((1:nSim)[-i], size = nSim, replace = TRUE)
    sels[[i]] <- sel - 1L
    residuals <- getQuantilePIT(simResp[, sel], simResp[, i])
    frequBoot[i] <- mean(residuals == 1) + mean(residuals == 0)
  }
  # The exchangeable variant (ours, not DHARMa's): every simulation ranked among the other simulations with the observed
  # data in its own place, by brute force (the C# code finds the same from each row's extremes).
  frequEx <- sapply(1:nSim, function(i) {
    others <- cbind(simResp[, -i, drop = FALSE], c$observed)
    mean(rowMeans(others <= simResp[, i]) == 0) + mean(rowMeans(others < simResp[, i]) == 1)
  })
  list(name = c$name, replicates = nBoot, resamples = sels, statistic = outliers * nrow(simResp),
       expectedFrequency = mean(frequBoot), p = getP(frequBoot, outliers),
       exchangeable = list(expectedFrequency = mean(frequEx), p = getP(frequEx, outliers)))
}
set.seed(20261203)
boot <- lapply(Filter(function(c) c$integerResponse, cases), bootstrapOutliers, nBoot = 60)
# A Poisson case with small means and few simulations (many residuals exactly at 0: the expectation far from 2/(nsim + 1)),
# and with more replicates asked than simulations (DHARMa caps nBoot at nSim).
n <- 150; mu <- exp(-1 + 0.5 * rnorm(n))
small <- case("poisson_small_means", rpois(n, mu), matrix(rpois(n * 30, mu), n), mu, TRUE)
boot[[length(boot) + 1]] <- bootstrapOutliers(small, nBoot = 100)
small$bootstrap <- boot[[length(boot)]]
doc2 <- list(note = paste("DHARMa 0.5.0's bootstrapped outlier test in base R (tools/check_fixtures.R) on the integer cases of",
                          "dharma_tests.json (by name) and one case of its own; resamples 0-based; R", R.version$major, R.version$minor),
             cases = boot, extraCases = list(small))
writeLines(toJSON(doc2, digits = NA, auto_unbox = TRUE, pretty = FALSE), "tests/Glmm.Tests/fixtures/check/dharma_outliers_bootstrap.json")
for (b in boot) cat(sprintf("%-24s bootstrap outliers=%g expected=%.5f p=%.4g (nBoot %d); exchangeable expected=%.5f p=%.4g\n", b$name,
  b$statistic, b$expectedFrequency, b$p, b$replicates, b$exchangeable$expectedFrequency, b$exchangeable$p))
