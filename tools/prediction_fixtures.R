# Reference values for prediction, ranef/coef and residuals (issue 6), from lme4 1.1-31.
# Run from the repository root:  Rscript tools/prediction_fixtures.R [model names ...]
# (no arguments = all models). Writes tests/Glmm.Tests/fixtures/prediction/<name>.json and <name>_newdata.csv.
# The Contraception fits (bobyqa) are not bit-reproducible across machines: their estimates moved by ~1e-5
# when rerun elsewhere, so regenerate only the models you change.
#
# Everything is taken from the fit right after glmer() returns: lme4's merMod objects hold
# reference-class state that profile()/bootMer() leave changed, so ranef() after a profile gives
# other numbers (this is why cbpp_after.json's `ranef` does not belong to its estimates).
suppressPackageStartupMessages({ library(lme4); library(jsonlite) })
invisible(Sys.setlocale("LC_COLLATE", "C"))
data_dir <- "tests/Glmm.Tests/fixtures/data"
out_dir <- "tests/Glmm.Tests/fixtures/prediction"
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)
rd <- function(f) read.csv(file.path(data_dir, f), stringsAsFactors = TRUE)

one <- function(name, data_file, formula, newdata, control = glmerControl(), family = "binomial") {
  d <- rd(data_file)
  fit <- glmer(as.formula(formula), data = d, family = get(family), control = control)
  nd_path <- file.path(out_dir, paste0(name, "_newdata.csv"))
  write.csv(newdata, nd_path, row.names = FALSE)
  nd <- read.csv(nd_path, stringsAsFactors = TRUE)
  r <- as.data.frame(ranef(fit, condVar = TRUE))
  cf <- coef(fit)
  V <- as.matrix(vcov(fit))
  X0 <- model.matrix(delete.response(terms(fit, fixed.only = TRUE)), model.frame(delete.response(terms(fit, fixed.only = TRUE)), nd, xlev = fit@frame[, -1, drop = FALSE] |> lapply(levels) |> Filter(f = Negate(is.null))))
  out <- list(
    name = name, data = data_file, formula = formula, family = family, link = family(fit)$link,
    newdata = basename(nd_path),
    logLik = as.numeric(logLik(fit)),
    fixefNames = I(names(fixef(fit))), fixef = I(unname(fixef(fit))),
    vcov = lapply(seq_len(nrow(V)), function(i) I(unname(V[i, ]))),
    theta = I(unname(getME(fit, "theta"))),
    ranef = lapply(seq_len(nrow(r)), function(i) list(group = as.character(r$grpvar[i]), level = as.character(r$grp[i]),
      term = as.character(r$term[i]), mode = r$condval[i], condSD = r$condsd[i])),
    coef = lapply(names(cf), function(g) list(group = g, columns = I(colnames(cf[[g]])), levels = I(rownames(cf[[g]])),
      values = lapply(seq_len(nrow(cf[[g]])), function(i) I(unname(unlist(cf[[g]][i, ])))))),
    fitted = list(
      link = I(unname(predict(fit, type = "link"))),
      linkNoRandom = I(unname(predict(fit, type = "link", re.form = NA))),
      response = I(unname(predict(fit, type = "response"))),
      responseNoRandom = I(unname(predict(fit, type = "response", re.form = NA)))),
    # lme4's deviance() of a GLMM: the conditional deviance, sum of squared deviance residuals (not -2 logLik)
    conditionalDeviance = deviance(fit),
    # the "Scaled residuals" quantiles that summary() prints (Min, 1Q, Median, 3Q, Max)
    scaledResidualQuantiles = I(unname(quantile(residuals(fit, type = "pearson", scaled = TRUE)))),
    residuals = list(
      deviance = I(unname(residuals(fit, type = "deviance"))),
      pearson = I(unname(residuals(fit, type = "pearson"))),
      working = I(unname(residuals(fit, type = "working"))),
      response = I(unname(residuals(fit, type = "response")))),
    newdataPredictions = list(
      link = I(unname(predict(fit, newdata = nd, type = "link", allow.new.levels = TRUE))),
      linkNoRandom = I(unname(predict(fit, newdata = nd, type = "link", re.form = NA))),
      response = I(unname(predict(fit, newdata = nd, type = "response", allow.new.levels = TRUE))),
      # x' V x on the link scale for the population-level predictions (lme4 1.1-31 has no se.fit for glmer)
      linkNoRandomStdError = I(unname(sqrt(rowSums((X0 %*% V) * X0))))),
    versions = list(R = R.version.string, lme4 = as.character(packageVersion("lme4"))))
  writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null", na = "null"),
             file.path(out_dir, paste0(name, ".json")), useBytes = TRUE)
  message("wrote ", name)
}

args <- commandArgs(trailingOnly = TRUE)
wanted <- function(name) !length(args) || name %in% args

if (wanted("cbpp")) one("cbpp", "cbpp.csv", "cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)",
    data.frame(herd = c(1L, 5L, 15L, 99L, 3L), period = c(4L, 2L, 1L, 3L, 1L)))
ctl <- glmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5))
if (wanted("contraception")) one("contraception", "Contraception.csv", "use ~ age + I(age^2) + urban + livch + (1 + urban | district)",
    data.frame(district = c(1L, 60L, 999L, 35L, 2L), livch = c("3+", "0", "1", "2", "0"),
               age = c(-10.5, 0, 3.25, 12, -2), urban = c("Y", "N", "Y", "N", "N")), control = ctl)
if (wanted("contraception_scaled")) one("contraception_scaled", "Contraception.csv", "use ~ scale(age) + urban + (1 | district)",
    data.frame(district = c(1L, 61L, 999L), age = c(-10.5, 0, 20), urban = c("Y", "N", "N")), control = ctl)
if (wanted("grouseticks")) one("grouseticks", "grouseticks.csv", "TICKS ~ factor(YEAR) + cHEIGHT + (1 | BROOD) + (1 | LOCATION)",
    data.frame(YEAR = c(95L, 96L, 97L, 96L), cHEIGHT = c(-10.5, 0, 25.25, 3),
               BROOD = c(501L, 999L, 632L, 601L), LOCATION = c(63L, 4L, 9999L, 20L)), family = "poisson")
# an exposure offset and a correlated random slope (fixtures/data/poisson_offset.csv from tools/fit_fixtures.R)
if (wanted("poisson_offset")) one("poisson_offset", "poisson_offset.csv", "y ~ x + offset(log(t)) + (1 + x | g)",
    data.frame(g = c("g01", "g60", "g99", "g17"), x = c(-1.5, 0, 2, 0.75), t = c(1, 2.5, 0.7, 1.2)), family = "poisson")
