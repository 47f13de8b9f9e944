# Golden values of the Kenward-Roger adjustment for the linear mixed model, from pbkrtest (vcovAdj, Lb_ddf) as lmerTest's
# summary(fit, ddf = "Kenward-Roger") uses it: per REML fit the unadjusted vcov, the adjusted covariance vcovAdj and, per
# coefficient, the adjusted SE, t, Kenward-Roger df and p. Writes tests/Glmm.Tests/fixtures/lmm_kr/*.json (and one new
# data set, fixtures/data/lmm_kr_unbalanced.csv). Run from the repository root: Rscript tools/kenward_roger_fixtures.R
#
# Kenward-Roger is defined for REML fits: lmerTest's summary(ml_fit, ddf = "Kenward-Roger") stops with "Kenward-Roger's
# method is only available for REML model fits" (pbkrtest's vcovAdj would refit by REML silently); Glmm refuses as lmerTest.
#
# Prior weights: pbkrtest builds Sigma = sum_k Z G_k Z' + sigma^2 I, ignoring the weights (the residual covariance of a
# weighted lmer fit is sigma^2 W^-1), while its Phi = vcov(fit) does use them. For a weighted fit the fixture records both
# pbkrtest as is ("pbkrtest") and its own vcovAdj_internal/Lb_ddf on the Sigma of the fitted model, the residual term
# sigma^2 W^-1 ("weightsInSigma"), which is what Glmm computes.
suppressPackageStartupMessages({
  library(lme4)
  library(lmerTest)
  library(pbkrtest)
  library(Matrix)
  library(jsonlite)
})
invisible(Sys.setlocale("LC_COLLATE", "C"))
data_dir <- "tests/Glmm.Tests/fixtures/data"
out_dir <- "tests/Glmm.Tests/fixtures/lmm_kr"
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)

# An unbalanced simulated set: a random slope on g (30 levels of 2 to 14 rows), a crossed intercept h (7 levels), a factor.
set.seed(20261203)
ng <- 30
sizes <- sample(2:14, ng, replace = TRUE)
g <- rep(sprintf("g%02d", 1:ng), times = sizes)
n <- length(g)
h <- sample(sprintf("h%d", 1:7), n, replace = TRUE)
x <- round(runif(n, -1, 2), 4)
f <- sample(c("a", "b", "c"), n, replace = TRUE)
gi <- as.integer(factor(g)); hi <- as.integer(factor(h))
b0 <- rnorm(ng, 0, 0.9); b1 <- rnorm(ng, 0, 0.5); c0 <- rnorm(7, 0, 0.6)
y <- round(1 + 0.4 * x + c(a = 0, b = 0.5, c = -0.3)[f] + b0[gi] + b1[gi] * x + c0[hi] + rnorm(n, 0, 1), 4)
unbalanced <- data.frame(y = y, x = x, f = f, g = g, h = h)
write.csv(unbalanced, file.path(data_dir, "lmm_kr_unbalanced.csv"), row.names = FALSE, quote = FALSE)

read <- function(file) read.csv(file.path(data_dir, file), stringsAsFactors = TRUE)
models <- list(
  list(name = "sleepstudy", data = "sleepstudy.csv", formula = "Reaction ~ Days + (Days | Subject)"),
  list(name = "penicillin", data = "Penicillin.csv", formula = "diameter ~ 1 + (1 | plate) + (1 | sample)"),
  list(name = "unbalanced", data = "lmm_kr_unbalanced.csv", formula = "y ~ x + f + (1 + x | g) + (1 | h)"),
  list(name = "nested_weights", data = "lmm_nested_weights.csv",
       formula = "y ~ x + grp + (1 + x | school) + (1 | school:class)", weights = "w"))

# pbkrtest's Sigma and G of a fit with the residual term sigma^2 W^-1 in place of sigma^2 I.
sigma_g_weighted <- function(fit, w) {
  sg <- pbkrtest:::get_SigmaG(fit)
  k <- sg$n.ggamma
  sg$G[[k]] <- Diagonal(x = 1 / w)
  sg$Sigma <- sg$Sigma - sigma(fit)^2 * Diagonal(length(w)) + sigma(fit)^2 * sg$G[[k]]
  sg
}

table_of <- function(fit, vadj) {
  beta <- fixef(fit); v0 <- as.matrix(vcov(fit)); p <- length(beta)
  lapply(seq_len(p), function(i) {
    L <- diag(p)[i, ]
    se <- sqrt(as.numeric(L %*% as.matrix(vadj) %*% L))
    df <- pbkrtest::Lb_ddf(L = L, V0 = v0, Vadj = vadj)
    t <- unname(beta[i]) / se
    list(name = names(beta)[i], estimate = unname(beta[i]), stdError = se, df = df, t = t,
         p = 2 * pt(abs(t), df = df, lower.tail = FALSE))
  })
}

for (m in models) {
  d <- read(m$data)
  f <- as.formula(m$formula)
  fit <- if (is.null(m$weights)) lmerTest::lmer(f, data = d, REML = TRUE)
         else { d$.w <- d[[m$weights]]; lmerTest::lmer(f, data = d, REML = TRUE, weights = .w) }
  vadj <- pbkrtest::vcovAdj(fit)
  cf <- summary(fit, ddf = "Kenward-Roger")$coefficients
  out <- list(name = m$name, data = m$data, formula = m$formula, reml = TRUE, weights = m$weights,
              remlCriterion = unname(REMLcrit(fit)), sigma = sigma(fit), theta = I(unname(getME(fit, "theta"))),
              vcov = unname(as.matrix(vcov(fit))))
  pb <- list(vcovAdj = unname(as.matrix(vadj)), fixedEffects = table_of(fit, vadj),
             lmerTest = lapply(seq_len(nrow(cf)), function(i) list(name = rownames(cf)[i], stdError = unname(cf[i, "Std. Error"]),
                                                                  df = unname(cf[i, "df"]), t = unname(cf[i, "t value"]),
                                                                  p = unname(cf[i, "Pr(>|t|)"]))))
  if (is.null(m$weights)) {
    out <- c(out, pb)
  } else {
    out$pbkrtest <- pb
    va <- pbkrtest:::vcovAdj_internal(vcov(fit), sigma_g_weighted(fit, d$.w), getME(fit, "X"))
    out$weightsInSigma <- list(vcovAdj = unname(as.matrix(va)), fixedEffects = table_of(fit, va))
  }
  out$versions <- list(R = paste(R.version$major, R.version$minor, sep = "."), lme4 = as.character(packageVersion("lme4")),
                       lmerTest = as.character(packageVersion("lmerTest")), pbkrtest = as.character(packageVersion("pbkrtest")))
  path <- file.path(out_dir, paste0("kr_", m$name, ".json"))
  writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null", na = "null"), path, useBytes = TRUE)
  message("wrote ", path)
}

# An ML fit: lmerTest refuses (recorded for the test of Glmm's refusal).
ml <- lmerTest::lmer(Reaction ~ Days + (Days | Subject), data = read("sleepstudy.csv"), REML = FALSE)
message("ML fit: ", tryCatch({ summary(ml, ddf = "Kenward-Roger"); "no error" }, error = function(e) conditionMessage(e)))
