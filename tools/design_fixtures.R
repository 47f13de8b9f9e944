# Golden reference values for nested and crossed designs (the sparse-factor issue): four simulated
# binary-response data sets, each fitted by lme4 (Laplace) and glmmTMB.
# Simulates tests/Glmm.Tests/fixtures/data/<name>.csv (fixed seeds; only when the file is missing,
# so rerunning never changes the data) and writes tests/Glmm.Tests/fixtures/reference/<name>.json
# in the schema of tools/fit_fixtures.R.
# Run from the repository root:  Rscript tools/design_fixtures.R [names ...]
# (no arguments = all four: nested2, nested3_slope, hospital_doctor, crossed_slopes).
source("tools/fixture_helpers.R")

beta_true <- c(-0.3, 0.6)  # intercept, x
xcov <- function(n) round(rnorm(n), 6)
# 2 x 2 covariance from SDs and a correlation
cov2 <- function(s1, s2, rho) matrix(c(s1^2, rho * s1 * s2, rho * s1 * s2, s2^2), 2)
rbinary <- function(eta) rbinom(length(eta), 1, plogis(eta))
lab <- function(prefix, i, width) sprintf(paste0("%s%0", width, "d"), prefix, i)

# 1. two-level nested: 60 schools x 8 classes x 10 pupils = 4800 rows; class labels c1..c8
#    repeat within schools (the formula's school/class makes them unique).
simulate_nested2 <- function() {
  set.seed(20261201)
  ns <- 60; nc <- 8; np <- 10
  s <- rep(seq_len(ns), each = nc * np)
  cl <- rep(rep(seq_len(nc), each = np), ns)
  sc <- (s - 1) * nc + cl
  x <- xcov(length(s))
  eta <- beta_true[1] + beta_true[2] * x + rnorm(ns, 0, 0.8)[s] + rnorm(ns * nc, 0, 0.6)[sc]
  data.frame(school = lab("s", s, 2), class = lab("c", cl, 1), x = x, y = rbinary(eta))
}

# 2. three-level nested, random intercept and slope of x at the lowest level:
#    16 regions x 5 schools x 4 classes x 10 pupils = 3200 rows; labels repeat within the parent.
simulate_nested3_slope <- function() {
  set.seed(20261202)
  nr <- 16; ns <- 5; nc <- 4; np <- 10
  r <- rep(seq_len(nr), each = ns * nc * np)
  s <- rep(rep(seq_len(ns), each = nc * np), nr)
  cl <- rep(rep(seq_len(nc), each = np), nr * ns)
  rs <- (r - 1) * ns + s
  rsc <- (rs - 1) * nc + cl
  x <- xcov(length(r))
  bc <- MASS::mvrnorm(nr * ns * nc, c(0, 0), cov2(0.7, 0.6, 0.3))
  eta <- beta_true[1] + beta_true[2] * x + rnorm(nr, 0, 0.7)[r] + rnorm(nr * ns, 0, 0.6)[rs] +
    bc[rsc, 1] + bc[rsc, 2] * x
  data.frame(region = lab("r", r, 2), school = lab("s", s, 1), class = lab("c", cl, 1), x = x, y = rbinary(eta))
}

# 3. partially crossed: patients nested in wards nested in hospitals, crossed with doctors. 40
#    hospitals on a line (1..40, wrapping), 3 wards each; 60 doctors, doctor j works in 2 or 3
#    neighbouring hospitals starting at floor((j - 1) * 40 / 60) + 1. 3000 patients: hospital
#    uniform, ward uniform in the hospital, doctor uniform among the hospital's doctors.
simulate_hospital_doctor <- function() {
  set.seed(20261203)
  nh <- 40; nw <- 3; nd <- 60; n <- 3000
  start <- floor((seq_len(nd) - 1) * nh / nd) + 1
  len <- sample(2:3, nd, replace = TRUE)
  works <- lapply(seq_len(nd), function(j) ((start[j] - 1 + seq_len(len[j]) - 1) %% nh) + 1)
  docs_of <- lapply(seq_len(nh), function(h) which(vapply(works, function(w) h %in% w, logical(1))))
  stopifnot(all(lengths(docs_of) >= 2))
  h <- sample(nh, n, replace = TRUE)
  w <- sample(nw, n, replace = TRUE)
  d <- vapply(h, function(hh) { ds <- docs_of[[hh]]; ds[sample.int(length(ds), 1)] }, integer(1))
  hw <- (h - 1) * nw + w
  x <- xcov(n)
  eta <- beta_true[1] + beta_true[2] * x + rnorm(nh, 0, 0.8)[h] + rnorm(nh * nw, 0, 0.5)[hw] +
    rnorm(nd, 0, 0.6)[d]
  data.frame(hospital = lab("h", h, 2), ward = lab("w", w, 1), doctor = lab("d", d, 2), x = x, y = rbinary(eta))
}

