# Expected values for the competing-risks tests, computed with R cmprsk 2.2.x and survival 3.5.x.
# Run from the repository root:  Rscript tests/r/competing_reference.R
# Writes tests/fixtures/competing_*.csv; tests/test_competing.py reads them, so CI needs no R.
# Status codes everywhere: 0 censored, 1 event of interest, 2 competing event.
suppressPackageStartupMessages({library(survival); library(cmprsk)})
stopifnot(packageVersion("survival") >= "3.5", packageVersion("cmprsk") >= "2.2")
out <- "tests/fixtures"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
wcsv <- function(x, name) write.csv(x, file.path(out, name), row.names = FALSE, na = "")

# ---- data sets: two real ones shipped with R survival and small hand-made edge cases ------------
# mgus2: progression to a plasma-cell malignancy (1) vs death without progression (2), in months;
# group = sex, strata = age over 70, covariates for crr: sex and age.
mg <- with(survival::mgus2, data.frame(
  time = ifelse(pstat == 1, ptime, futime),
  status = ifelse(pstat == 1, 1L, 2L * as.integer(death)),
  group = as.character(sex), strata = ifelse(age > 70, "old", "young"), age = age))
# colon: two rows per patient (etype 1 recurrence, 2 death). Recurrence (1) when the recurrence
# row has status 1, at its time; else death without recurrence (2) at the death row's time; else
# censored at the death row's time. group = rx (3 arms), strata = sex, covariates rx and age.
co <- survival::colon
rec <- co[co$etype == 1, ]; dth <- co[co$etype == 2, ]
rec <- rec[order(rec$id), ]; dth <- dth[order(dth$id), ]
stopifnot(identical(rec$id, dth$id))
cl <- data.frame(
  time = ifelse(rec$status == 1, rec$time, dth$time),
  status = ifelse(rec$status == 1, 1L, ifelse(dth$status == 1, 2L, 0L)),
  group = as.character(rec$rx), strata = ifelse(rec$sex == 1, "male", "female"), age = rec$age)
# ties: events of both types and censorings on the same day, within and across groups
ties <- data.frame(
  time = c(1,1,1,2,2,2,2,3,3,4,4,4,5,5,6,7,7,8, 1,1,2,2,3,3,3,4,5,5,6,6,7,8,8,9),
  status = c(1,2,0,1,1,2,0,2,0,1,2,2,1,0,2,1,2,0, 2,1,1,0,2,2,1,1,0,1,2,1,0,1,2,0),
  group = rep(c("A", "B"), c(18, 16)),
  strata = rep(c("s1", "s2"), 17),
  age = c(3,1,4,1,5,9,2,6,5,3,5,8,9,7,9,3,2,3, 8,4,6,2,6,4,3,3,8,3,2,7,9,5,0,2))
# allcens: arm C is censored throughout; arm B has only competing events (its CIF stays 0)
allcens <- data.frame(
  time = c(2,3,3,5,6,8,9,11, 1,4,4,7,10, 2,5,6,12),
  status = c(1,2,1,0,1,2,0,1, 2,2,0,2,0, 0,0,0,0),
  group = rep(c("A", "B", "C"), c(8, 5, 4)),
  strata = "s", age = c(50,61,47,72,58,66,39,55, 63,70,44,52,60, 49,57,68,41))
sets <- list(mgus2 = mg, colon = cl, ties = ties, allcens = allcens)
for (nm in names(sets)) sets[[nm]]$age10 <- (sets[[nm]]$age - median(sets[[nm]]$age)) / 10
for (nm in names(sets)) wcsv(sets[[nm]], paste0("competing_data_", nm, ".csv"))
landmarks <- list(mgus2 = c(12, 60, 120, 240, 500), colon = c(365, 730, 1825, 3500),
  ties = c(0.5, 1, 2.5, 8, 9, 10), allcens = c(1, 3, 6, 11, 12, 13))

# ---- cuminc curves read through timepoints() at the event times (every time and midpoints in the
# small sets) and the landmarks -------------------------------------------------------------------
# R: cuminc(time, status, group, cencode = 0); timepoints(fit, times): the estimate at t includes
# events at t; NA past a group's largest follow-up time. Group "All" is cuminc without group.
cu <- list(); gr <- list()
for (nm in names(sets)) {
  d <- sets[[nm]]
  grid <- if (nrow(d) > 100) sort(unique(c(0, d$time[d$status > 0], landmarks[[nm]])))
          else sort(unique(c(0, d$time, landmarks[[nm]], d$time + 0.5)))
  for (g in c("All", sort(unique(d$group)))) {
    dd <- if (g == "All") d else d[d$group == g, ]
    if (any(dd$status > 0)) tp <- timepoints(cuminc(dd$time, dd$status, cencode = 0), grid)
    for (cause in 1:2) {
      row <- paste("1", cause)
      if (!any(dd$status == cause)) {  # no event of this type: cuminc has no curve; F = 0 (hand)
        est <- ifelse(grid <= max(dd$time), 0, NA); var <- est
      } else { est <- tp$est[row, ]; var <- tp$var[row, ] }
      # log(-log) CI, F^exp(-/+ z se / (F log F)); NA where F is 0 or 1
      e <- qnorm(0.975) * sqrt(var) / (est * log(est))
      ok <- !is.na(est) & est > 0 & est < 1
      cu[[length(cu) + 1]] <- data.frame(dataset = nm, group = g, cause = cause, time = grid,
        est = unname(est), var = unname(var), lower = ifelse(ok, est^exp(-e), NA),
        upper = ifelse(ok, est^exp(e), NA))
    }
  }
  # Gray's test: k-sample, rho 0 (default) and 1, with and without strata
  for (rho in c(0, 1)) for (st in c(FALSE, TRUE)) {
    fit <- if (st) cuminc(d$time, d$status, d$group, strata = d$strata, rho = rho, cencode = 0)
           else cuminc(d$time, d$status, d$group, rho = rho, cencode = 0)
    tt <- fit$Tests
    gr[[length(gr) + 1]] <- data.frame(dataset = nm, rho = rho, stratified = st,
      cause = as.integer(rownames(tt)), stat = tt[, "stat"], p = tt[, "pv"], df = tt[, "df"])
  }
}
wcsv(do.call(rbind, cu), "competing_cuminc.csv")
wcsv(do.call(rbind, gr), "competing_gray.csv")

