# Reference values for links, families and ordinary GLM fits, from R's stats package.
# Run from the repository root: Rscript tools/glm_fixtures.R
# Writes plain CSV (no quoted fields, numbers with 17 significant digits) to tests/Glmm.Tests/fixtures/glm.
Sys.setlocale("LC_COLLATE", "C")
out <- "tests/Glmm.Tests/fixtures/glm"
dir.create(out, recursive = TRUE, showWarnings = FALSE)
num <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
w <- function(d, name) {
  for (j in seq_along(d)) if (is.numeric(d[[j]])) d[[j]] <- num(d[[j]])
  write.csv(d, file.path(out, name), row.names = FALSE, quote = FALSE)
}

# ---- links: linkinv and mu.eta on a grid of eta; linkfun on a grid of mu
links <- c("logit", "probit", "cauchit", "cloglog", "identity", "log", "sqrt")
eta <- c(-800, -40, -35, -30.5, -30, -29.9, -20, -10, -8.2, -8.125, -5, -2, -1, -0.5, -1e-3, -1e-10,
         0, 1e-10, 1e-3, 0.5, 1, 2, 5, 8.125, 8.2, 10, 20, 29.9, 30, 30.5, 35, 40, 700, 710, 800)
eta <- sort(unique(c(eta, seq(-39.1, 39.1, by = 0.23))))  # plus a dense grid
d <- do.call(rbind, lapply(links, function(l) {
  lk <- make.link(l)
  data.frame(link = l, eta = eta, linkinv = lk$linkinv(eta), mu_eta = lk$mu.eta(eta))
}))
w(d, "link_inverse.csv")
mu01 <- c(1e-300, 1e-15, 2.220446049250313e-16, 1e-8, 1e-3, 0.1, 0.3, 0.5, 0.7, 0.9, 0.999, 1 - 1e-8, 1 - 1e-15)
mu01 <- sort(unique(c(mu01, 10^seq(-300, -0.5, by = 3.7), seq(0.01, 0.99, by = 0.0123), 1 - 10^-seq(1, 15.5, by = 0.29))))
mupos <- c(1e-300, 1e-10, 0.5, 1, 3, 100, 1e10)
d <- do.call(rbind, lapply(links, function(l) {
  mu <- if (l %in% c("identity", "log", "sqrt")) mupos else mu01
  data.frame(link = l, mu = mu, linkfun = make.link(l)$linkfun(mu))
}))
w(d, "link_apply.csv")

# ---- families: per-row dev.resids and log-likelihood (aic with n = 1, i.e. m = wt)
bin <- data.frame(
  y  = c(0, 1, 0, 1, 0.3, 0.25, 0.4, 0.5, 0.5, 0.4, 1, 0, 0.7, 0.3, 2/3, 0.5, 0.5),
  mu = c(0.2, 0.2, 1e-10, 1 - 1e-10, 0.2, 0.3, 0.4000001, 0.5, 0.01, 0.41, 0.999, 0.001, 0.7, 0.3, 0.6, 0.5, 0.3),
  wt = c(1, 1, 1, 1, 10, 4, 1e6, 1000, 2, 5e7, 3, 2, 10, 0, 3, 2.5, 1))
bin$devres <- binomial()$dev.resids(bin$y, bin$mu, bin$wt)
bin$loglik <- sapply(seq_len(nrow(bin)), function(i) -binomial()$aic(bin$y[i], 1, bin$mu[i], bin$wt[i], 0) / 2)
bin$variance <- binomial()$variance(bin$mu)
bin$mustart <- (bin$wt * bin$y + 0.5) / (bin$wt + 1)
w(cbind(family = "binomial", bin), "family_binomial.csv")
poi <- data.frame(
  y  = c(0, 0, 1, 3, 3, 10, 1000, 1e6, 123456789, 0, 7, 2, 5),
  mu = c(0.5, 1e-8, 1, 2.9, 30, 10.000001, 1000.5, 1e6 + 3, 123456000, 20, 7, 3.3, 4.2),
  wt = c(1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 0.5, 3, 0))
poi$devres <- poisson()$dev.resids(poi$y, poi$mu, poi$wt)
poi$loglik <- poi$wt * dpois(poi$y, poi$mu, log = TRUE)
poi$variance <- poisson()$variance(poi$mu)
poi$mustart <- poi$y + 0.1
w(cbind(family = "poisson", poi), "family_poisson.csv")

