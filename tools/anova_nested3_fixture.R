# anova() of three nested models (lme4 1.1-31) for `glmm compare` with more than two formulas (issue 15).
# Run from the repository root:  Rscript tools/anova_nested3_fixture.R  -> tests/Glmm.Tests/fixtures/anova/contraception_anova3.json
suppressMessages(library(lme4))
d <- read.csv("tests/Glmm.Tests/fixtures/data/Contraception.csv", stringsAsFactors = TRUE)
forms <- c(m0 = "use ~ age + (1 | district)", m1 = "use ~ age + urban + (1 | district)",
           m2 = "use ~ age + urban + livch + (1 | district)")
ctrl <- glmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5))
fits <- lapply(forms, function(f) glmer(as.formula(f), data = d, family = binomial, control = ctrl))
a <- anova(fits$m0, fits$m1, fits$m2)
rows <- lapply(seq_len(nrow(a)), function(i) {
  g <- function(col) if (is.na(a[i, col])) NULL else unname(a[i, col])
  list(npar = g("npar"), AIC = g("AIC"), BIC = g("BIC"), logLik = g("logLik"), deviance = g("deviance"),
       Chisq = g("Chisq"), Df = g("Df"), p = g("Pr(>Chisq)"))
})
out <- list(data = "Contraception.csv", formulas = unname(forms), table = rows,
            versions = list(R = R.version.string, lme4 = as.character(packageVersion("lme4"))))
jsonlite::write_json(out, "tests/Glmm.Tests/fixtures/anova/contraception_anova3.json", auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null")
