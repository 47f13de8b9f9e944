# Reference values for the extension issues, from lme4 1.1-31 / glmmTMB 1.1.5:
#   agq   (issue 4): cbpp with nAGQ = 3, 5, 9, 25        -> cbpp_agq3.json, cbpp_agq5.json, cbpp_agq9.json, cbpp_agq25.json
#   reml  (issue 5): glmmTMB REML = TRUE                  -> cbpp_reml_tmb.json, contraception_reml_tmb.json
#   after (issue 6): ranef, predict, confint, anova, boot -> cbpp_after.json, contraception_after.json,
#                                                            grouseticks_after.json
# Run from the repository root:  Rscript tools/extension_fixtures.R [agq] [reml] [after]
# (no arguments = all three parts; "after" can also be run as after_cbpp, after_contraception,
# after_grouseticks; Contraception's profile is skipped unless "profile_contraception" is given).
source("tools/fixture_helpers.R")

args <- commandArgs(trailingOnly = TRUE)
parts <- if (length(args)) args else c("agq", "reml", "after")

cbpp_formula <- "cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)"
contra_formula <- "use ~ age + I(age^2) + urban + livch + (1 + urban | district)"
contra0_formula <- "use ~ age + I(age^2) + urban + livch + (1 | district)"
cbpp <- read_fixture("cbpp.csv")
contra <- read_fixture("Contraception.csv")

versions <- list(R = R.version.string, lme4 = as.character(packageVersion("lme4")),
                 glmmTMB = as.character(packageVersion("glmmTMB")),
                 TMB = as.character(packageVersion("TMB")))

header <- function(name, data, formula, family = "binomial", link = "logit")
  list(name = name, data = data, formula = formula, family = family, link = link, weights = NULL)

# ---- issue 4: adaptive Gauss-Hermite quadrature on cbpp ---------------------------------------
# Direct check of the marginal log-likelihood with every constant, by numerical integration of
# each herd's likelihood over its random intercept b ~ N(0, sigma^2), at given (beta, sigma).
cbpp_direct_loglik <- function(beta, sigma) {
  X <- model.matrix(~ factor(period), cbpp)
  eta0 <- drop(X %*% beta)
  sum(vapply(split(seq_len(nrow(cbpp)), cbpp$herd), function(rows) {
    f <- function(b) vapply(b, function(bb)
      exp(sum(dbinom(cbpp$incidence[rows], cbpp$size[rows], plogis(eta0[rows] + bb), log = TRUE))) *
        dnorm(bb, 0, sigma), numeric(1))
    # the integrand is negligible beyond 12 SDs
    log(integrate(f, -12 * sigma, 12 * sigma, rel.tol = 1e-13, abs.tol = 0, subdivisions = 1000L)$value)
  }, numeric(1)))
}

if ("agq" %in% parts) {
  # Saturated binomial log-likelihood: sum_i log dbinom(y_i, n_i, y_i / n_i), which is
  # sum_i [ log choose(n_i, y_i) + y_i log(y_i/n_i) + (n_i - y_i) log(1 - y_i/n_i) ].
  lchoose_sum <- sum(lchoose(cbpp$size, cbpp$incidence))
  saturated <- sum(dbinom(cbpp$incidence, cbpp$size, cbpp$incidence / cbpp$size, log = TRUE))
  for (k in c(3L, 5L, 9L, 25L)) {
    message("== cbpp nAGQ = ", k)
    tf <- timed_fit(function() glmer(as.formula(cbpp_formula), data = cbpp, family = binomial, nAGQ = k))
    res <- lme4_result(tf)
    beta <- fixef(tf$fit); sigma <- getME(tf$fit, "theta")[[1]]
    direct <- cbpp_direct_loglik(beta, sigma)
    out <- header(paste0("cbpp_agq", k), "cbpp.csv", cbpp_formula)
    out$lme4 <- res
    out$lme4$logLikAsReported <- res$logLik
    out$constants <- list(
      sumLchoose = lchoose_sum,
      saturatedLogLik = saturated,
      logLikPlusSumLchoose = res$logLik + lchoose_sum,
      logLikPlusSaturated = res$logLik + saturated,
      logLikDirectIntegration = direct,
      note = paste(
        "lme4 at nAGQ > 1 reports logLik = -(sum of binomial deviance residuals + AGQ terms)/2,",
        "i.e. the full log-likelihood minus the saturated log-likelihood sum log dbinom(y, n, y/n).",
        "logLikPlusSaturated puts that back; logLikDirectIntegration is the full marginal",
        "log-likelihood at lme4's estimates by integrate() per herd (rel.tol 1e-13) and agrees with it.",
        "logLikPlusSumLchoose adds only sum(lchoose(size, incidence)) and is NOT the full value."))
    out$lme4$logLikFull <- res$logLik + saturated
    out$versions <- versions
    write_fixture(out, paste0("cbpp_agq", k))
    message(sprintf("   lme4 logLik %.6f, + saturated %.6f, direct %.6f, + lchoose %.6f",
                    res$logLik, res$logLik + saturated, direct, res$logLik + lchoose_sum))
  }
}