# 4. fully crossed a x b with correlated random intercepts and slopes on both factors:
#    40 levels of a x 25 levels of b x 3 rows per cell = 3000 rows.
simulate_crossed_slopes <- function() {
  set.seed(20261204)
  na <- 40; nb <- 25; k <- 3
  a <- rep(seq_len(na), each = nb * k)
  b <- rep(rep(seq_len(nb), each = k), na)
  x <- xcov(length(a))
  ba <- MASS::mvrnorm(na, c(0, 0), cov2(0.8, 0.5, 0.3))
  bb <- MASS::mvrnorm(nb, c(0, 0), cov2(0.7, 0.6, 0.3))
  eta <- beta_true[1] + beta_true[2] * x + ba[a, 1] + ba[a, 2] * x + bb[b, 1] + bb[b, 2] * x
  data.frame(a = lab("a", a, 2), b = lab("b", b, 2), x = x, y = rbinary(eta))
}

models <- list(
  list(name = "nested2", simulate = simulate_nested2,
       formula = "y ~ x + (1 | school/class)"),
  list(name = "nested3_slope", simulate = simulate_nested3_slope,
       formula = "y ~ x + (1 | region) + (1 | region:school) + (1 + x | region:school:class)"),
  list(name = "hospital_doctor", simulate = simulate_hospital_doctor,
       formula = "y ~ x + (1 | hospital) + (1 | hospital:ward) + (1 | doctor)"),
  list(name = "crossed_slopes", simulate = simulate_crossed_slopes,
       formula = "y ~ x + (1 + x | a) + (1 + x | b)")
)

# Each package's Laplace objective at its own and at the other's estimates, as in
# tools/fit_fixtures.R, but with the random terms matched by group name (lme4 orders its terms by
# decreasing number of levels, glmmTMB keeps the formula's order).
# tmb_theta_from_vc() and cross_check() are in tools/fixture_helpers.R.

for (m in selected_models(models)) {
  message("== ", m$name)
  csv <- paste0(m$name, ".csv")
  dat <- simulated_fixture(m$name, m$simulate)
  f <- as.formula(m$formula)
  lf <- timed_fit(function() glmer(f, data = dat, family = binomial, nAGQ = 1))
  tf <- timed_fit(function() glmmTMB(f, data = dat, family = binomial))
  out <- list(name = m$name, data = csv, formula = m$formula, family = "binomial", link = "logit",
              weights = NULL, lme4 = lme4_result(lf), glmmTMB = tmb_result(tf),
              crossCheck = cross_check(f, dat, binomial, lf$fit, tf$fit))
  out$versions <- list(R = R.version.string, lme4 = as.character(packageVersion("lme4")),
                       glmmTMB = as.character(packageVersion("glmmTMB")),
                       TMB = as.character(packageVersion("TMB")),
                       Matrix = as.character(packageVersion("Matrix")),
                       loadAverage = tryCatch(readLines("/proc/loadavg"), error = function(e) NA_character_))
  write_fixture(out, m$name)
  message(sprintf("   logLik lme4 %.6f (%.2fs)  glmmTMB %.6f (%.2fs)",
                  out$lme4$logLik, out$lme4$seconds, out$glmmTMB$logLik, out$glmmTMB$seconds))
  for (who in c("lme4", "glmmTMB")) for (re in out[[who]]$randomEffects)
    message(sprintf("   %-8s %-22s sd %s cor %s", who, re$group, paste(sprintf("%.4f", re$stdDev), collapse = " "),
                    if (length(re$stdDev) > 1) sprintf("%.3f", re$correlation[1, 2]) else "-"))
  message("   lme4 warnings: ", paste(out$lme4$warnings, collapse = " | "),
          "; glmmTMB warnings: ", paste(out$glmmTMB$warnings, collapse = " | "))
}
