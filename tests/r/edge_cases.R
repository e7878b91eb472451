# Reference values for statistics at the edges (issue 12), computed with R survival and stats.
#   Rscript tests/r/edge_cases.R   (from the repository root)
# Writes tests/fixtures/edge_cases.csv: case, quantity, value.
suppressMessages(library(survival))
stopifnot(packageVersion("survival") >= "3.5")
out <- data.frame(case = character(), quantity = character(), value = numeric())
add <- function(case, quantity, value) {
  out[nrow(out) + 1, ] <<- list(case, quantity, value)
}

# an arm without events: R keeps the estimable terms of the model (armB "may be infinite")
d <- read.csv("tests/fixtures/edge_data_noevent_arm.csv")
d$arm <- factor(d$arm, levels = c("A", "B"))
f <- suppressWarnings(coxph(Surv(pfs_months, pfs_event) ~ arm + age + ecog, data = d,
                            ties = "efron"))
ci <- summary(f)$conf.int
for (term in c("age", "ecog")) {
  add("noevent_arm_multivariable", paste0(term, "_hr"), ci[term, "exp(coef)"])
  add("noevent_arm_multivariable", paste0(term, "_lower"), ci[term, "lower .95"])
  add("noevent_arm_multivariable", paste0(term, "_upper"), ci[term, "upper .95"])
  add("noevent_arm_multivariable", paste0(term, "_p"), summary(f)$coefficients[term, 5])
}

# rows with a missing time, event or covariate: R drops them (na.omit)
e <- read.csv("tests/fixtures/edge_data_nan_rows.csv", na.strings = "NA")
lr <- survdiff(Surv(time, event) ~ arm, data = e)
add("nan_rows", "logrank_chisq", lr$chisq)
add("nan_rows", "logrank_n", sum(lr$n))
cx <- coxph(Surv(time, event) ~ arm + age, data = e, ties = "efron")
add("nan_rows", "cox_coef_armB", coef(cx)[["armB"]])
add("nan_rows", "cox_coef_age", coef(cx)[["age"]])
add("nan_rows", "cox_n", cx$n)

# all events at one time: cox.zph stops
z <- data.frame(time = c(5, 5, 5, 7, 8, 9), event = c(1, 1, 1, 0, 0, 0), x = c(0, 1, 0, 1, 0, 1))
zf <- coxph(Surv(time, event) ~ x, data = z)
stops <- inherits(try(cox.zph(zf), silent = TRUE), "try-error")
add("zph_one_event_time", "r_stops", as.numeric(stops))

# the Wald difference CI is clipped to [-1, 1]
pt <- prop.test(c(9, 1), c(10, 10), correct = FALSE)
add("wald_9of10_1of10", "lower", pt$conf.int[1])
add("wald_9of10_1of10", "upper", pt$conf.int[2])
pt <- prop.test(c(0, 10), c(3, 10), correct = FALSE)
add("wald_0of3_10of10", "lower", pt$conf.int[1])
add("wald_0of3_10of10", "upper", pt$conf.int[2])

write.csv(out, "tests/fixtures/edge_cases.csv", row.names = FALSE)
