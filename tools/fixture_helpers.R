# Shared helpers for the fixture scripts (tools/fit_fixtures.R, tools/extension_fixtures.R, tools/anova_fixture.R,
# tools/design_fixtures.R, tools/design_battery_fixtures.R).
# Sourced, not run on its own. Run the scripts from the repository root.
suppressPackageStartupMessages({
  library(lme4)
  library(glmmTMB)
  library(jsonlite)
})
invisible(Sys.setlocale("LC_COLLATE", "C"))

data_dir <- "tests/Glmm.Tests/fixtures/data"
ref_dir <- "tests/Glmm.Tests/fixtures/reference"
dir.create(ref_dir, recursive = TRUE, showWarnings = FALSE)

read_fixture <- function(file) {
  read.csv(file.path(data_dir, file), stringsAsFactors = TRUE)
}

write_fixture <- function(x, name) {
  path <- file.path(ref_dir, paste0(name, ".json"))
  writeLines(toJSON(x, auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null", na = "null"),
             path, useBytes = TRUE)
  message("wrote ", path)
  invisible(path)
}

# Evaluates expr, collecting (and muffling) every warning and message it raises.
with_warnings <- function(expr) {
  warns <- character(0); msgs <- character(0)
  value <- withCallingHandlers(expr,
    warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") },
    message = function(m) { msgs <<- c(msgs, trimws(conditionMessage(m))); invokeRestart("muffleMessage") })
  list(value = value, warnings = warns, messages = msgs)
}

# Fits `fitfun()` `runs` times; returns the last fit, its warnings and the median elapsed seconds.
timed_fit <- function(fitfun, runs = 3) {
  secs <- numeric(runs)
  res <- NULL
  for (i in seq_len(runs)) {
    gc(FALSE)
    secs[i] <- system.time(res <- with_warnings(fitfun()))[["elapsed"]]
  }
  list(fit = res$value, warnings = c(res$warnings, res$messages), seconds = round(median(secs), 3), allSeconds = round(secs, 3))
}

fixef_table <- function(cf) {
  lapply(seq_len(nrow(cf)), function(i) list(
    name = rownames(cf)[i], estimate = unname(cf[i, 1]), stdError = unname(cf[i, 2]),
    z = unname(cf[i, 3]), p = unname(cf[i, 4])))
}

# VarCorr list (lme4's VarCorr.merMod or glmmTMB's VarCorr(fit)$cond) -> randomEffects array.
re_table <- function(vc) {
  lapply(names(vc), function(g) {
    m <- vc[[g]]
    cor <- attr(m, "correlation")
    if (is.null(cor)) cor <- diag(nrow(m))
    list(group = g, terms = I(colnames(m)), stdDev = I(unname(attr(m, "stddev"))),
         correlation = unname(as.matrix(cor)))
  })
}

# lme4's theta convention from a list of covariance matrices: per term, the lower-triangular
# Cholesky factor, column-major lower triangle (binomial/poisson have no residual scale).
theta_from_vc <- function(vc) {
  unlist(lapply(names(vc), function(g) {
    S <- unclass(vc[[g]]); attributes(S) <- list(dim = dim(S))
    L <- tryCatch(t(chol(S)), error = function(e) {
      # semi-definite: pivot-free fallback via eigen
      ev <- eigen(S, symmetric = TRUE)
      R <- qr.R(qr(t(ev$vectors %*% diag(sqrt(pmax(ev$values, 0)), nrow(S)))))
      L <- t(R); L %*% diag(sign(diag(L)) + (diag(L) == 0), nrow(S))
    })
    L[lower.tri(L, diag = TRUE)]
  }))
}

theta_names_from_vc <- function(vc) {
  unlist(lapply(names(vc), function(g) {
    tn <- colnames(vc[[g]]); k <- length(tn)
    out <- character(0)
    for (j in seq_len(k)) for (i in j:k)
      out <- c(out, if (i == j) paste0(g, ".", tn[i]) else paste0(g, ".", tn[i], ".", tn[j]))
    out
  }))
}

theta_diag_index <- function(vc) {
  off <- 0; idx <- integer(0)
  for (g in names(vc)) {
    k <- nrow(vc[[g]])
    idx <- c(idx, off + cumsum(c(1, if (k > 1) k:2)))
    off <- off + k * (k + 1) / 2
  }
  idx
}

lme4_conv <- function(fit) {
  d <- fit@optinfo$derivs
  if (is.null(d)) return(list(maxAbsGrad = NULL, maxScaledGrad = NULL))
  sc <- tryCatch(solve(chol(d$Hessian), d$gradient), error = function(e) rep(NA_real_, length(d$gradient)))
  list(maxAbsGrad = max(abs(d$gradient)),
       # the quantity lme4's check.conv.grad compares with its tolerance 0.002
       maxScaledGrad = max(pmin(abs(sc), abs(d$gradient))))
}

lme4_result <- function(tf) {
  fit <- tf$fit
  ll <- logLik(fit)
  conv <- lme4_conv(fit)
  msgs <- unique(c(fit@optinfo$conv$lme4$messages, unlist(fit@optinfo$warnings), tf$warnings))
  th <- getME(fit, "theta")
  list(
    nAGQ = fit@devcomp$dims[["nAGQ"]],
    logLik = as.numeric(ll), deviance = -2 * as.numeric(ll), df = attr(ll, "df"),
    AIC = AIC(fit), BIC = BIC(fit), dfResidual = df.residual(fit), nobs = nobs(fit),
    fixef = fixef_table(coef(summary(fit))),
    theta = I(unname(th)), thetaNames = I(names(th)),
    randomEffects = re_table(VarCorr(fit)),
    ngroups = as.list(ngrps(fit)),
    singular = isSingular(fit),
    warnings = I(as.character(msgs)),
    maxAbsGrad = conv$maxAbsGrad, maxScaledGrad = conv$maxScaledGrad,
    feval = fit@optinfo$feval,
    optimizer = fit@optinfo$optimizer,
    seconds = tf$seconds, allSeconds = I(tf$allSeconds))
}

lme4_nagq0_result <- function(fit) {
  ll <- logLik(fit)
  th <- getME(fit, "theta")
  list(nAGQ = 0L, logLik = as.numeric(ll), deviance = -2 * as.numeric(ll),
       fixef = fixef_table(coef(summary(fit))),
       theta = I(unname(th)), thetaNames = I(names(th)),
       randomEffects = re_table(VarCorr(fit)),
       feval = fit@optinfo$feval)
}

tmb_result <- function(tf) {
  fit <- tf$fit
  ll <- logLik(fit)
  vc <- VarCorr(fit)$cond
  th <- theta_from_vc(vc)
  msgs <- tf$warnings
  if (!isTRUE(fit$sdr$pdHess)) msgs <- c(msgs, "non-positive-definite Hessian (sdr$pdHess = FALSE)")
  ng <- vapply(fit$modelInfo$reTrms$cond$flist, nlevels, integer(1))
  list(
    logLik = as.numeric(ll), deviance = -2 * as.numeric(ll), df = attr(ll, "df"),
    AIC = AIC(fit), BIC = BIC(fit), dfResidual = df.residual(fit), nobs = nobs(fit),
    fixef = fixef_table(summary(fit)$coefficients$cond),
    theta = I(unname(th)), thetaNames = I(theta_names_from_vc(vc)),
    randomEffects = re_table(vc),
    ngroups = as.list(ng),
    # lme4's isSingular rule applied to the lme4-convention theta: a diagonal element < 1e-4
    singular = any(th[theta_diag_index(vc)] < 1e-4),
    warnings = I(as.character(unique(msgs))),
    optimizerMessage = fit$fit$message,
    objective = fit$fit$objective,
    maxAbsGrad = max(abs(fit$sdr$gradient.fixed)),
    feval = unname(fit$fit$evaluations[["function"]]),
    geval = unname(fit$fit$evaluations[["gradient"]]),
    seconds = tf$seconds, allSeconds = I(tf$allSeconds))
}

# glmmTMB's covariance parameters (log SDs, then for a 2x2 term the correlation as rho / sqrt(1 - rho^2)) from a VarCorr list.
tmb_theta_from_vc <- function(vc) {
  unlist(lapply(vc, function(m) {
    sd <- unname(attr(m, "stddev"))
    if (length(sd) == 1L) return(log(sd))
    rho <- attr(m, "correlation")[2, 1]
    c(log(sd), rho / sqrt(1 - rho^2))
  }))
}

# Each package's Laplace objective (as a log-likelihood) at its own and the other's estimates, the random terms
# matched by group name (lme4 orders its terms by decreasing number of levels, glmmTMB keeps the formula's order).
# NULL for terms larger than 2x2 (no closed form for glmmTMB's parameters here).
cross_check <- function(f, dat, fam, lfit, tfit) {
  vcL <- VarCorr(lfit); vcT <- VarCorr(tfit)$cond
  if (any(vapply(vcT, nrow, integer(1)) > 2L)) return(NULL)
  tryCatch({
    stopifnot(setequal(names(vcL), names(vcT)))
    dev <- glmer(f, data = dat, family = fam, devFunOnly = TRUE)
    thetaT <- unname(theta_from_vc(vcT[names(vcL)])); betaT <- unname(fixef(tfit)$cond)
    thetaL <- unname(getME(lfit, "theta")); betaL <- unname(fixef(lfit))
    parT <- unname(tfit$obj$env$last.par.best[-tfit$obj$env$random])
    list(
      lme4ObjectiveAtLme4 = -dev(c(thetaL, betaL)) / 2,
      lme4ObjectiveAtGlmmTMB = -dev(c(thetaT, betaT)) / 2,
      glmmTMBObjectiveAtGlmmTMB = -tfit$obj$fn(parT),
      glmmTMBObjectiveAtLme4 = -tfit$obj$fn(c(betaL, tmb_theta_from_vc(unclass(vcL)[names(vcT)]))),
      note = paste("log-likelihoods (-objective) of each package's Laplace approximation at each",
                   "package's estimates; a gap between the two objectives at the same estimates",
                   "means they approximate differently, not that one optimiser stopped early."))
  }, error = function(e) list(error = conditionMessage(e)))
}

# The models named on the command line (all of them when none is).
selected_models <- function(models) {
  args <- commandArgs(trailingOnly = TRUE)
  if (length(args)) Filter(function(m) m$name %in% args, models) else models
}

# data/<name>.csv read back, simulated by simulate() first only when the file is missing (so rerunning a script
# never changes the data).
simulated_fixture <- function(name, simulate) {
  csv <- paste0(name, ".csv")
  if (!file.exists(file.path(data_dir, csv))) {
    write.csv(simulate(), file.path(data_dir, csv), row.names = FALSE)
    message("wrote ", csv)
  }
  read_fixture(csv)
}
