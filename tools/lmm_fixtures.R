# Golden values for the linear mixed model (Gaussian family, identity link) from lme4's lmer, lmerTest (Satterthwaite
# df) and pbkrtest (Kenward-Roger df, recorded for reference). Writes the data sets to tests/Glmm.Tests/fixtures/data and
# one JSON per model to tests/Glmm.Tests/fixtures/lmm. Run from the repository root: Rscript tools/lmm_fixtures.R
# [fits] [profile] [profile_reml] (all when none is named; 'profile' writes tests/Glmm.Tests/fixtures/lmm_profile/profile_*.json:
# lme4's confint(profile) of the ML fits, in a folder of their own, as every file in fixtures/lmm is a fit; 'profile_reml'
# the same of the REML fits, profile_*_reml.json: lme4's profile() of a REML fit refits it by ML first (devfun2 calls
# refitML) and profiles the ML deviance, so these are the ML fits' intervals as lme4 reports them for the REML fit).
suppressPackageStartupMessages({
  library(lme4)
  library(lmerTest)
  library(pbkrtest)
  library(jsonlite)
})
invisible(Sys.setlocale("LC_COLLATE", "C"))
parts <- commandArgs(trailingOnly = TRUE)
if (length(parts) == 0) parts <- c("fits", "profile", "profile_reml")
data_dir <- "tests/Glmm.Tests/fixtures/data"
out_dir <- "tests/Glmm.Tests/fixtures/lmm"
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)

write_data <- function(d, file) {
  write.csv(d, file.path(data_dir, file), row.names = FALSE, quote = FALSE)
  read.csv(file.path(data_dir, file), stringsAsFactors = TRUE)
}

# Generated: a nested design (schools / classes) with prior weights and a random slope at the top level.
set.seed(20261202)
ns <- 25; nc <- 4; nper <- 6
school <- rep(sprintf("s%02d", 1:ns), each = nc * nper)
class <- rep(sprintf("c%d", 1:nc), times = ns, each = nper)
n <- length(school)
x <- round(rnorm(n), 4)
grp <- factor(sample(c("a", "b", "c"), n, replace = TRUE))
w <- sample(1:4, n, replace = TRUE)
bs <- rnorm(ns, 0, 1.2); bsx <- rnorm(ns, 0, 0.4); bc <- rnorm(ns * nc, 0, 0.7)
si <- as.integer(factor(school)); ci <- (si - 1) * nc + as.integer(factor(class))
y <- round(2 + 0.5 * x + c(a = 0, b = 0.3, c = -0.4)[as.character(grp)] + bs[si] + bsx[si] * x + bc[ci] +
  rnorm(n, 0, 1.5 / sqrt(w)), 4)
nested <- data.frame(y = y, x = x, grp = grp, school = school, class = class, w = w)

sets <- list(
  sleepstudy = write_data(lme4::sleepstudy, "sleepstudy.csv"),
  Penicillin = write_data(lme4::Penicillin, "Penicillin.csv"),
  Dyestuff = write_data(lme4::Dyestuff, "Dyestuff.csv"),
  nested_weights = write_data(nested, "lmm_nested_weights.csv"))

models <- list(
  list(name = "sleepstudy_reml", data = "sleepstudy", formula = "Reaction ~ Days + (Days | Subject)", reml = TRUE),
  list(name = "sleepstudy_ml", data = "sleepstudy", formula = "Reaction ~ Days + (Days | Subject)", reml = FALSE),
  list(name = "penicillin_reml", data = "Penicillin", formula = "diameter ~ 1 + (1 | plate) + (1 | sample)", reml = TRUE),
  list(name = "penicillin_ml", data = "Penicillin", formula = "diameter ~ 1 + (1 | plate) + (1 | sample)", reml = FALSE),
  list(name = "dyestuff_reml", data = "Dyestuff", formula = "Yield ~ 1 + (1 | Batch)", reml = TRUE),
  list(name = "dyestuff_ml", data = "Dyestuff", formula = "Yield ~ 1 + (1 | Batch)", reml = FALSE),
  list(name = "nested_weights_reml", data = "nested_weights", formula = "y ~ x + grp + (1 + x | school) + (1 | school:class)",
       reml = TRUE, weights = "w"),
  list(name = "nested_weights_ml", data = "nested_weights", formula = "y ~ x + grp + (1 + x | school) + (1 | school:class)",
       reml = FALSE, weights = "w"))

files <- c(sleepstudy = "sleepstudy.csv", Penicillin = "Penicillin.csv", Dyestuff = "Dyestuff.csv",
           nested_weights = "lmm_nested_weights.csv")

