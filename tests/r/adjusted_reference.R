# Expected values for the adjusted-comparison tests (propensity scores, weights, balance, weighted
# Kaplan-Meier, weighted Cox with a robust variance, RMST), computed with R survival 3.5.x and base R.
# Run from the repository root:  Rscript tests/r/adjusted_reference.R
# Writes tests/fixtures/adjusted_*.csv; the Python tests read them, so CI needs no R.
# Data: R survival's colon (deaths), pbc (randomised part) and rotterdam, complete cases.
# The weights are written out here by their textbook formulas, independently of the package.
suppressPackageStartupMessages(library(survival))
stopifnot(packageVersion("survival") >= "3.5")
out <- "tests/fixtures"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
wcsv <- function(x, name) write.csv(x, file.path(out, name), row.names = FALSE, na = "")
options(digits = 15)
csort <- function(x) sort(unique(x), method = "radix")  # byte order, as Python's sorted()

colon2 <- with(subset(survival::colon, etype == 2 & rx != "Lev"), data.frame(
  id = id, time = time, event = status, arm = as.character(rx), age = age, sex = sex,
  obstruct = obstruct, nodes = nodes, differ = differ, extent = extent))
pbc2 <- with(subset(survival::pbc, !is.na(trt)), data.frame(
  id = id, time = time, event = as.integer(status == 2),
  arm = ifelse(trt == 1, "D-penicillamine", "placebo"), age = age, sex = as.character(sex),
  edema = edema, bili = bili, albumin = albumin, stage = stage))
rott2 <- with(survival::rotterdam, data.frame(
  id = pid, time = dtime, event = death, arm = ifelse(chemo == 1, "chemo", "none"), age = age,
  meno = meno, size = as.character(size), grade = grade, nodes = nodes, er = er))
sets <- list(
  colon = list(d = colon2, ref = "Obs", cat = c("differ", "extent"),
               cov = c("age", "sex", "obstruct", "nodes", "differ", "extent"),
               landmarks = c(365, 1095, 1825), tau = 2000),
  pbc = list(d = pbc2, ref = "placebo", cat = c("sex", "edema", "stage"),
             cov = c("age", "sex", "edema", "bili", "albumin", "stage"),
             landmarks = c(1000, 2000, 3000), tau = 3000),
  rotterdam = list(d = rott2, ref = "none", cat = c("size", "grade"),
                   cov = c("age", "meno", "size", "grade", "nodes", "er"),
                   landmarks = c(1825, 3650, 5000), tau = 4000))

