# Reference log-likelihoods (lme4 and glmmTMB) for models that once exposed engine bugs: a || term whose
# slope variance stage 1 left on its bound, and a nested term fitted as singular.
# Run from the repository root: Rscript tools/regression_fixtures.R
suppressPackageStartupMessages({ library(lme4); library(glmmTMB); library(jsonlite) })
Sys.setlocale("LC_COLLATE", "C")
dir <- "tests/Glmm.Tests/fixtures/data"
models <- list(
  list(name = "contraception_uncorrelated_age", data = "Contraception.csv",
       formula = "use ~ age + urban + (1 + age || district)", family = "binomial"),
  list(name = "grouseticks_nested", data = "grouseticks.csv",
       formula = "TICKS ~ cHEIGHT + (1 | LOCATION/BROOD)", family = "poisson"))
out <- lapply(models, function(m) {
  d <- read.csv(file.path(dir, m$data), stringsAsFactors = TRUE)
  fam <- get(m$family)()
  f1 <- glmer(as.formula(m$formula), data = d, family = fam)
  f2 <- glmmTMB(as.formula(m$formula), data = d, family = fam)
  c(m, list(lme4 = as.numeric(logLik(f1)), glmmTMB = as.numeric(logLik(f2)),
            lme4Theta = unname(getME(f1, "theta")), lme4Singular = isSingular(f1)))
})
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           "tests/Glmm.Tests/fixtures/regressions/models.json")