if ("fits" %in% parts) for (m in models) {
  d <- sets[[m$data]]
  f <- as.formula(m$formula)
  fit <- if (is.null(m$weights)) lmerTest::lmer(f, data = d, REML = m$reml)
         else { d$.w <- d[[m$weights]]; lmerTest::lmer(f, data = d, REML = m$reml, weights = .w) }
  cf <- summary(fit)$coefficients   # Satterthwaite
  kr <- tryCatch(summary(fit, ddf = "Kenward-Roger")$coefficients, error = function(e) NULL)
  vc <- VarCorr(fit)
  re <- lapply(names(vc), function(g) {
    v <- vc[[g]]
    list(group = g, terms = I(colnames(v)), stdDev = I(unname(attr(v, "stddev"))),
         correlation = unname(as.matrix(attr(v, "correlation"))))
  })
  fe <- lapply(seq_len(nrow(cf)), function(i) list(
    name = rownames(cf)[i], estimate = unname(cf[i, "Estimate"]), stdError = unname(cf[i, "Std. Error"]),
    df = unname(cf[i, "df"]), t = unname(cf[i, "t value"]), p = unname(cf[i, "Pr(>|t|)"]),
    dfKenwardRoger = if (is.null(kr)) NULL else unname(kr[i, "df"])))
  res <- residuals(fit, type = "response")
  out <- list(
    name = m$name, data = files[[m$data]], formula = m$formula, reml = m$reml, weights = m$weights,
    logLik = as.numeric(logLik(fit, REML = FALSE)),
    logLikReported = as.numeric(logLik(fit)),
    remlCriterion = if (m$reml) unname(lme4::REMLcrit(fit)) else NULL,
    deviance = if (!m$reml) unname(deviance(fit)) else NULL,
    AIC = if (!m$reml) AIC(fit) else NULL,
    sigma = sigma(fit),
    theta = I(unname(getME(fit, "theta"))),
    fixedEffects = fe, randomEffects = re,
    nobs = nobs(fit),
    residualsHead = I(unname(head(res, 5))),
    pearsonHead = I(unname(head(residuals(fit, type = "pearson"), 5))),
    fittedHead = I(unname(head(fitted(fit), 5))),
    versions = list(R = paste(R.version$major, R.version$minor, sep = "."),
                    lme4 = as.character(packageVersion("lme4")), lmerTest = as.character(packageVersion("lmerTest")),
                    pbkrtest = as.character(packageVersion("pbkrtest"))))
  path <- file.path(out_dir, paste0(m$name, ".json"))
  writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null", na = "null"), path, useBytes = TRUE)
  message("wrote ", path)
}

# Profile-likelihood intervals of the ML fits, as lme4's confint(fit, method = "profile") (oldNames = FALSE: sd_*, cor_*,
# sigma, then the fixed effects). lme4 interpolates each profile by a spline; its limits are accurate to about 1e-4.
if ("profile" %in% parts) for (m in Filter(function(m) !m$reml && is.null(m$weights), models)) {
  d <- sets[[m$data]]
  fit <- lme4::lmer(as.formula(m$formula), data = d, REML = FALSE)
  ci <- confint(fit, method = "profile", oldNames = FALSE)
  out <- list(name = m$name, data = files[[m$data]], formula = m$formula, reml = FALSE, level = 0.95,
              logLik = as.numeric(logLik(fit)), sigma = sigma(fit),
              intervals = lapply(seq_len(nrow(ci)), function(i) list(name = rownames(ci)[i], lower = unname(ci[i, 1]), upper = unname(ci[i, 2]))),
              versions = list(R = paste(R.version$major, R.version$minor, sep = "."), lme4 = as.character(packageVersion("lme4"))))
  dir.create("tests/Glmm.Tests/fixtures/lmm_profile", showWarnings = FALSE)
  path <- file.path("tests/Glmm.Tests/fixtures/lmm_profile", paste0("profile_", m$name, ".json"))
  writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null", na = "null"), path, useBytes = TRUE)
  message("wrote ", path)
}

# Profile intervals of the REML fits, as lme4's confint(fit_reml, method = "profile") gives them (of the ML refit's profile).
if ("profile_reml" %in% parts) for (m in Filter(function(m) m$reml && is.null(m$weights), models)) {
  d <- sets[[m$data]]
  fit <- lme4::lmer(as.formula(m$formula), data = d, REML = TRUE)
  ci <- confint(fit, method = "profile", oldNames = FALSE)
  out <- list(name = m$name, data = files[[m$data]], formula = m$formula, reml = TRUE, level = 0.95,
              remlCriterion = unname(lme4::REMLcrit(fit)), sigma = sigma(fit),
              intervals = lapply(seq_len(nrow(ci)), function(i) list(name = rownames(ci)[i], lower = unname(ci[i, 1]), upper = unname(ci[i, 2]))),
              versions = list(R = paste(R.version$major, R.version$minor, sep = "."), lme4 = as.character(packageVersion("lme4"))))
  dir.create("tests/Glmm.Tests/fixtures/lmm_profile", showWarnings = FALSE)
  path <- file.path("tests/Glmm.Tests/fixtures/lmm_profile", paste0("profile_", m$name, ".json"))
  writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null", na = "null"), path, useBytes = TRUE)
  message("wrote ", path)
}
