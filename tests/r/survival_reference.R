# Expected values for the survival tests, computed with R survival 3.5.x.
# Run from the repository root:  Rscript tests/r/survival_reference.R
# Writes tests/fixtures/survival_*.csv; the Python tests read them, so CI needs no R.
suppressPackageStartupMessages(library(survival))
stopifnot(packageVersion("survival") >= "3.5")
out <- "tests/fixtures"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
wcsv <- function(x, name) write.csv(x, file.path(out, name), row.names = FALSE, na = "")
num <- function(x) format(x, digits = 17)

# ---- data sets: real ones shipped with R and small hand-made edge cases -------------------------
lung2 <- with(survival::lung, data.frame(time = time, event = status - 1L,
  group = ifelse(sex == 1, "male", "female"), age = age, ph_ecog = ph.ecog))
vet <- with(survival::veteran, data.frame(time = time, event = status,
  group = ifelse(trt == 1, "standard", "test"), karno = karno, age = age,
  celltype = as.character(celltype), prior = ifelse(prior == 10, "yes", "no")))
ova <- with(survival::ovarian, data.frame(time = futime, event = fustat,
  group = paste0("rx", rx), age = age, ecog = ecog.ps))
aml2 <- with(survival::aml, data.frame(time = time, event = status, group = as.character(x)))
ties <- data.frame(  # heavy ties on whole days
  time = c(1,1,1,2,2,2,2,3,3,4,4,4,4,4,5,6,6,6,7,8, 1,2,2,3,3,3,4,5,5,5,5,6,7,7,8,8,9,9,9,10),
  event = c(1,1,0,1,1,1,0,1,0,1,1,1,0,0,1,1,1,0,1,0, 1,1,0,1,1,0,1,1,1,0,0,1,1,0,1,1,1,0,1,0),
  group = rep(c("A", "B"), each = 20),
  x = c(3,1,4,1,5,9,2,6,5,3,5,8,9,7,9,3,2,3,8,4, 6,2,6,4,3,3,8,3,2,7,9,5,0,2,8,8,4,1,9,7))
noevent <- data.frame(  # arm B: nobody has an event
  time = c(2,3,5,7,8,11,13, 4,6,9,12,15),
  event = c(1,1,0,1,1,0,1, 0,0,0,0,0), group = rep(c("A", "B"), c(7, 5)))
flat05 <- data.frame(  # S = 0.5 exactly on a flat stretch (1..2 events, censor at 3, drop at 5)
  time = c(1,2,3,5, 1,2,4,4,6,7), event = c(1,1,0,1, 1,0,1,1,0,1),
  group = rep(c("A", "B"), c(4, 6)))
drop0 <- data.frame(  # curve drops to 0 (last observation is an event)
  time = c(1,2,2,3,4, 2,3,5,6,8), event = c(1,1,0,1,1, 1,1,0,1,1), group = rep(c("A", "B"), each = 5))
single <- data.frame(  # a single-patient arm
  time = c(3,4,6,8,9,12, 5), event = c(1,0,1,1,0,1, 1), group = c(rep("A", 6), "B"))
neartie <- data.frame(  # times equal up to rounding: survival's timefix (aeqSurv) merges them
  time = c(5, 10, 10.00000001, 15, 20, 20.0000001, 30, 30.000001, 40,
           6, 10.00000001, 12, 20.0000001, 20, 25, 30.000001, 35, 38),
  event = c(1,1,1,0,1,1,1,1,0, 1,1,0,1,1,1,0,1,1), group = rep(c("A", "B"), c(9, 9)))
sets <- list(lung = lung2, veteran = vet, ovarian = ova, aml = aml2, ties = ties,
             noevent = noevent, flat05 = flat05, drop0 = drop0, single = single, neartie = neartie)
for (nm in names(sets)) wcsv(sets[[nm]], paste0("survival_data_", nm, ".csv"))

landmark_times <- list(lung = c(180, 365, 730), veteran = c(30, 90, 180), ovarian = c(180, 365, 730),
  aml = c(6, 12, 24), ties = c(2, 4.5, 8), noevent = c(3, 6, 10), flat05 = c(1.5, 2, 4),
  drop0 = c(1, 3, 5), single = c(1, 5, 10), neartie = c(10, 20, 30))
