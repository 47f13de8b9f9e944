# Golden reference values for a second set of designs, beyond tools/design_fixtures.R's four: Poisson and
# probit fits, three crossed factors, uncorrelated slopes, aggregated binomial responses, an offset, nested
# terms written in reverse order, unbalanced nesting with singleton groups, numeric-coded nested ids, and a
# slope on the crossed factor of a partially crossed design. Each simulated with its own fixed seed into
# tests/Glmm.Tests/fixtures/data/<name>.csv (only when the file is missing, so rerunning never changes the
# data) and fitted by lme4 (Laplace) and glmmTMB into tests/Glmm.Tests/fixtures/reference/<name>.json in the
# schema of tools/fit_fixtures.R.
# Run from the repository root:  Rscript tools/design_battery_fixtures.R [names ...]
source("tools/fixture_helpers.R")

lab <- function(prefix, i, width = 1) sprintf(paste0("%s%0", width, "d"), prefix, i)
xcov <- function(n) round(rnorm(n), 6)

# Poisson, (1 + x | school) + (1 | school:class): 60 schools x 6 classes x 8 rows; class labels repeat.
sim_pois_nested_slope <- function() {
  set.seed(20261301)
  ns <- 60; nc <- 6; per <- 8
  s <- rep(seq_len(ns), each = nc * per); cl <- rep(rep(seq_len(nc), each = per), ns)
  x <- xcov(length(s))
  eta <- 0.3 + 0.2 * x + rnorm(ns, 0, 0.5)[s] + rnorm(ns, 0, 0.3)[s] * x + rnorm(ns * nc, 0, 0.4)[(s - 1) * nc + cl]
  data.frame(school = lab("s", s, 2), class = lab("c", cl), x = x, y = rpois(length(s), exp(eta)))
}

# Binary, three crossed factors of 80, 40 and 15 levels, 6000 rows.
sim_bin_crossed3 <- function() {
  set.seed(20261302)
  n <- 6000; a <- sample(80, n, TRUE); b <- sample(40, n, TRUE); cc <- sample(15, n, TRUE); x <- xcov(n)
  eta <- -0.2 + 0.5 * x + rnorm(80, 0, 0.8)[a] + rnorm(40, 0, 0.5)[b] + rnorm(15, 0, 0.3)[cc]
  data.frame(a = lab("a", a, 2), b = lab("b", b, 2), c = lab("c", cc, 2), x = x, y = rbinom(n, 1, plogis(eta)))
}

# Binary, (1 | class) + (1 | school) (the nested term first): 50 schools with 1-7 classes of 1, 2, 5 or 12 rows.
sim_bin_nested_reverse <- function() {
  set.seed(20261303)
  rows <- list()
  for (s in 1:50) for (cl in seq_len(sample(1:7, 1))) {
    m <- sample(c(1, 2, 5, 12), 1)
    rows[[length(rows) + 1]] <- data.frame(school = lab("S", s, 2), class = paste0(lab("S", s, 2), "C", cl), x = xcov(m))
  }
  d <- do.call(rbind, rows)
  us <- rnorm(50, 0, 0.7); uc <- rnorm(nrow(d), 0, 0.6)
  eta <- 0.1 + 0.4 * d$x + us[as.integer(substr(d$school, 2, 3))] + uc[match(d$class, unique(d$class))]
  d$y <- rbinom(nrow(d), 1, plogis(eta))
  d
}

# Binary, (1 + x || a) + (1 | b): 100 x 30 crossed levels, 5000 rows.
sim_bin_crossed_uncorr <- function() {
  set.seed(20261304)
  n <- 5000; a <- sample(100, n, TRUE); b <- sample(30, n, TRUE); x <- xcov(n)
  eta <- 0.2 + 0.3 * x + rnorm(100, 0, 0.7)[a] + rnorm(100, 0, 0.4)[a] * x + rnorm(30, 0, 0.5)[b]
  data.frame(a = lab("a", a, 3), b = lab("b", b, 2), x = x, y = rbinom(n, 1, plogis(eta)))
}

# Aggregated binomial, cbind(succ, size - succ) ~ x + (1 | school/class): 40 schools x 5 classes, sizes 1-20.
sim_binagg_nested <- function() {
  set.seed(20261305)
  ns <- 40; nc <- 5
  s <- rep(seq_len(ns), each = nc); cl <- rep(seq_len(nc), ns)
  size <- sample(1:20, ns * nc, TRUE); x <- xcov(ns * nc)
  eta <- -0.5 + 0.6 * x + rnorm(ns, 0, 0.6)[s] + rnorm(ns * nc, 0, 0.5)
  data.frame(school = lab("s", s, 2), class = lab("k", cl), x = x, size = size, succ = rbinom(ns * nc, size, plogis(eta)))
}