# whole-data binomial rule: m = if (any(n > 1)) n else wt
sets <- list(
  zero_one_weighted = list(y = c(0, 1, 1, 0), n = c(1, 1, 1, 1), wt = c(2, 3, 1, 5), mu = c(0.3, 0.6, 0.2, 0.45)),
  cbind_prior_weights = list(y = c(0.4, 1/3, 1, 0), n = c(5, 3, 1, 4), wt = c(10, 3, 2, 4), mu = c(0.3, 0.5, 0.8, 0.1)))
d <- do.call(rbind, lapply(names(sets), function(s) {
  v <- sets[[s]]
  data.frame(set = s, y = v$y, n = v$n, wt = v$wt, mu = v$mu,
             total_loglik = -binomial()$aic(v$y, v$n, v$mu, v$wt, 0) / 2)
}))
w(d, "binomial_whole_data.csv")

# ---- glm fits on the exported data sets (read back from our CSVs so inputs are identical)
dat <- "tests/Glmm.Tests/fixtures/data"
cbpp <- read.csv(file.path(dat, "cbpp.csv"), stringsAsFactors = TRUE)
cbpp$period <- factor(cbpp$period)
contra <- read.csv(file.path(dat, "Contraception.csv"), stringsAsFactors = TRUE)
contra$livch <- factor(contra$livch)
grouse <- read.csv(file.path(dat, "grouseticks.csv"), stringsAsFactors = TRUE)
grouse$YEAR <- factor(grouse$YEAR)
toy <- data.frame(y = c(0, 0, 0, 1, 5, 10, 20, 2, 0, 1), x = c(1:7, 2, 1, 3), yb = c(0, 0, 1, 0, 1, 1, 1, 0, 1, 1))
fits <- list(
  cbpp_logit = glm(cbind(incidence, size - incidence) ~ period, binomial, cbpp),
  cbpp_cauchit = glm(cbind(incidence, size - incidence) ~ period, binomial("cauchit"), cbpp),
  # the GLMs that cbpp's GLMM reduces to at theta = 0 (PirlsTests)
  cbpp_probit = glm(cbind(incidence, size - incidence) ~ period, binomial("probit"), cbpp),
  cbpp_cloglog = glm(cbind(incidence, size - incidence) ~ period, binomial("cloglog"), cbpp),
  contra_probit = glm(use ~ age + I(age^2) + urban + livch, binomial("probit"), contra),
  contra_cloglog = glm(use ~ age + I(age^2) + urban + livch, binomial("cloglog"), contra),
  grouse_poisson = glm(TICKS ~ YEAR + cHEIGHT + offset(log(HEIGHT / 100)), poisson, grouse),
  grouse_sqrt = glm(TICKS ~ cHEIGHT, poisson("sqrt"), grouse),
  # toy data whose fits end on the boundary after "step size truncated: out of bounds" halvings
  toy_identity = glm(y ~ x, poisson("identity"), toy, start = c(1, 1)),
  toy_sqrt = glm(y ~ x, poisson("sqrt"), toy, start = c(0.5, 0.5)),
  # logistic fit; from start (-6, 2) R's IRLS (no halving on a deviance increase) ends at a wrong point
  toy_logit = glm(yb ~ x, binomial, toy),
  toy_logit_badstart = glm(yb ~ x, binomial, toy, start = c(-6, 2)))
d <- do.call(rbind, lapply(names(fits), function(f) {
  s <- summary(fits[[f]])$coefficients
  data.frame(model = f, term = rownames(s), estimate = s[, 1], se = s[, 2])
}))
w(d, "glm_coefficients.csv")
d <- do.call(rbind, lapply(names(fits), function(f) {
  m <- fits[[f]]
  data.frame(model = f, deviance = deviance(m), loglik = as.numeric(logLik(m)), aic = AIC(m), iter = m$iter,
             boundary = m$boundary)
}))
w(d, "glm_summary.csv")

# ---- the standard normal distribution (used by the probit link and by Wald p-values)
x <- sort(unique(c(seq(-38.4, 8.3, by = 0.0917), -37.5, -20, -10, -5.656854248, -0.66291, 0, 0.66291, 5.656854248)))
w(data.frame(x = x, pnorm = pnorm(x), dnorm = dnorm(x)), "normal_cdf.csv")
p <- sort(unique(c(10^seq(-300, -0.31, by = 1.3), seq(0.5, 0.99, by = 0.0137), 1 - 10^-seq(2, 15.6, by = 0.2))))
w(data.frame(p = p, qnorm = qnorm(p)), "normal_quantile.csv")
