# Reference values for the trial-context tests (IPD reconstruction round trip, parametric models),
# computed with R survival 3.5.x from data sets shipped with R survival.
# Run from the repository root:  Rscript tests/r/trial_context_reference.R
# Writes tests/fixtures/trial_context_*.csv; the Python tests read them, so CI needs no R.
suppressPackageStartupMessages(library(survival))
stopifnot(packageVersion("survival") >= "3.5")
out <- "tests/fixtures"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
wcsv <- function(x, name) write.csv(x, file.path(out, name), row.names = FALSE, na = "")
days_per_month <- 30.4375
step <- 0.5  # digitising step, months

# ---- the three real data sets, times in months, one arm column ------------------------------
colon2 <- with(subset(survival::colon, etype == 2),
  data.frame(time = time / days_per_month, event = status, arm = as.character(rx)))
lung2 <- with(survival::lung,
  data.frame(time = time / days_per_month, event = status - 1L, arm = ifelse(sex == 1, "male", "female")))
gbsg2 <- with(survival::gbsg,
  data.frame(time = rfstime / days_per_month, event = status, arm = ifelse(hormon == 1, "hormon", "no_hormon")))
sets <- list(colon = colon2, lung = lung2, gbsg = gbsg2)
risk_every <- c(colon = 12, lung = 6, gbsg = 12)
reference_arm <- c(colon = "Obs", lung = "male", gbsg = "no_hormon")
for (nm in names(sets)) wcsv(sets[[nm]], paste0("trial_context_data_", nm, ".csv"))
# harder cases for the parametric fits only: lung in days (another time unit), lung censored at
# 6 months (heavy censoring), the first 12 men of lung (tiny n), and a simulated Weibull sample
# (shape 1.5, a generalised gamma near Q = 1; labelled simulated, not a trial)
set.seed(18)
sim_t <- rweibull(300, shape = 1.5, scale = 20); sim_c <- runif(300, 5, 60)
extra <- list(
  lung_days = transform(lung2, time = time * days_per_month),
  lung_cens6 = transform(lung2, event = as.integer(event == 1 & time <= 6), time = pmin(time, 6)),
  lung_tiny = head(lung2[lung2$arm == "male", ], 12),
  weibull_sim = data.frame(time = pmin(sim_t, sim_c), event = as.integer(sim_t <= sim_c),
    arm = "simulated"))
for (nm in names(extra)) wcsv(extra[[nm]], paste0("trial_context_data_", nm, ".csv"))

# ---- digitiser-like inputs: one point per 0.5 months, as a reader clicking along the curve makes
# them: in each half month (g - 0.5, g] with a drop, the corner of its last drop (time of that drop,
# survival after it); in a half month without a drop, the curve at g. Survival to 3 decimals, as a
# careful digitiser reads it. Numbers at risk every 6 or 12 months, as R's n.risk (time >= t). ---
curves <- list(); risks <- list(); steps <- list(); arms <- list()
for (nm in names(sets)) {
  d <- sets[[nm]]
  for (a in sort(unique(d$arm))) {
    dd <- d[d$arm == a, ]
    f <- survfit(Surv(time, event) ~ 1, data = dd)
    last <- max(dd$time)
    grid <- unique(c(seq(0, last, by = step), last))
    s <- summary(f, times = grid, extend = TRUE)$surv
    drops <- f$time[f$n.event > 0]
    at <- vapply(seq_along(grid), function(j) {
      inside <- drops[drops > grid[j] - step & drops <= grid[j]]
      if (j > 1 && length(inside)) max(inside) else grid[j]
    }, numeric(1))
    curves[[length(curves) + 1]] <- data.frame(dataset = nm, arm = a, time = at, surv = round(s, 3))
    rt <- seq(0, last, by = risk_every[[nm]])
    risks[[length(risks) + 1]] <- data.frame(dataset = nm, arm = a, time = rt,
      n_risk = summary(f, times = rt, extend = TRUE)$n.risk)
    steps[[length(steps) + 1]] <- data.frame(dataset = nm, arm = a, time = f$time, surv = f$surv)
    arms[[length(arms) + 1]] <- data.frame(dataset = nm, arm = a, n = nrow(dd),
      events = sum(dd$event), median = unname(quantile(f, 0.5)$quantile))
  }
}
wcsv(do.call(rbind, curves), "trial_context_digitised.csv")
wcsv(do.call(rbind, risks), "trial_context_at_risk.csv")
wcsv(do.call(rbind, steps), "trial_context_km_steps.csv")
wcsv(do.call(rbind, arms), "trial_context_arms.csv")

