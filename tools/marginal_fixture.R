# Reference values for the population-averaged (marginal) coefficients and predictions (issue 16), from lme4 fits.
# Run from the repository root:  Rscript tools/marginal_fixture.R [names ...]   (no names = all; about 6 minutes)
# Writes tests/Glmm.Tests/fixtures/marginal/<name>.json (and the simulated data sets under fixtures/data).
#
# The marginal mean of row i is E[g^-1(x_i'beta + z_i'b)], b ~ N(0, Sigma(theta)). Here it is computed by brute force,
# independently of the library's method (which reduces z'b to one normal variable and uses Gauss-Hermite): b = L u with
# u ~ N(0, I_q) and a q-dimensional product trapezoid grid of step H over [-U, U]^q weighted by the normal density (q = 2
# for a random intercept and slope, or two crossed intercepts). The trapezoid rule on the real line converges
# geometrically for these analytic integrands; with H = 0.05, U = 8.5 its error is far below 1e-10 (checked below by
# halving H). The marginal coefficients are the least-squares fit of g(marginal means) on X (Hedeker et al. 2018;
# GLMMadaptive's marginal_coefs), all from the same (theta, beta) that are written to the fixture.
# Standard errors: the delta method, J V J', V = 2 H^-1 with H lme4's finite-difference Hessian of the deviance in
# (theta, beta) (fit@optinfo$derivs$Hessian), J the central-difference Jacobian of the brute-force coefficients.
suppressPackageStartupMessages({ library(lme4); library(glmmTMB); library(jsonlite) })
invisible(Sys.setlocale("LC_COLLATE", "C"))
data_dir <- "tests/Glmm.Tests/fixtures/data"
out_dir <- "tests/Glmm.Tests/fixtures/marginal"
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)

grid1 <- function(H, U) { u <- seq(-U, U, by = H); list(u = u, w = H * dnorm(u)) }

# Marginal means of the rows of X (fixed) and Z (random-effect covariates, one column per effect, ordered as the
# blocks of L) with b = L u, by the product grid.
brute_means <- function(X, Z, beta, L, linkinv, H = 0.05, U = 8.5) {
  g <- grid1(H, U)
  q <- ncol(Z)
  if (q == 1) { nodes <- matrix(g$u, ncol = 1); w <- g$w }
  else {
    e <- expand.grid(rep(list(seq_along(g$u)), q))
    nodes <- sapply(seq_len(q), function(k) g$u[e[[k]]])
    w <- apply(sapply(seq_len(q), function(k) g$w[e[[k]]]), 1, prod)
  }
  B <- nodes %*% t(L)                # grid points of b, one row each
  eta0 <- drop(X %*% beta)
  key <- paste(eta0, apply(Z, 1, paste, collapse = ","))
  u <- !duplicated(key)
  mu_u <- vapply(which(u), function(i) sum(w * linkinv(eta0[i] + drop(B %*% Z[i, ]))), 0.0)
  mu_u[match(key, key[u])]
}

brute_coefs <- function(X, Z, beta, L, link) {
  mu <- brute_means(X, Z, beta, L, link$linkinv)
  drop(solve(crossprod(X), crossprod(X, link$linkfun(mu))))
}

# L from lme4's theta for the model's terms: block-diagonal over the terms (Lambda's pattern for one level).
lambda_block <- function(fit) {
  th <- getME(fit, "theta")
  cnms <- fit@cnms
  q <- sum(lengths(cnms))
  L <- matrix(0, q, q)
  pos <- 0; k <- 0
  for (t in seq_along(cnms)) {
    qt <- length(cnms[[t]])
    for (j in seq_len(qt)) for (i in j:qt) { k <- k + 1; L[pos + i, pos + j] <- th[k] }
    pos <- pos + qt
  }
  L
}

# Z columns per observation for one level of each term, in lme4's term order (cnms).
z_columns <- function(fit, data) {
  cnms <- fit@cnms
  do.call(cbind, lapply(seq_along(cnms), function(t) {
    if (identical(cnms[[t]], "(Intercept)")) return(matrix(1, nrow(data), 1))
    m <- model.matrix(terms(fit, fixed.only = FALSE), data)
    m[, cnms[[t]], drop = FALSE]
  }))
}

