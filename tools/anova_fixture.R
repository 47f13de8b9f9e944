# Likelihood-ratio test (anova) for Contraception with and without the random slope of urban, from
# lme4 1.1-31, for issue 6 until contraception_after.json (tools/extension_fixtures.R after) lands.
# Same fits as extension_fixtures.R: glmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5)).
# Run from the repository root:  Rscript tools/anova_fixture.R   -> contraception_anova.json
source("tools/fixture_helpers.R")

contra_formula <- "use ~ age + I(age^2) + urban + livch + (1 + urban | district)"
contra0_formula <- "use ~ age + I(age^2) + urban + livch + (1 | district)"
contra <- read_fixture("Contraception.csv")
ctrl <- glmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5))
fit1 <- glmer(as.formula(contra_formula), data = contra, family = binomial, control = ctrl)
fit0 <- glmer(as.formula(contra0_formula), data = contra, family = binomial, control = ctrl)
a <- anova(fit0, fit1)
rows <- lapply(seq_len(nrow(a)), function(i) {
  g <- function(col) if (is.na(a[i, col])) NULL else unname(a[i, col])
  list(model = rownames(a)[i], npar = g("npar"), AIC = g("AIC"), BIC = g("BIC"),
       logLik = g("logLik"), deviance = g("deviance"), Chisq = g("Chisq"), Df = g("Df"),
       p = g("Pr(>Chisq)"))
})
out <- list(name = "contraception_anova", data = "Contraception.csv", formula = contra_formula,
            family = "binomial", link = "logit", weights = NULL,
            lme4Control = "glmerControl(optimizer = 'bobyqa', optCtrl = list(maxfun = 1e5))",
            lme4 = list(logLik = as.numeric(logLik(fit1)),
                        fixef = fixef_table(coef(summary(fit1))),
                        theta = I(unname(getME(fit1, "theta"))),
                        thetaNames = I(names(getME(fit1, "theta"))),
                        anova = list(models = list(fit0 = contra0_formula, fit1 = contra_formula),
                                     call = "anova(fit0, fit1)", table = rows)),
            versions = list(R = R.version.string, lme4 = as.character(packageVersion("lme4"))))
write_fixture(out, "contraception_anova")