# ---- Cox HR of each arm against the data set's reference arm (Efron ties) --------------------
hr <- list()
for (nm in names(sets)) {
  d <- sets[[nm]]
  d$arm <- relevel(factor(d$arm), ref = reference_arm[[nm]])
  fit <- coxph(Surv(time, event) ~ arm, data = d, ties = "efron")
  hr[[length(hr) + 1]] <- data.frame(dataset = nm, arm = sub("^arm", "", names(coef(fit))),
    reference = reference_arm[[nm]], log_hr = unname(coef(fit)))
}
wcsv(do.call(rbind, hr), "trial_context_cox.csv")

# ---- parametric models per arm: survreg parameters, log-likelihood, mean and restricted mean ----
horizon <- c(colon = 120, lung = 36, gbsg = 120, lung_days = 36 * days_per_month, lung_cens6 = 12,
  lung_tiny = 36, weibull_sim = 60)
all_sets <- c(sets, extra)
surv_fun <- function(dist, mu, sigma) switch(dist,
  exponential = function(t) exp(-t / exp(mu)),
  weibull = function(t) pweibull(t, shape = 1 / sigma, scale = exp(mu), lower.tail = FALSE),
  lognormal = function(t) plnorm(t, meanlog = mu, sdlog = sigma, lower.tail = FALSE),
  loglogistic = function(t) 1 / (1 + (t / exp(mu))^(1 / sigma)))
mean_of <- function(dist, mu, sigma) switch(dist,
  exponential = exp(mu),
  weibull = exp(mu) * gamma(1 + sigma),
  lognormal = exp(mu + sigma^2 / 2),
  loglogistic = if (sigma < 1) exp(mu) * pi * sigma / sin(pi * sigma) else Inf)
par <- list()
for (nm in names(all_sets)) {
  d <- all_sets[[nm]]
  for (a in sort(unique(d$arm))) {
    dd <- d[d$arm == a, ]
    for (dist in c("exponential", "weibull", "lognormal", "loglogistic")) {
      fit <- survreg(Surv(time, event) ~ 1, data = dd, dist = dist,
        control = survreg.control(rel.tolerance = 1e-12, maxiter = 100))
      mu <- unname(coef(fit)[1])
      sigma <- if (dist == "exponential") 1 else fit$scale
      rmst <- integrate(surv_fun(dist, mu, sigma), 0, horizon[[nm]], rel.tol = 1e-12)$value
      par[[length(par) + 1]] <- data.frame(dataset = nm, arm = a, dist = dist, mu = mu,
        sigma = sigma, loglik = fit$loglik[length(fit$loglik)], df = length(coef(fit)) +
          (dist != "exponential"), horizon = horizon[[nm]], rmst = rmst,
        mean = mean_of(dist, mu, sigma))
    }
  }
}
p <- do.call(rbind, par)
p$aic <- -2 * p$loglik + 2 * p$df
wcsv(p, "trial_context_survreg.csv")