selected <- commandArgs(TRUE)
one <- function(name, data_file, formula, newdata) {
  if (length(selected) > 0 && !(name %in% selected)) return(invisible(NULL))
  d <- read.csv(file.path(data_dir, data_file), stringsAsFactors = TRUE)
  # Tight optimiser tolerances: lme4's default bobyqa stop left the simulated slope model 0.007 below its maximum.
  fit <- glmer(as.formula(formula), data = d, family = binomial,
    control = glmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-10, maxfun = 1e5)))
  link <- binomial()$linkfun
  lk <- make.link("logit")
  X <- getME(fit, "X")
  Z <- z_columns(fit, d)
  beta <- unname(fixef(fit))
  L <- lambda_block(fit)
  th <- getME(fit, "theta")
  t0 <- proc.time()[["elapsed"]]
  mc <- brute_coefs(X, Z, beta, L, lk)
  secs <- proc.time()[["elapsed"]] - t0
  # The grid's own error: halve the step and widen the range.
  mc_fine <- drop(solve(crossprod(X), crossprod(X, lk$linkfun(brute_means(X, Z, beta, L, lk$linkinv, H = 0.025, U = 9.5)))))
  message(name, ": marginal coefficients ", paste(format(mc, digits = 12), collapse = " "),
    "; grid error ", format(max(abs(mc - mc_fine)), digits = 3), " (", round(secs, 1), " s)")
  # Delta method from lme4's Hessian in (theta, beta).
  Hs <- fit@optinfo$derivs$Hessian
  V <- 2 * solve(Hs)
  pars <- c(th, beta)
  nth <- length(th)
  coef_at <- function(p) {
    f2 <- fit
    Lp <- lambda_block_from(fit, p[seq_len(nth)])
    brute_coefs(X, Z, p[-seq_len(nth)], Lp, lk)
  }
  J <- sapply(seq_along(pars), function(k) {
    h <- 1e-4 * max(1, abs(pars[k]))
    pp <- pars; pp[k] <- pp[k] + h
    pm <- pars; pm[k] <- pm[k] - h
    (coef_at(pp) - coef_at(pm)) / (2 * h)
  })
  se <- sqrt(diag(J %*% V %*% t(J)))
  # Marginal predictions for new data.
  nd_path <- file.path(out_dir, paste0(name, "_newdata.csv"))
  write.csv(newdata, nd_path, row.names = FALSE)
  nd <- read.csv(nd_path, stringsAsFactors = TRUE)
  tt <- delete.response(terms(fit, fixed.only = TRUE))
  xlev <- Filter(Negate(is.null), lapply(fit@frame, levels))
  Xn <- model.matrix(tt, model.frame(tt, nd, xlev = xlev))
  ndz <- nd; ndz[[all.vars(as.formula(formula))[1]]] <- d[[all.vars(as.formula(formula))[1]]][1]
  for (v in names(xlev)) if (v %in% names(ndz)) ndz[[v]] <- factor(ndz[[v]], levels = xlev[[v]])
  Zn <- z_columns(fit, ndz)
  pred <- brute_means(Xn, Zn, beta, L, lk$linkinv)
  # glmmTMB's fit of the same model (the exact Laplace approximation; lme4's glmer Laplace differs from it by up to
  # 0.007 in logLik on the simulated slope set, where glmmTMB's and this library's maxima agree): its (theta, beta) in lme4's
  # theta layout (the lower Cholesky factor of each term's covariance, column by column) and the brute-force coefficients there.
  tmb <- glmmTMB(as.formula(formula), data = d, family = binomial)
  vc <- VarCorr(tmb)$cond
  Lt <- matrix(0, nrow(L), ncol(L)); th_t <- numeric(0); pos <- 0
  for (t in seq_along(fit@cnms)) {
    S <- vc[[names(fit@cnms)[t]]]
    if (is.null(S)) S <- vc[[t]]
    S <- as.matrix(S[fit@cnms[[t]], fit@cnms[[t]], drop = FALSE])
    Ct <- t(chol(S)); qt <- nrow(Ct)
    Lt[pos + seq_len(qt), pos + seq_len(qt)] <- Ct
    for (j in seq_len(qt)) for (i in j:qt) th_t <- c(th_t, Ct[i, j])
    pos <- pos + qt
  }
  beta_t <- unname(fixef(tmb)$cond)
  mc_t <- brute_coefs(X, Z, beta_t, Lt, lk)
  out <- list(
    name = name, data = data_file, formula = formula, family = "binomial", link = "logit",
    newdata = basename(nd_path),
    logLik = as.numeric(logLik(fit)),
    fixefNames = I(names(fixef(fit))), fixef = I(beta), theta = I(unname(th)),
    fixefStdErrors = I(unname(sqrt(diag(vcov(fit))))),
    marginalCoefficients = I(unname(mc)),
    marginalStdErrors = I(unname(se)),
    gridError = max(abs(mc - mc_fine)),
    marginalPredictions = I(unname(pred)),
    glmmTMB = list(logLik = as.numeric(logLik(tmb)), fixef = I(beta_t), theta = I(th_t), marginalCoefficients = I(unname(mc_t))),
    method = "product trapezoid grid, step 0.05 over [-8.5, 8.5]^q in u = L^-1 b; SEs J V J', V = 2 solve(lme4 Hessian)")
  path <- file.path(out_dir, paste0(name, ".json"))
  writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), path, useBytes = TRUE)
  message("wrote ", path)
}