rmst_tau <- list(lung = 700, veteran = 300, ovarian = 900, aml = 40, ties = 7, noevent = 10,
  flat05 = 4, drop0 = 4.5, single = 5, neartie = 30)

km <- list(); qs <- list(); lm <- list(); rm <- list(); fu <- list()
for (nm in names(sets)) {
  d <- sets[[nm]]
  groups <- c("All", sort(unique(d$group)))
  for (g in groups) {
    dd <- if (g == "All") d else d[d$group == g, ]
    for (ct in c("log-log", "log", "plain")) {
      f <- survfit(Surv(time, event) ~ 1, data = dd, conf.type = ct)
      km[[length(km) + 1]] <- data.frame(dataset = nm, group = g, conf_type = ct, time = f$time,
        n_risk = f$n.risk, n_event = f$n.event, n_censor = f$n.censor, surv = f$surv,
        std_err = f$std.err, lower = f$lower, upper = f$upper)
      q <- quantile(f, probs = c(0.25, 0.5, 0.75))
      qs[[length(qs) + 1]] <- data.frame(dataset = nm, group = g, conf_type = ct,
        prob = c(0.25, 0.5, 0.75), quantile = unname(q$quantile), lower = unname(q$lower),
        upper = unname(q$upper))
      s <- summary(f, times = landmark_times[[nm]], extend = TRUE)
      lm[[length(lm) + 1]] <- data.frame(dataset = nm, group = g, conf_type = ct, time = s$time,
        n_risk = s$n.risk, surv = s$surv, std_err = s$std.err, lower = s$lower, upper = s$upper)
      r <- survfit(Surv(time, 1 - event) ~ 1, data = dd, conf.type = ct)
      rq <- quantile(r, probs = 0.5)
      fu[[length(fu) + 1]] <- data.frame(dataset = nm, group = g, conf_type = ct,
        median = unname(rq$quantile), lower = unname(rq$lower), upper = unname(rq$upper))
      if (ct == "log") {
        tab <- summary(f, rmean = rmst_tau[[nm]])$table
        rm[[length(rm) + 1]] <- data.frame(dataset = nm, group = g, tau = rmst_tau[[nm]],
          rmean = unname(tab["rmean"]), se = unname(tab["se(rmean)"]),
          print_median = unname(tab["median"]))
      }
    }
  }
}
wcsv(do.call(rbind, km), "survival_km_steps.csv")
wcsv(do.call(rbind, qs), "survival_quantiles.csv")
wcsv(do.call(rbind, lm), "survival_landmarks.csv")
wcsv(do.call(rbind, rm), "survival_rmst.csv")
wcsv(do.call(rbind, fu), "survival_followup.csv")

# ---- log-rank (survdiff) ------------------------------------------------------------------------
lr <- list()
add_lr <- function(case, data, formula, strata = "") {
  s <- survdiff(formula, data = data)
  etmp <- if (is.matrix(s$exp)) rowSums(s$exp) else s$exp  # as print.survdiff
  df <- sum(etmp > 0) - 1
  lr[[length(lr) + 1]] <<- data.frame(case = case, strata = strata, chisq = s$chisq, df = df,
    p = pchisq(s$chisq, df, lower.tail = FALSE))
}
for (nm in c("lung", "veteran", "ovarian", "aml", "ties", "noevent", "flat05", "drop0", "single", "neartie"))
  add_lr(nm, sets[[nm]], Surv(time, event) ~ group)
add_lr("veteran_strat", vet, Surv(time, event) ~ group + strata(celltype), "celltype")
add_lr("lung_strat", lung2[!is.na(lung2$ph_ecog), ], Surv(time, event) ~ group + strata(ph_ecog), "ph_ecog")
add_lr("ties_strat", ties, Surv(time, event) ~ group + strata(x > 4), "x_gt4")
wcsv(do.call(rbind, lr), "survival_logrank.csv")

