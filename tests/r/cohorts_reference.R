# Reference values for the bundled synthetic cohorts, computed with R survival from the committed
# date-form CSVs (endpoints derived here, independently of the Python code).
#   Rscript tests/r/cohorts_reference.R   (from the repository root)
# Writes tests/fixtures/cohorts_medians.csv, cohorts_spss.csv and cohorts_cox.csv.
suppressMessages(library(survival))
stopifnot(packageVersion("survival") >= "3.5")

read_cohort <- function(path) {
  d <- read.csv(path, comment.char = "#", stringsAsFactors = FALSE, na.strings = "",
                check.names = FALSE)
  for (col in grep("_date$", names(d), value = TRUE)) d[[col]] <- as.Date(d[[col]])
  d
}
months <- function(end, start) as.numeric(end - start) / 30.4375
first_of <- function(...) do.call(pmin, c(list(...), na.rm = TRUE))

endpoints <- function(d) {
  ev <- first_of(d$progression_date, d$death_date)
  cens <- d$last_assessment_date
  cens[is.na(cens)] <- d$index_date[is.na(cens)]
  d$pfs_event <- as.integer(!is.na(ev))
  d$pfs_months <- months(ifelse(is.na(ev), cens, ev) + as.Date("1970-01-01"), d$index_date)
  d$os_event <- as.integer(!is.na(d$death_date))
  d$os_months <- months(ifelse(is.na(d$death_date), d$last_contact_date, d$death_date) +
                          as.Date("1970-01-01"), d$index_date)
  for (ep in c("ttf", "ttnt")) {
    src <- if (ep == "ttf") d$discontinuation_date else d$next_treatment_date
    ev <- first_of(src, d$death_date)
    d[[paste0(ep, "_event")]] <- as.integer(!is.na(ev))
    d[[paste0(ep, "_months")]] <- months(ifelse(is.na(ev), d$last_contact_date, ev) +
                                           as.Date("1970-01-01"), d$index_date)
  }
  if ("tdxd_start_date" %in% names(d)) {
    d$tdxd_duration_event <- 1L
    d$tdxd_duration_months <- months(d$tdxd_end_date, d$tdxd_start_date)
  }
  d
}

med_row <- function(study, d, ep, group, keep) {
  f <- survfit(Surv(d[[paste0(ep, "_months")]][keep], d[[paste0(ep, "_event")]][keep]) ~ 1)
  tab <- summary(f)$table
  data.frame(study = study, endpoint = ep, group = group, n = tab[["n.start"]],
             events = tab[["events"]], median = unname(tab[["median"]]))
}

adc <- endpoints(read_cohort("data/raw/adc_vs_hpc/cohort.csv"))
tki <- endpoints(read_cohort("data/raw/tki_after_tdm1/cohort.csv"))
ens <- endpoints(read_cohort("data/raw/post_tdxd_ensemble/cohort.csv"))

rows <- list()
for (ep in c("pfs", "os")) {
  rows[[length(rows) + 1]] <- med_row("adc_vs_hpc", adc, ep, "ADC", adc$arm == "ADC")
  rows[[length(rows) + 1]] <- med_row("adc_vs_hpc", adc, ep, "HP+C", adc$arm == "HP+C")
  rows[[length(rows) + 1]] <- med_row("adc_vs_hpc", adc, ep, "T-DXd", adc$regimen == "T-DXd")
  rows[[length(rows) + 1]] <- med_row("tki_after_tdm1", tki, ep, "TKI", rep(TRUE, nrow(tki)))
  for (lv in c("yes", "no"))
    rows[[length(rows) + 1]] <- med_row("tki_after_tdm1", tki, ep, paste0("prior_tdm1_benefit=", lv),
                                        tki$prior_tdm1_benefit == lv)
  for (lv in c("primary", "acquired"))
    rows[[length(rows) + 1]] <- med_row("tki_after_tdm1", tki, ep, paste0("trastuzumab_resistance=", lv),
                                        tki$trastuzumab_resistance == lv)
}
all_ens <- rep(TRUE, nrow(ens))
for (ep in c("tdxd_duration", "ttf", "ttnt", "pfs", "os")) {
  rows[[length(rows) + 1]] <- med_row("post_tdxd_ensemble", ens, ep, "post-T-DXd", all_ens)
}
for (ep in c("pfs", "os")) {
  for (lv in c("anti-HER2 antibody", "anti-HER2 TKI"))
    rows[[length(rows) + 1]] <- med_row("post_tdxd_ensemble", ens, ep, lv, ens$next_therapy_class == lv)
}
rows[[length(rows) + 1]] <- med_row("post_tdxd_ensemble", ens, "pfs", "progression",
                                    ens$tdxd_discontinuation_reason == "progression")