# ---- issue 5: glmmTMB REML ---------------------------------------------------------------------
if ("reml" %in% parts) {
  for (m in list(list(name = "cbpp_reml_tmb", data = "cbpp.csv", formula = cbpp_formula, d = cbpp),
                 list(name = "contraception_reml_tmb", data = "Contraception.csv",
                      formula = contra_formula, d = contra))) {
    message("== ", m$name)
    f <- as.formula(m$formula)
    tf <- timed_fit(function() glmmTMB(f, data = m$d, family = binomial, REML = TRUE))
    res <- tmb_result(tf)
    # logLik() of a REML glmmTMB fit is minus the restricted objective (the Laplace-integrated
    # likelihood over (b, beta)); fit$fit$objective is that negative restricted log-likelihood.
    res$restrictedLogLik <- as.numeric(logLik(tf$fit))
    res$objective <- tf$fit$fit$objective
    res$REML <- TRUE
    ml <- with_warnings(glmmTMB(f, data = m$d, family = binomial))$value
    out <- header(m$name, m$data, m$formula)
    out$glmmTMB <- res
    out$glmmTMB_ML <- list(logLik = as.numeric(logLik(ml)),
                           fixef = fixef_table(summary(ml)$coefficients$cond),
                           randomEffects = re_table(VarCorr(ml)$cond))
    out$versions <- versions
    write_fixture(out, m$name)
    message(sprintf("   restricted logLik %.6f objective %.6f", res$restrictedLogLik, res$objective))
  }
}

# ---- issue 6: after the fit ----------------------------------------------------------------------
ranef_table <- function(fit) {
  r <- as.data.frame(ranef(fit, condVar = TRUE))
  lapply(seq_len(nrow(r)), function(i) list(
    group = as.character(r$grpvar[i]), level = as.character(r$grp[i]),
    term = as.character(r$term[i]), mode = r$condval[i], condSD = r$condsd[i]))
}

ci_table <- function(ci) {
  lapply(seq_len(nrow(ci)), function(i) list(
    name = rownames(ci)[i],
    lower = if (is.na(ci[i, 1])) NULL else unname(ci[i, 1]),
    upper = if (is.na(ci[i, 2])) NULL else unname(ci[i, 2])))
}

after_common <- function(fit, do_profile = TRUE) {
  n <- min(20L, nobs(fit))
  # Everything read off the fit comes first: profile() below updates the fitted object's internal
  # state (its conditional modes) in place, so ranef() after it would not belong to the estimates.
  out <- list(
    logLik = as.numeric(logLik(fit)),
    fixef = fixef_table(coef(summary(fit))),
    theta = I(unname(getME(fit, "theta"))), thetaNames = I(names(getME(fit, "theta"))),
    ranef = ranef_table(fit),
    predictRows = I(seq_len(n)),
    predictLink = I(unname(predict(fit, type = "link")[seq_len(n)])),
    predictLinkNoRandom = I(unname(predict(fit, type = "link", re.form = NA)[seq_len(n)])),
    predictResponse = I(unname(predict(fit, type = "response")[seq_len(n)])),
    predictResponseNoRandom = I(unname(predict(fit, type = "response", re.form = NA)[seq_len(n)])),
    confintLevel = 0.95,
    confintWald = ci_table(confint(fit, method = "Wald", oldNames = FALSE)))
  prof <- NULL
  # Profile one parameter at a time (same intervals as confint(fit, method = "profile",
  # oldNames = FALSE)), so that a failure in one parameter's profile does not lose the others.
  np <- if (!do_profile) 0L else length(getME(fit, "theta")) + length(fixef(fit))
  perr <- character(0); pw <- character(0)
  rows <- list()
  secs <- system.time(for (i in seq_len(np)) {
    r <- tryCatch(with_warnings(confint(profile(fit, which = i, signames = FALSE))),
                  error = function(e) { perr <<- c(perr, sprintf("parameter %d: %s", i, conditionMessage(e))); NULL })
    if (!is.null(r)) { rows[[length(rows) + 1]] <- r$value; pw <- c(pw, r$warnings) }
  })[["elapsed"]]
  prof <- if (length(rows)) list(value = do.call(rbind, rows), warnings = pw) else NULL
  if (!do_profile) perr <- paste("profile skipped: lme4 1.1-31 fails to profile this model",
                                 "(see the README); add the argument profile_contraception to try")
  if (!length(perr)) perr <- NULL
  c(out, list(
    confintProfile = if (is.null(prof)) NULL else ci_table(prof$value),
    confintProfileError = if (is.null(perr)) NULL else I(perr),
    confintProfileWarnings = I(as.character(unique(prof$warnings))),
    confintProfileSeconds = round(secs, 3)))
}