# ---- Cox (coxph) and cox.zph ---------------------------------------------------------------------
cx <- list(); zp <- list()
add_cox <- function(case, dat, formula) {
  environment(formula) <- environment()  # cox.zph re-reads `dat` through the formula
  for (ties_m in c("efron", "breslow")) {
    fit <- coxph(formula, data = dat, ties = ties_m)
    s <- summary(fit)
    ci <- confint(fit)
    cx[[length(cx) + 1]] <<- data.frame(case = case, ties = ties_m, term = names(coef(fit)),
      coef = unname(coef(fit)), se = sqrt(diag(fit$var)), hr = unname(exp(coef(fit))),
      lower = unname(exp(ci[, 1])), upper = unname(exp(ci[, 2])), p = unname(s$coefficients[, 5]),
      loglik0 = fit$loglik[1], loglik1 = fit$loglik[2], iter = fit$iter, n = fit$n, nevent = fit$nevent)
    z <- cox.zph(fit)$table
    zp[[length(zp) + 1]] <<- data.frame(case = case, ties = ties_m, term = rownames(z),
      chisq = z[, "chisq"], df = z[, "df"], p = z[, "p"])
  }
}
add_cox("lung_sex", lung2, Surv(time, event) ~ group)
add_cox("lung_multi", lung2[!is.na(lung2$ph_ecog), ], Surv(time, event) ~ group + age + factor(ph_ecog))
add_cox("lung_strat", lung2[!is.na(lung2$ph_ecog), ], Surv(time, event) ~ group + age + strata(ph_ecog))
add_cox("veteran_multi", vet, Surv(time, event) ~ group + karno + age + celltype)
add_cox("veteran_strat", vet, Surv(time, event) ~ group + strata(celltype))
add_cox("ovarian", ova, Surv(time, event) ~ group + age)
add_cox("aml", aml2, Surv(time, event) ~ group)
add_cox("ties", ties, Surv(time, event) ~ group + x)
add_cox("flat05", flat05, Surv(time, event) ~ group)
add_cox("drop0", drop0, Surv(time, event) ~ group)
add_cox("neartie", neartie, Surv(time, event) ~ group)
wcsv(do.call(rbind, cx), "survival_cox.csv")
wcsv(do.call(rbind, zp), "survival_zph.csv")

# ---- interaction likelihood-ratio tests ----------------------------------------------------------
it <- list()
for (ties_m in c("efron", "breslow")) {
  f0 <- coxph(Surv(time, event) ~ group + prior, data = vet, ties = ties_m)
  f1 <- coxph(Surv(time, event) ~ group * prior, data = vet, ties = ties_m)
  a <- anova(f0, f1)
  it[[length(it) + 1]] <- data.frame(case = "veteran_prior", ties = ties_m, chisq = a$Chisq[2],
    df = a$Df[2], p = a[2, "Pr(>|Chi|)"])
  f0 <- coxph(Surv(time, event) ~ group + celltype, data = vet, ties = ties_m)
  f1 <- coxph(Surv(time, event) ~ group * celltype, data = vet, ties = ties_m)
  a <- anova(f0, f1)
  it[[length(it) + 1]] <- data.frame(case = "veteran_celltype", ties = ties_m, chisq = a$Chisq[2],
    df = a$Df[2], p = a[2, "Pr(>|Chi|)"])
}
wcsv(do.call(rbind, it), "survival_interaction.csv")
cat("survival", as.character(packageVersion("survival")), "fixtures written to", out, "\n")

# ---- a whole study through the tables (tests/test_survival_tables.py) ------------------------------
# veteran as a two-arm study: arm standard (reference) vs test, endpoint os (times as they are),
# strata(prior), covariates karno + celltype (reference level squamous), subgroup celltype, log-log.
vt <- vet; vt$arm <- factor(vt$group, levels = c("standard", "test"))
vt$celltype <- relevel(factor(vt$celltype), ref = "squamous")
tb <- list()
put <- function(table, key, column, value) tb[[length(tb) + 1]] <<- data.frame(table = table,
  key = key, column = column, value = if (length(value)) unname(value) else NA)
