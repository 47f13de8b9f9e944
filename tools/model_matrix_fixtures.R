# Reference model structures from R for the tests of formula parsing and model building.
# For each case it records colnames(model.matrix) and the values of selected rows, the response,
# weights and offset, and lme4's random-effects structure from lFormula() (cnms, number of levels,
# theta length, lower bounds, and per selected row the level and Z values of each term).
# Run from the repository root: Rscript tools/model_matrix_fixtures.R
suppressPackageStartupMessages({ library(lme4); library(jsonlite) })
invisible(Sys.setlocale("LC_COLLATE", "C"))
datadir <- "tests/Glmm.Tests/fixtures/data"
out <- "tests/Glmm.Tests/fixtures/model_matrix"
dir.create(out, recursive = TRUE, showWarnings = FALSE)
read <- function(name) read.csv(file.path(datadir, paste0(name, ".csv")), stringsAsFactors = TRUE)
datasets <- list(cbpp = read("cbpp"), Contraception = read("Contraception"),
                 VerbAgg = read("VerbAgg"), grouseticks = read("grouseticks"))

cases <- list(
  list("cbpp_period", "cbpp", "cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)"),
  list("contraception_main", "Contraception", "use ~ age + I(age^2) + urban + livch + (1 + urban | district)"),
  list("verbagg_crossed", "VerbAgg", "r2 ~ Anger + Gender + btype + situ + (1 | id) + (1 | item)"),
  list("grouseticks_crossed", "grouseticks", "TICKS ~ factor(YEAR) + cHEIGHT + (1 | BROOD) + (1 | LOCATION)"),
  list("contraception_star", "Contraception", "use ~ urban*age + (1|district)"),
  list("contraception_doublebar", "Contraception", "use ~ age + (1 + age || district)"),
  list("contraception_doublebar_factor", "Contraception", "use ~ age + (1 + livch || district)"),
  list("grouseticks_nested", "grouseticks", "TICKS ~ cHEIGHT + (1 | LOCATION/BROOD)"),
  list("cbpp_offset", "cbpp", "incidence ~ period + offset(log(size)) + (1 | herd)"),
  list("contraception_comparison", "Contraception", "use ~ I(age > 2) + urban + (1 | district)"),
  list("contraception_scale", "Contraception", "use ~ scale(age) + urban + (1 | district)"),
  list("grouseticks_log", "grouseticks", "TICKS ~ log(HEIGHT) + log(cHEIGHT + 100) + (1 | BROOD)"),
  list("contraception_interaction_no_main", "Contraception", "use ~ age + livch:urban + (1 | district)"),
  list("contraception_interaction_one_main", "Contraception", "use ~ urban + urban:livch + (1 | district)"),
  list("contraception_power", "Contraception", "use ~ (age + urban + livch)^2 + (1 | district)"),
  list("contraception_no_intercept", "Contraception", "use ~ 0 + livch + age + (1 | district)"),
  list("contraception_minus", "Contraception", "use ~ urban*livch - livch + (1 | district)"),
  list("contraception_nested_fixed", "Contraception", "use ~ urban/age + (1 | district)"),
  list("contraception_rank_deficient", "Contraception", "use ~ urban + I(urban == \"Y\") + age + (1 | district)"),
  list("contraception_factor_slope", "Contraception", "use ~ age + (0 + livch | district)"),
  list("contraception_interaction_group", "Contraception", "use ~ age + (1 | district:urban)"),
  list("verbagg_star_factors", "VerbAgg", "r2 ~ btype*situ + mode + (1 | id)"),
  list("contraception_no_intercept_interaction", "Contraception", "use ~ 0 + age:livch + urban + (1 | district)"),
  list("contraception_numeric_by_factor", "Contraception", "use ~ age:livch + (1 | district)"),
  list("contraception_doublebar_urban", "Contraception", "use ~ age + (1 + urban || district)"),
  list("contraception_slope_interaction_group", "Contraception", "use ~ age + (age | district:urban)"),
  list("contraception_nested_factors", "Contraception", "use ~ log2(age + 20) + (1 | livch/urban)"),
  list("verbagg_three_way_minus", "VerbAgg", "r2 ~ Anger*Gender*btype - Anger:Gender:btype + (1 | id)"),
  list("grouseticks_numeric_groups", "grouseticks", "TICKS ~ HEIGHT + (1 | YEAR) + (1 | LOCATION:YEAR)"),
  list("verbagg_arith", "VerbAgg", "r2 ~ I((Anger - 20)/5) + sqrt(Anger) + exp(-Anger/10) + abs(Anger - 20) + log2(Anger) + log10(Anger) + (1 | item)")
)

pick_rows <- function(n) if (n <= 60) seq_len(n) else unique(c(1:5, round(seq(6, n, length.out = 10))))

for (cs in cases) {
  name <- cs[[1]]; dname <- cs[[2]]; fstr <- cs[[3]]
  d <- datasets[[dname]]
  f <- as.formula(fstr)
  lf <- lFormula(f, data = d, control = lmerControl(check.nobs.vs.nlev = "ignore",
                 check.nobs.vs.nRE = "ignore", check.nobs.vs.rankZ = "ignore"))
  fr <- lf$fr
  X <- lf$X
  n <- nrow(X)
  rows <- pick_rows(n)
  yr <- model.response(fr)
  if (is.matrix(yr)) { w <- rowSums(yr); y <- ifelse(w == 0, 0, yr[, 1] / w)
  } else if (is.factor(yr)) { y <- as.numeric(yr != levels(yr)[1]); w <- rep(1, n)
  } else { y <- as.numeric(yr); w <- rep(1, n) }
  off <- model.offset(fr); if (is.null(off)) off <- rep(0, n)
  rt <- lf$reTrms
  re <- list()
  for (k in seq_along(rt$cnms)) {
    g <- names(rt$cnms)[k]
    fl <- rt$flist[[g]]
    q <- length(rt$cnms[[k]])
    Zt <- as.matrix(rt$Ztlist[[k]])
    lev <- as.integer(fl)[rows]
    z <- t(sapply(seq_along(rows), function(j) Zt[(lev[j] - 1) * q + seq_len(q), rows[j]]))
    if (q == 1) z <- matrix(z, ncol = 1)
    re[[k]] <- list(group = g, terms = I(rt$cnms[[k]]), levels = nlevels(fl),
                    firstLevels = I(head(levels(fl), 5)), rowLevels = I(as.character(fl)[rows]),
                    z = unname(z))
  }
  res <- list(
    name = name, data = paste0(dname, ".csv"), formula = fstr, nobs = n,
    colnames = I(colnames(X)),
    droppedColumns = if (is.null(attr(X, "col.dropped"))) character(0) else I(names(attr(X, "col.dropped"))),
    rows = I(rows - 1L),
    x = unname(X[rows, , drop = FALSE]),
    y = I(unname(y[rows])), weights = I(unname(w[rows])), offset = I(unname(off[rows])),
    randomEffects = re,
    thetaLength = length(rt$theta), lower = I(rt$lower))
  writeLines(toJSON(res, auto_unbox = TRUE, digits = NA, pretty = TRUE, matrix = "rowmajor"),
             file.path(out, paste0(name, ".json")))
  cat(name, ":", paste(colnames(X), collapse = " "), "\n")
}