# ---- Aalen-Johansen point estimates from survival's multi-state survfit -------------------------
# R: survfit(Surv(time, factor(status, 0:2)) ~ group); pstate columns for states 1 and 2
sf <- list()
for (nm in names(sets)) {
  d <- sets[[nm]]
  for (g in c("All", sort(unique(d$group)))) {
    dd <- if (g == "All") d else d[d$group == g, ]
    f <- survfit(Surv(time, factor(status, 0:2)) ~ 1, data = dd)
    ps <- f$pstate
    sf[[length(sf) + 1]] <- data.frame(dataset = nm, group = g, time = f$time,
      p1 = ps[, match("1", f$states)], p2 = ps[, match("2", f$states)])
  }
}
wcsv(do.call(rbind, sf), "competing_survfit.csv")

# ---- Fine-Gray: crr to convergence ---------------------------------------------------------------
# R: crr(time, status, cov1 = model.matrix(~ group [+ age10])[, -1], failcode, cencode = 0,
#        gtol = 1e-10, maxiter = 50); coef, se = sqrt(diag(var)), p = 2 * pnorm(-|coef / se|).
# age10 = (age - median age) / 10, written to the data files: on the raw age scale crr's uncentred
# score sums lose the digits that gtol = 1e-10 asks for and its line search stops short.
fg <- list()
for (nm in c("mgus2", "colon", "ties")) {  # allcens: arms without events, the SHRs diverge
  d <- sets[[nm]]
  d$group <- factor(d$group, levels = sort(unique(d$group)))
  for (model in c("group", "group_age10")) for (failcode in 1:2) {
    x <- if (model == "group") model.matrix(~ group, d)[, -1, drop = FALSE]
         else model.matrix(~ group + age10, d)[, -1, drop = FALSE]
    fit <- crr(d$time, d$status, cov1 = x, failcode = failcode, cencode = 0, gtol = 1e-10,
               maxiter = 50)
    if (!fit$converged) stop(paste("crr did not converge:", nm, model, failcode))
    se <- sqrt(diag(fit$var))
    fg[[length(fg) + 1]] <- data.frame(dataset = nm, model = model, failcode = failcode,
      term = colnames(x), coef = unname(fit$coef), se = unname(se),
      p = unname(2 * pnorm(-abs(fit$coef / se))), loglik = fit$loglik,
      loglik_null = fit$loglik.null, n = fit$n)
  }
}
wcsv(do.call(rbind, fg), "competing_crr.csv")
# ---- a whole study through the tables (tests/test_competing_tables.py) ----------------------------
# colon as a three-arm study, reference Obs, time in days as the endpoint's months, landmarks
# 365, 730, 1825: cuminc per arm and overall at the landmarks (log(-log) CI), each arm vs Obs on
# the two arms alone by Gray's test (cuminc) and Fine-Gray (crr, gtol 1e-10)
tb <- list()
put <- function(key, column, value) tb[[length(tb) + 1]] <<- data.frame(key = key, column = column,
  value = if (length(value)) unname(value) else NA)
lms <- c(365, 730, 1825)
for (g in c("All", "Lev", "Lev+5FU", "Obs")) {
  dd <- if (g == "All") cl else cl[cl$group == g, ]
  tp <- timepoints(cuminc(dd$time, dd$status, cencode = 0), lms)
  for (cause in 1:2) for (j in seq_along(lms)) {
    est <- tp$est[paste("1", cause), j]; v <- tp$var[paste("1", cause), j]
    e <- qnorm(0.975) * sqrt(v) / (est * log(est))
    k <- paste(g, c("event", "competing")[cause], lms[j])
    put(k, "cif", est); put(k, "cif_se", sqrt(v)); put(k, "cif_lower", est^exp(-e))
    put(k, "cif_upper", est^exp(e)); put(k, "n_risk", sum(dd$time >= lms[j]))
    put(k, "events", sum(dd$time <= lms[j] & dd$status == cause))
  }
}
for (a in c("Lev", "Lev+5FU")) {
  dd <- cl[cl$group %in% c(a, "Obs"), ]
  tt <- cuminc(dd$time, dd$status, dd$group, cencode = 0)$Tests
  fit <- crr(dd$time, dd$status, cov1 = as.numeric(dd$group == a), gtol = 1e-10, maxiter = 50)
  se <- sqrt(fit$var[1, 1])
  put(a, "gray_chisq", tt["1", "stat"]); put(a, "gray_p", tt["1", "pv"])
  put(a, "shr", exp(fit$coef)); put(a, "shr_lower", exp(fit$coef - qnorm(0.975) * se))
  put(a, "shr_upper", exp(fit$coef + qnorm(0.975) * se)); put(a, "shr_p", 2 * pnorm(-abs(fit$coef / se)))
}
wcsv(do.call(rbind, tb), "competing_tables_colon.csv")
cat("cmprsk", as.character(packageVersion("cmprsk")), "survival",
    as.character(packageVersion("survival")), "fixtures written to", out, "\n")