# ---- generalised gamma (Prentice 1974; flexsurv's gengamma), by direct maximum likelihood --------
# survreg has no generalised gamma, so its log-likelihood is written out here: with
# w = (log t - mu) / sigma, k = 1 / Q^2 and x = k exp(Q w), x follows a Gamma(k, 1) law, so
# log f(t) = k log x - x + log|Q| - lgamma(k) - log sigma - log t and
# S(t) = P(X > x) for Q > 0, P(X < x) for Q < 0. Maximised with nlminb, then polished by BFGS and
# by Newton steps on a numerical gradient (central differences, Richardson-extrapolated) and Hessian
# (optimHess), so that the optimum is known to about 1e-9; max_gradient is the gradient's largest
# component there. The restricted mean by integrate() of S, as for the survreg families.
gg_loglik <- function(par, time, event) {
  mu <- par[1]; sigma <- exp(par[2]); q <- par[3]
  if (abs(q) < 1e-4) return(-1e10)  # the log-normal limit; not needed by these data
  k <- 1 / q^2
  w <- (log(time) - mu) / sigma
  x <- k * exp(q * w)
  logf <- k * log(x) - x + log(abs(q)) - lgamma(k) - log(sigma) - log(time)
  logs <- pgamma(x, k, lower.tail = q < 0, log.p = TRUE)
  sum(ifelse(event == 1, logf, logs))
}
num_grad <- function(f, p, h = 1e-4) vapply(seq_along(p), function(i) {
  e <- replace(numeric(length(p)), i, 1)
  diff_at <- function(hh) (f(p + hh * e) - f(p - hh * e)) / (2 * hh)
  (4 * diff_at(h / 2) - diff_at(h)) / 3
}, numeric(1))
polish <- function(f, p) {
  for (i in 1:50) {
    step <- solve(optimHess(p, f, function(x) num_grad(f, x)), num_grad(f, p))
    p <- p - step
    if (max(abs(step)) < 1e-12) break
  }
  p
}
gg_surv <- function(mu, sigma, q) function(t) {
  x <- exp(q * (log(t) - mu) / sigma) / q^2
  pgamma(x, 1 / q^2, lower.tail = q < 0)
}
gg <- list()
for (nm in c("lung", "gbsg", names(extra))) {
  d <- all_sets[[nm]]
  for (a in sort(unique(d$arm))) {
    dd <- d[d$arm == a, ]
    wb <- survreg(Surv(time, event) ~ 1, data = dd, dist = "weibull")
    nll <- function(p) -gg_loglik(p, dd$time, dd$event)
    best <- NULL
    for (q0 in c(1, 0.5, -0.5, -1)) {  # several starts (Weibull location and scale), keep the best
      start <- c(unname(coef(wb)[1]), log(wb$scale), q0)
      f1 <- nlminb(start, nll, control = list(rel.tol = 1e-15, eval.max = 10000, iter.max = 10000))
      if (is.null(best) || f1$objective < best$objective) best <- f1
    }
    f2 <- optim(best$par, nll, method = "BFGS", control = list(reltol = 1e-16, maxit = 10000, ndeps = rep(1e-6, 3)))
    p <- polish(nll, f2$par)
    rmst <- integrate(gg_surv(p[1], exp(p[2]), p[3]), 0, horizon[[nm]], rel.tol = 1e-12)$value
    gg[[length(gg) + 1]] <- data.frame(dataset = nm, arm = a, mu = p[1], sigma = exp(p[2]),
      q = p[3], loglik = -nll(p), convergence = f2$convergence,
      max_gradient = max(abs(num_grad(nll, p))), horizon = horizon[[nm]], rmst = rmst)
  }
}
wcsv(do.call(rbind, gg), "trial_context_gengamma.csv")

# ---- the bundled example of studies.<name>.trial_context: a public data set, labelled as such ------
# lung, women: the digitiser-like curve above (times to 4 decimals) and its numbers at risk.
example <- "data/raw/adc_vs_hpc/trial_context_example"
dir.create(example, showWarnings = FALSE, recursive = TRUE)
note <- c(
  "# PUBLIC EXAMPLE DATA, NOT A TRIAL. R survival's `lung` data set (NCCTG advanced lung cancer;",
  "# Loprinzi et al., J Clin Oncol 1994;12:601-7), women (n = 90), overall survival in months (days / 30.4375).",
  "# Written by tests/r/trial_context_reference.R from the Kaplan-Meier curve, read as a digitiser would",
  "# (one point per half month, survival to 3 decimals), and R's numbers at risk every 6 months.",
  "# It shows how trial_context works; it is not the curve of any HER2 trial.")
cv <- do.call(rbind, curves); cv <- cv[cv$dataset == "lung" & cv$arm == "female", ]
rk <- do.call(rbind, risks); rk <- rk[rk$dataset == "lung" & rk$arm == "female", ]
writeLines(c(note, "time,surv", sprintf("%.4f,%s", cv$time, format(cv$surv, trim = TRUE, drop0trailing = TRUE))),
  file.path(example, "curve.csv"))
writeLines(c(note, "time,n_risk", sprintf("%g,%d", rk$time, as.integer(rk$n_risk))), file.path(example, "at_risk.csv"))