rows[[length(rows) + 1]] <- med_row("post_tdxd_ensemble", ens, "pfs", "adverse event",
                                    ens$tdxd_discontinuation_reason %in% c("ILD", "other_AE"))
medians <- do.call(rbind, rows)
write.csv(medians, "tests/fixtures/cohorts_medians.csv", row.names = FALSE)

# tki_after_tdm1: the KM quantities of the SPSS-style median CI, Klein-Moeschberger SE as SPSS
# documents it (docs/methods.md): SE = sqrt(Var S(median)) / f, f = (S(u) - S(l)) / (l - u),
# u = the last event time with S >= 0.55 (the origin, S = 1, if none), l = the first event time
# with S <= 0.45. survival has no such interval; the arithmetic below is the documented formula.
f <- survfit(Surv(pfs_months, pfs_event) ~ 1, data = tki)
med <- unname(summary(f)$table[["median"]])
ev <- f$n.event > 0
above <- which(ev & f$surv >= 0.55)
u <- if (length(above)) f$time[max(above)] else 0
surv_u <- if (length(above)) f$surv[max(above)] else 1
below <- which(ev & f$surv <= 0.45)
l <- f$time[min(below)]
surv_l <- f$surv[min(below)]
k <- max(which(f$time <= med))
s_med <- f$surv[k]
var_s <- (s_med * f$std.err[k])^2  # survfit std.err is the SE of the cumulative hazard
dens <- (surv_u - surv_l) / (l - u)
se <- sqrt(var_s) / dens
z <- qnorm(0.975)
spss <- data.frame(median = med, u = u, surv_u = surv_u, l = l, surv_l = surv_l,
                   surv_at_median = s_med, greenwood_at_median = f$std.err[k]^2,
                   var_at_median = var_s, density = dens, se = se,
                   lower = med - z * se, upper = med + z * se)
write.csv(spss, "tests/fixtures/cohorts_spss.csv", row.names = FALSE)

# Cox models behind the directional targets (Efron ties, Wald p)
cox_row <- function(study, label, d, x) {
  m <- coxph(Surv(pfs_months, pfs_event) ~ x, data = d, ties = "efron")
  s <- summary(m)$coefficients
  data.frame(study = study, contrast = label, hr = s[1, "exp(coef)"], p = s[1, "Pr(>|z|)"])
}
sub <- adc[adc$regimen == "T-DXd" | adc$arm == "HP+C", ]
cox <- rbind(
  cox_row("adc_vs_hpc", "T-DXd vs HP+C", sub, as.integer(sub$regimen == "T-DXd")),
  cox_row("tki_after_tdm1", "prior_tdm1_benefit yes vs no", tki, as.integer(tki$prior_tdm1_benefit == "yes")),
  cox_row("tki_after_tdm1", "trastuzumab_resistance acquired vs primary", tki,
          as.integer(tki$trastuzumab_resistance == "acquired"))
)
write.csv(cox, "tests/fixtures/cohorts_cox.csv", row.names = FALSE)