anova_table <- function(a) {
  lapply(seq_len(nrow(a)), function(i) {
    g <- function(col) if (is.na(a[i, col])) NULL else unname(a[i, col])
    list(model = rownames(a)[i], npar = g("npar"), AIC = g("AIC"), BIC = g("BIC"),
         logLik = g("logLik"), deviance = g("deviance"), Chisq = g("Chisq"), Df = g("Df"),
         p = g("Pr(>Chisq)"))
  })
}

if ("after" %in% parts) parts <- c(parts, "after_cbpp", "after_contraception", "after_grouseticks")
if ("after_cbpp" %in% parts) {
  # cbpp
  message("== cbpp_after")
  fit <- glmer(as.formula(cbpp_formula), data = cbpp, family = binomial)
  out <- header("cbpp_after", "cbpp.csv", cbpp_formula)
  out$lme4 <- after_common(fit)
  message("   bootMer (500)")
  bsecs <- system.time(b <- bootMer(fit, FUN = function(f) getME(f, "theta"), nsim = 500, seed = 1))[["elapsed"]]
  t1 <- b$t[, 1]
  ok <- t1[is.finite(t1)]
  q <- unname(quantile(ok, c(0.025, 0.975)))
  bci <- tryCatch(boot::boot.ci(b, type = "perc", index = 1)$percent[4:5], error = function(e) c(NA, NA))
  # Monte Carlo SE of the two quantiles: SD over 2000 resamples of the 500 replicates.
  set.seed(2)
  rs <- replicate(2000, quantile(sample(ok, replace = TRUE), c(0.025, 0.975)))
  # Distribution-free 95% interval for each population quantile from order statistics.
  n <- length(ok); so <- sort(ok)
  os_ci <- function(p) {
    lo <- qbinom(0.025, n, p); hi <- qbinom(0.975, n, p) + 1
    c(so[max(lo, 1)], so[min(hi, n)])
  }
  out$lme4$bootstrap <- list(
    nsim = 500L, seed = 1L, statistic = "theta = herd SD (getME(fit, 'theta'))",
    original = unname(b$t0[1]), nFinite = length(ok), nZero = sum(ok == 0),
    mean = mean(ok), sd = sd(ok),
    percentile = list(level = 0.95, lower = q[1], upper = q[2], method = "quantile(type = 7)"),
    percentileBootCi = list(level = 0.95, lower = bci[1], upper = bci[2], method = "boot::boot.ci(type = 'perc')"),
    monteCarloSE = list(lower = sd(rs[1, ]), upper = sd(rs[2, ]),
                        method = "SD of the quantile over 2000 resamples (seed 2) of the 500 replicates"),
    orderStatisticCI = list(lower = I(os_ci(0.025)), upper = I(os_ci(0.975)),
                            method = "distribution-free 95% CI of the 2.5% and 97.5% quantiles from order statistics"),
    replicates = I(unname(t1)),
    seconds = round(bsecs, 3))
  out$versions <- versions
  write_fixture(out, "cbpp_after")
}

if ("after_contraception" %in% parts) {
  # Contraception. With glmer's default optimiser (Nelder_Mead in stage 2) the profile stops with
  # "profiling detected new, lower deviance"; this fit uses bobyqa for stage 2, which reaches the
  # same optimum (logLik equal to 1e-7) without the gradient warning, and profiles cleanly.
  message("== contraception_after")
  ctrl <- glmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5))
  fit1 <- glmer(as.formula(contra_formula), data = contra, family = binomial, control = ctrl)
  fit0 <- glmer(as.formula(contra0_formula), data = contra, family = binomial, control = ctrl)
  out <- header("contraception_after", "Contraception.csv", contra_formula)
  out$lme4Control <- 'glmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5))'
  out$lme4 <- after_common(fit1, do_profile = "profile_contraception" %in% parts)
  a <- anova(fit0, fit1)
  out$lme4$anova <- list(
    models = list(fit0 = contra0_formula, fit1 = contra_formula),
    call = "anova(fit0, fit1)",
    table = anova_table(a))
  out$versions <- versions
  write_fixture(out, "contraception_after")
}

if ("after_grouseticks" %in% parts) {
  # grouseticks: a third profiled model (crossed-style scalar terms, Poisson; LOCATION's profile
  # interval reaches the boundary 0).
  message("== grouseticks_after")
  gt_formula <- "TICKS ~ factor(YEAR) + cHEIGHT + (1 | BROOD) + (1 | LOCATION)"
  fit <- glmer(as.formula(gt_formula), data = read_fixture("grouseticks.csv"), family = poisson)
  out <- header("grouseticks_after", "grouseticks.csv", gt_formula, family = "poisson", link = "log")
  out$lme4 <- after_common(fit)
  out$versions <- versions
  write_fixture(out, "grouseticks_after")
}