# Binary, (1 | hospital) + (1 + x | doctor): 30 hospitals, each drawing its 60 patients' doctors from 6 of 120.
sim_bin_partial_slope <- function() {
  set.seed(20261306)
  nh <- 30; h <- rep(seq_len(nh), each = 60)
  doc <- unlist(lapply(seq_len(nh), function(k) sample(sample(120, 6), 60, TRUE)))
  x <- xcov(length(h))
  eta <- -0.3 + 0.4 * x + rnorm(nh, 0, 0.5)[h] + rnorm(120, 0, 0.6)[doc] + rnorm(120, 0, 0.3)[doc] * x
  data.frame(hospital = lab("H", h, 2), doctor = lab("D", doc, 3), x = x, y = rbinom(length(h), 1, plogis(eta)))
}

# Poisson with an exposure offset, 60 x 50 crossed levels, 4000 rows.
sim_pois_crossed_offset <- function() {
  set.seed(20261307)
  n <- 4000; a <- sample(60, n, TRUE); b <- sample(50, n, TRUE); t <- round(runif(n, 0.5, 3), 6)
  eta <- log(t) + 0.5 + rnorm(60, 0, 0.4)[a] + rnorm(50, 0, 0.3)[b]
  data.frame(a = lab("a", a, 2), b = lab("b", b, 2), t = t, y = rpois(n, exp(eta)))
}

# Binary with the probit link, (1 | a) + (1 + x | b): 150 x 40 crossed levels, 6000 rows.
sim_probit_crossed_slope <- function() {
  set.seed(20261308)
  n <- 6000; a <- sample(150, n, TRUE); b <- sample(40, n, TRUE); x <- xcov(n)
  eta <- 0.1 + 0.3 * x + rnorm(150, 0, 0.5)[a] + rnorm(40, 0, 0.4)[b] + rnorm(40, 0, 0.3)[b] * x
  data.frame(a = lab("a", a, 3), b = lab("b", b, 2), x = x, y = rbinom(n, 1, pnorm(eta)))
}

# Binary, y ~ x + f + (1 | s/c) with integer-coded s and c (c repeats within s) and a three-level factor f.
sim_bin_nested_numeric <- function() {
  set.seed(20261309)
  ns <- 30; s <- rep(seq_len(ns), each = 40); cl <- rep(rep(1:4, each = 10), ns)
  x <- xcov(length(s)); f <- sample(c("u", "v", "w"), length(s), TRUE)
  eta <- -0.2 + 0.5 * x + 0.3 * (f == "v") + rnorm(ns, 0, 0.8)[s] + rnorm(ns * 4, 0, 0.5)[(s - 1) * 4 + cl]
  data.frame(s = s, c = cl, x = x, f = f, y = rbinom(length(s), 1, plogis(eta)))
}

models <- list(
  list(name = "pois_nested_slope", formula = "y ~ x + (1 + x | school) + (1 | school:class)", family = poisson()),
  list(name = "bin_crossed3", formula = "y ~ x + (1 | a) + (1 | b) + (1 | c)", family = binomial()),
  list(name = "bin_nested_reverse", formula = "y ~ x + (1 | class) + (1 | school)", family = binomial()),
  list(name = "bin_crossed_uncorr", formula = "y ~ x + (1 + x || a) + (1 | b)", family = binomial()),
  list(name = "binagg_nested", formula = "cbind(succ, size - succ) ~ x + (1 | school/class)", family = binomial()),
  list(name = "bin_partial_slope", formula = "y ~ x + (1 | hospital) + (1 + x | doctor)", family = binomial()),
  list(name = "pois_crossed_offset", formula = "y ~ 1 + offset(log(t)) + (1 | a) + (1 | b)", family = poisson()),
  list(name = "probit_crossed_slope", formula = "y ~ x + (1 | a) + (1 + x | b)", family = binomial(link = "probit")),
  list(name = "bin_nested_numeric", formula = "y ~ x + f + (1 | s/c)", family = binomial())
)

for (m in selected_models(models)) {
  message("== ", m$name)
  csv <- paste0(m$name, ".csv")
  dat <- simulated_fixture(m$name, get(paste0("sim_", m$name)))
  if (m$name == "bin_nested_numeric") { dat$s <- as.integer(dat$s); dat$c <- as.integer(dat$c) }
  f <- as.formula(m$formula)
  fam <- m$family
  lf <- timed_fit(function() glmer(f, data = dat, family = fam, nAGQ = 1))
  tf <- timed_fit(function() glmmTMB(f, data = dat, family = fam))
  out <- list(name = m$name, data = csv, formula = m$formula, family = fam$family, link = fam$link,
              weights = NULL, lme4 = lme4_result(lf), glmmTMB = tmb_result(tf),
              crossCheck = cross_check(f, dat, fam, lf$fit, tf$fit))
  out$versions <- list(R = R.version.string, lme4 = as.character(packageVersion("lme4")),
                       glmmTMB = as.character(packageVersion("glmmTMB")),
                       TMB = as.character(packageVersion("TMB")),
                       Matrix = as.character(packageVersion("Matrix")))
  write_fixture(out, m$name)
  message(sprintf("   logLik lme4 %.6f (%.2fs)  glmmTMB %.6f (%.2fs)",
                  out$lme4$logLik, out$lme4$seconds, out$glmmTMB$logLik, out$glmmTMB$seconds))
}