coefs <- list(); psout <- list(); km <- list(); med <- list(); cox <- list(); rm <- list()
bal <- list(); ess <- list()
for (nm in names(sets)) {
  s <- sets[[nm]]
  d <- s$d[complete.cases(s$d), ]
  wcsv(d, paste0("adjusted_data_", nm, ".csv"))
  z <- as.integer(d$arm != s$ref)
  mf <- d[, s$cov]
  for (v in s$cat) mf[[v]] <- factor(mf[[v]], levels = csort(mf[[v]]))
  mf$z <- z
  g <- glm(reformulate(s$cov, "z"), family = binomial, data = mf,
           control = glm.control(epsilon = 1e-14, maxit = 100))
  coefs[[nm]] <- data.frame(dataset = nm, term = names(coef(g)), estimate = unname(coef(g)),
    se = unname(sqrt(diag(vcov(g)))), deviance = g$deviance, iterations = g$iter)
  ps <- unname(fitted(g))
  pz <- mean(z)
  W <- list(
    none = rep(1, length(z)),
    ATE = z / ps + (1 - z) / (1 - ps),
    ATE_stabilized = z / ps * pz + (1 - z) / (1 - ps) * (1 - pz),
    ATT = z + (1 - z) * ps / (1 - ps),
    ATO = z * (1 - ps) + (1 - z) * ps)
  q99 <- quantile(W$ATE, 0.99, type = 7)
  W$ATE_truncated99 <- pmin(W$ATE, q99)
  psout[[nm]] <- data.frame(dataset = nm, row = seq_along(z), ps = ps, w_ATE = W$ATE,
    w_ATE_stabilized = W$ATE_stabilized, w_ATT = W$ATT, w_ATO = W$ATO,
    w_ATE_truncated99 = W$ATE_truncated99)
  # balance: every numeric covariate and every level of a categorical one as its 0/1 indicator
  cols <- list()
  for (v in s$cov) {
    if (v %in% s$cat) {
      for (l in csort(d[[v]])) cols[[paste(v, l, sep = "=")]] <- as.numeric(d[[v]] == l)
    } else cols[[paste0(v, "=")]] <- as.numeric(d[[v]])
  }
  wvar <- function(x, w) { m <- sum(w * x) / sum(w)
    sum(w * (x - m)^2) * sum(w) / (sum(w)^2 - sum(w^2)) }
  for (est in names(W)) {
    w <- W[[est]]
    for (cn in names(cols)) {
      x <- cols[[cn]]; x1 <- x[z == 1]; x0 <- x[z == 0]; w1 <- w[z == 1]; w0 <- w[z == 0]
      den <- sqrt((var(x1) + var(x0)) / 2)
      bal[[length(bal) + 1]] <- data.frame(dataset = nm, weights = est,
        variable = sub("=.*", "", cn), level = sub("^[^=]*=", "", cn),
        smd = (sum(w1 * x1) / sum(w1) - sum(w0 * x0) / sum(w0)) / den,
        variance_ratio = wvar(x1, w1) / wvar(x0, w0))
    }
    ess[[length(ess) + 1]] <- data.frame(dataset = nm, weights = est,
      arm = c(s$ref, setdiff(unique(d$arm), s$ref)),
      ess = c(sum(w[z == 0])^2 / sum(w[z == 0]^2), sum(w[z == 1])^2 / sum(w[z == 1]^2)))
    # weighted Kaplan-Meier per arm: survfit's default with weights (robust variance when any
    # weight is not a whole number), log-log and log bands; medians; landmark rates
    for (a in c(0, 1)) {
      dd <- d[z == a, ]; ww <- w[z == a]
      for (ct in c("log-log", "log")) {
        f <- survfit(Surv(time, event) ~ 1, data = dd, weights = ww, conf.type = ct)
        km[[length(km) + 1]] <- data.frame(dataset = nm, weights = est, arm = a, conf_type = ct,
          time = f$time, n_risk = f$n.risk, n_event = f$n.event, surv = f$surv,
          std_err = f$std.err, lower = f$lower, upper = f$upper)
        qq <- quantile(f, probs = 0.5)
        sm <- summary(f, times = s$landmarks)
        med[[length(med) + 1]] <- data.frame(dataset = nm, weights = est, arm = a, conf_type = ct,
          median = unname(qq$quantile), median_lower = unname(qq$lower),
          median_upper = unname(qq$upper))
        if (ct == "log-log") {
          lmk <- data.frame(time = sm$time, surv = sm$surv, lower = sm$lower, upper = sm$upper)
          med[[length(med)]] <- cbind(med[[length(med)]],
            setNames(as.list(c(lmk$surv, lmk$lower, lmk$upper)),
                     c(paste0("surv", 1:3), paste0("lower", 1:3), paste0("upper", 1:3))))
        } else {
          med[[length(med)]] <- cbind(med[[length(med)]],
            setNames(as.list(rep(NA_real_, 9)),
                     c(paste0("surv", 1:3), paste0("lower", 1:3), paste0("upper", 1:3))))
        }
        if (ct == "log") {
          # RMST to tau: survmean's estimate and its Greenwood-form SE (survRM2's method when the
          # weights are all 1), and the infinitesimal-jackknife SE from survfit's influence matrix
          pr <- summary(f, rmean = s$tau)$table
          fi <- survfit(Surv(time, event) ~ 1, data = dd, weights = ww, influence = 1,
                        robust = TRUE)
          keep <- fi$time <= s$tau
          widths <- diff(c(fi$time[keep], s$tau))
          infl <- fi$influence.surv[, keep, drop = FALSE] %*% widths
          rm[[length(rm) + 1]] <- data.frame(dataset = nm, weights = est, arm = a, tau = s$tau,
            rmean = unname(pr["rmean"]), se_greenwood = unname(pr["se(rmean)"]),
            se_ij = sqrt(sum(infl^2)))
        }
      }
    }
    for (ties in c("efron", "breslow")) {
      fit <- coxph(Surv(time, event) ~ z, data = cbind(d, z = z), weights = w, cluster = id,
                   ties = ties)
      ci <- exp(confint(fit))
      cox[[length(cox) + 1]] <- data.frame(dataset = nm, weights = est, ties = ties,
        coef = unname(coef(fit)), se_robust = unname(sqrt(diag(fit$var))),
        se_naive = unname(sqrt(diag(fit$naive.var))), hr = unname(exp(coef(fit))),
        hr_lower = unname(ci[1]), hr_upper = unname(ci[2]),
        p = unname(summary(fit)$coefficients[, "Pr(>|z|)"]))
    }
  }
}
# RMST difference, arm minus reference, SEs combined (survRM2's method; Greenwood SEs when the
# weights are all 1, infinitesimal-jackknife SEs otherwise)
rmall <- do.call(rbind, rm)
rd <- list()
for (key in unique(paste(rmall$dataset, rmall$weights))) {
  r <- rmall[paste(rmall$dataset, rmall$weights) == key, ]
  r0 <- r[r$arm == 0, ]; r1 <- r[r$arm == 1, ]
  se <- if (r0$weights == "none") sqrt(r0$se_greenwood^2 + r1$se_greenwood^2) else
    sqrt(r0$se_ij^2 + r1$se_ij^2)
  dif <- r1$rmean - r0$rmean
  rd[[key]] <- data.frame(dataset = r0$dataset, weights = r0$weights, tau = r0$tau,
    rmst_diff = dif, se = se, lower = dif - qnorm(0.975) * se, upper = dif + qnorm(0.975) * se)
}
wcsv(do.call(rbind, rd), "adjusted_rmst_diff.csv")
# a weighted Cox model with three terms and clusters of several patients (pbc, by stage)
d <- pbc2[complete.cases(pbc2), ]
d$z <- as.integer(d$arm != "placebo")
w <- psout$pbc$w_ATE
multi <- list()
for (ties in c("efron", "breslow")) {
  fit <- coxph(Surv(time, event) ~ z + age + bili, data = d, weights = w, cluster = stage,
               ties = ties)
  multi[[ties]] <- data.frame(ties = ties, term = names(coef(fit)), coef = unname(coef(fit)),
    se_robust = unname(sqrt(diag(fit$var))), se_naive = unname(sqrt(diag(fit$naive.var))),
    var_12 = fit$var[1, 2], var_13 = fit$var[1, 3])
}
wcsv(do.call(rbind, multi), "adjusted_cox_multi.csv")
wcsv(do.call(rbind, coefs), "adjusted_glm.csv")
wcsv(do.call(rbind, psout), "adjusted_weights.csv")
wcsv(do.call(rbind, bal), "adjusted_balance.csv")
wcsv(do.call(rbind, ess), "adjusted_ess.csv")
kmall <- do.call(rbind, km)  # whole curves: log-log, three weightings, every 4th row (size)
kmall <- kmall[kmall$conf_type == "log-log" & kmall$weights %in% c("ATE", "ATT", "ATO"), ]
wcsv(kmall[seq(1, nrow(kmall), by = 4), ], "adjusted_km.csv")
wcsv(do.call(rbind, med), "adjusted_medians.csv")
wcsv(do.call(rbind, rm), "adjusted_rmst.csv")
wcsv(do.call(rbind, cox), "adjusted_cox.csv")