tau <- min(tapply(vt$time, vt$arm, max))
for (g in c("standard", "test", "All")) {
  dd <- if (g == "All") vt else vt[vt$arm == g, ]
  f <- survfit(Surv(time, event) ~ 1, data = dd, conf.type = "log-log")
  q <- quantile(f, probs = c(0.5, 0.25, 0.75))
  nm <- c("median", "q25", "q75")
  for (i in 1:3) {
    put("survival", g, nm[i], q$quantile[i]); put("survival", g, paste0(nm[i], "_lower"), q$lower[i])
    put("survival", g, paste0(nm[i], "_upper"), q$upper[i])
  }
  put("survival", g, "n", nrow(dd)); put("survival", g, "events", sum(dd$event))
  tab <- summary(f, rmean = tau)$table
  put("survival", g, "rmst", tab["rmean"]); put("survival", g, "rmst_se", tab["se(rmean)"])
  r <- quantile(survfit(Surv(time, 1 - event) ~ 1, data = dd, conf.type = "log-log"), probs = 0.5)
  put("survival", g, "followup_median", r$quantile); put("survival", g, "followup_lower", r$lower)
  put("survival", g, "followup_upper", r$upper)
  s <- summary(f, times = c(30, 90, 180))
  for (i in seq_along(s$time)) {
    k <- paste(g, s$time[i])
    put("landmarks", k, "n_risk", s$n.risk[i]); put("landmarks", k, "surv", s$surv[i])
    put("landmarks", k, "surv_lower", s$lower[i]); put("landmarks", k, "surv_upper", s$upper[i])
  }
}
fit <- coxph(Surv(time, event) ~ arm + strata(prior), data = vt)
sd <- survdiff(Surv(time, event) ~ arm + strata(prior), data = vt)
put("comparisons", "test", "hr", exp(coef(fit))); put("comparisons", "test", "hr_lower", exp(confint(fit))[1])
put("comparisons", "test", "hr_upper", exp(confint(fit))[2])
put("comparisons", "test", "hr_p", summary(fit)$coefficients[, 5])
put("comparisons", "test", "logrank_chisq", sd$chisq)
put("comparisons", "test", "logrank_p", pchisq(sd$chisq, 1, lower.tail = FALSE))
put("comparisons", "test", "ph_p", cox.zph(fit)$table["GLOBAL", "p"])
models <- list(univariable_arm = ~ arm, univariable_karno = ~ karno, univariable_celltype = ~ celltype,
  multivariable = ~ arm + karno + celltype)
for (m in names(models)) {
  fo <- update(models[[m]], Surv(time, event) ~ . + strata(prior))
  environment(fo) <- environment()
  fit <- coxph(fo, data = vt)
  ci <- exp(confint(fit)); z <- cox.zph(fit)$table
  for (j in seq_along(coef(fit))) {
    k <- paste(sub("_.*", "", m), names(coef(fit))[j])
    put("cox_models", k, "hr", exp(coef(fit))[j]); put("cox_models", k, "hr_lower", ci[j, 1])
    put("cox_models", k, "hr_upper", ci[j, 2]); put("cox_models", k, "p", summary(fit)$coefficients[j, 5])
    term <- c("arm", "karno", "celltype")[sapply(c("arm", "karno", "celltype"), function(t) startsWith(names(coef(fit))[j], t))]
    put("cox_models", k, "ph_p", z[term, "p"])
  }
}
ia <- anova(coxph(Surv(time, event) ~ arm + celltype + strata(prior), data = vt),
            coxph(Surv(time, event) ~ arm * celltype + strata(prior), data = vt))
for (lev in levels(vt$celltype)) {
  dd <- vt[vt$celltype == lev, ]
  fit <- coxph(Surv(time, event) ~ arm + strata(prior), data = dd)
  put("subgroup", lev, "hr", exp(coef(fit))); put("subgroup", lev, "hr_lower", exp(confint(fit))[1])
  put("subgroup", lev, "hr_upper", exp(confint(fit))[2])
  put("subgroup", lev, "interaction_p", ia[2, "Pr(>|Chi|)"])
  q <- quantile(survfit(Surv(time, event) ~ 1, data = dd[dd$arm == "test", ], conf.type = "log-log"), probs = 0.5)
  put("subgroup", lev, "median", q$quantile); put("subgroup", lev, "median_lower", q$lower)
  put("subgroup", lev, "median_upper", q$upper)
}
wcsv(do.call(rbind, tb), "survival_tables_veteran.csv")
