# Data sets for the hostile-input tests (issue 13) and what lme4 and glmmTMB make of them.
# Run from the repository root: Rscript tools/hostile_fixtures.R
#  -> tests/Glmm.Tests/fixtures/hostile/separated.csv   y ~ f + x1 + (1 | g): every row with f = a is a success
#     tests/Glmm.Tests/fixtures/hostile/six_effects.csv y ~ x1 + ... + (1 + x1 + ... + x5 | g): six random effects
#     tests/Glmm.Tests/fixtures/hostile/scaling.csv     y ~ x + (1 | g) for the rescaled-covariate tests
#     tests/Glmm.Tests/fixtures/hostile/reference.json  lme4's and glmmTMB's estimates and SEs on them
suppressPackageStartupMessages({ library(lme4); library(glmmTMB); library(jsonlite) })
dir <- "tests/Glmm.Tests/fixtures/hostile"
set.seed(13)
n <- 300
g <- factor(sprintf("g%02d", rep(1:30, each = 10)))
f <- factor(sample(c("a", "b", "c"), n, replace = TRUE))
x1 <- round(rnorm(n), 4)
u <- rnorm(30, sd = 0.7)
eta <- -0.3 + 0.6 * (f == "c") + 0.8 * x1 + u[as.integer(g)]
y <- rbinom(n, 1, plogis(eta))
y[f == "a"] <- 1
sep <- data.frame(y = y, f = f, x1 = x1, g = g)
write.csv(sep, file.path(dir, "separated.csv"), row.names = FALSE, quote = FALSE)

set.seed(14)
m <- 40; k <- 8
g6 <- factor(sprintf("c%02d", rep(1:m, each = k)))
X <- matrix(round(rnorm(m * k * 5), 4), ncol = 5, dimnames = list(NULL, paste0("x", 1:5)))
six <- data.frame(y = rbinom(m * k, 1, plogis(0.2 + X %*% rep(0.3, 5) + rnorm(m, sd = 0.5)[as.integer(g6)])), X, g = g6)
write.csv(six, file.path(dir, "six_effects.csv"), row.names = FALSE, quote = FALSE)

set.seed(15)
n2 <- 400
g2 <- factor(sprintf("h%02d", rep(1:40, each = 10)))
x <- round(rnorm(n2, 2, 1), 4)
sc <- data.frame(y = rbinom(n2, 1, plogis(-0.5 + 0.4 * x + rnorm(40, sd = 0.8)[as.integer(g2)])), x = x, g = g2)
write.csv(sc, file.path(dir, "scaling.csv"), row.names = FALSE, quote = FALSE)

coefs <- function(fit) {
  cf <- summary(fit)$coefficients
  if (is.list(cf) && !is.null(cf$cond)) cf <- cf$cond
  list(names = rownames(cf), estimate = unname(cf[, 1]), stdError = unname(cf[, 2]))
}
fits <- list()
fits$separated_lme4 <- coefs(glmer(y ~ f + x1 + (1 | g), data = sep, family = binomial))
fits$separated_glmmTMB <- coefs(glmmTMB(y ~ f + x1 + (1 | g), data = sep, family = binomial))
for (s in c(1, 1e3, 1e4, 3e4)) {
  sc$xs <- sc$x * s
  fits[[paste0("scaling_lme4_", s)]] <- coefs(glmer(y ~ xs + (1 | g), data = sc, family = binomial))
}
writeLines(toJSON(fits, auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(dir, "reference.json"))