lambda_block_from <- function(fit, th) {
  cnms <- fit@cnms
  q <- sum(lengths(cnms))
  L <- matrix(0, q, q)
  pos <- 0; k <- 0
  for (t in seq_along(cnms)) {
    qt <- length(cnms[[t]])
    for (j in seq_len(qt)) for (i in j:qt) { k <- k + 1; L[pos + i, pos + j] <- th[k] }
    pos <- pos + qt
  }
  L
}

# 1. Contraception, random intercept and urban slope per district (the issue's model).
one("contraception_slope", "Contraception.csv", "use ~ age + urban + (1 + urban | district)",
  data.frame(age = c(-10, 0, 5.5, 15, 0), urban = c("N", "Y", "N", "Y", "Y"), district = c("1", "2", "3", "61", "1")))

# 2. A simulated logistic model with a large random intercept and a continuous random slope (correlated).
set.seed(16)
ng <- 60; nper <- 25
g <- factor(rep(sprintf("g%02d", seq_len(ng)), each = nper))
x <- round(rnorm(ng * nper), 4)
S <- matrix(c(1.6^2, 0.5 * 1.6 * 0.8, 0.5 * 1.6 * 0.8, 0.8^2), 2)
b <- MASS::mvrnorm(ng, c(0, 0), S)
eta <- -0.4 + 0.9 * x + b[as.integer(g), 1] + b[as.integer(g), 2] * x
sim <- data.frame(y = rbinom(ng * nper, 1, plogis(eta)), x = x, g = g)
write.csv(sim, file.path(data_dir, "logistic_slope.csv"), row.names = FALSE)
one("logistic_slope", "logistic_slope.csv", "y ~ x + (1 + x | g)",
  data.frame(x = c(-2, -0.5, 0, 1, 2.5), g = c("g01", "g02", "g03", "g04", "g05")))

# 3. Two crossed random intercepts (the random effects of a row come from two grouping factors).
set.seed(161)
na <- 40; nb <- 30
a <- factor(sprintf("a%02d", sample(seq_len(na), 1500, TRUE)))
h <- factor(sprintf("h%02d", sample(seq_len(nb), 1500, TRUE)))
x <- round(runif(1500, -1, 1), 4)
ba <- rnorm(na, 0, 1.2); bh <- rnorm(nb, 0, 0.7)
eta <- 0.3 - 1.1 * x + ba[as.integer(a)] + bh[as.integer(h)]
cr <- data.frame(y = rbinom(1500, 1, plogis(eta)), x = x, a = a, h = h)
write.csv(cr, file.path(data_dir, "logistic_crossed.csv"), row.names = FALSE)
one("logistic_crossed", "logistic_crossed.csv", "y ~ x + (1 | a) + (1 | h)",
  data.frame(x = c(-1, 0, 0.7), a = c("a01", "a02", "a03"), h = c("h01", "h02", "h03")))
