# Reference values for the response, safety and baseline tables (her2rwe issue 4).
# Run from the repository root:  Rscript tests/r/tables_reference.R
# Writes tests/fixtures/tables_*.csv with R 4.2 (stats package only). Numbers are written with 17
# significant digits.
set.seed(20241121)
out <- "tests/fixtures"
g <- function(x) ifelse(is.na(x), "", ifelse(is.infinite(x), ifelse(x > 0, "Inf", "-Inf"), sprintf("%.17g", x)))
write_fixture <- function(df, name) {
  for (col in names(df)) if (is.numeric(df[[col]])) df[[col]] <- g(df[[col]])
  write.csv(df, file.path(out, name), row.names = FALSE, quote = TRUE)
}

# ---- binomial CIs: binom.test (Clopper-Pearson), prop.test(correct = FALSE) (Wilson) ----
xn <- rbind(c(43, 83), c(18, 67), c(12, 66), c(0, 10), c(10, 10), c(1, 1), c(0, 1), c(5, 37),
            c(29, 60), c(1, 150), c(149, 150), c(50, 100))
rnd <- cbind(sample(0:40, 10, TRUE), 0); rnd[, 2] <- rnd[, 1] + sample(0:60, 10, TRUE)
xn <- rbind(xn, rnd)
binom <- do.call(rbind, lapply(c(0.95, 0.90), function(conf) do.call(rbind, lapply(seq_len(nrow(xn)), function(i) {
  x <- xn[i, 1]; n <- xn[i, 2]
  cp <- binom.test(x, n, conf.level = conf)$conf.int
  w <- suppressWarnings(prop.test(x, n, correct = FALSE, conf.level = conf)$conf.int)
  data.frame(x = x, n = n, conf_level = conf, cp_lower = cp[1], cp_upper = cp[2],
             wilson_lower = w[1], wilson_upper = w[2])
}))))
write_fixture(binom, "tables_binom.csv")

# ---- 2x2 tables: fisher.test, chisq.test (with/without Yates), Newcombe and Wald differences ----
# R's fisher.test finds the odds ratio and its limits with uniroot(tol ~ 1e-4); or_*_precise repeat
# the same equations (the source of fisher.test) with uniroot(tol = 1e-13).
precise_or <- function(tab, conf.level = 0.95) {
  m <- sum(tab[, 1L]); n <- sum(tab[, 2L]); k <- sum(tab[1L, ]); x <- tab[1L, 1L]
  lo <- max(0L, k - n); hi <- min(k, m); support <- lo:hi
  logdc <- dhyper(support, m, n, k, log = TRUE)
  dnhyper <- function(ncp) { d <- logdc + log(ncp) * support; d <- exp(d - max(d)); d / sum(d) }
  mnhyper <- function(ncp) { if (ncp == 0) return(lo); if (ncp == Inf) return(hi); sum(support * dnhyper(ncp)) }
  pnhyper <- function(q, ncp, upper.tail = FALSE) {
    if (ncp == 1) return(if (upper.tail) phyper(x - 1, m, n, k, lower.tail = FALSE) else phyper(x, m, n, k))
    if (ncp == 0) return(as.numeric(if (upper.tail) q <= lo else q >= lo))
    if (ncp == Inf) return(as.numeric(if (upper.tail) q <= hi else q >= hi))
    sum(dnhyper(ncp)[if (upper.tail) support >= q else support <= q])
  }
  tol <- 1e-13
  ur <- function(f, int) uniroot(f, int, tol = tol)$root
  mle <- function(x) {
    if (x == lo) return(0); if (x == hi) return(Inf)
    mu <- mnhyper(1)
    if (mu > x) ur(function(t) mnhyper(t) - x, c(0, 1))
    else if (mu < x) 1 / ur(function(t) mnhyper(1 / t) - x, c(.Machine$double.eps, 1)) else 1
  }
  ncp.U <- function(x, alpha) {
    if (x == hi) return(Inf)
    p <- pnhyper(x, 1)
    if (p < alpha) ur(function(t) pnhyper(x, t) - alpha, c(0, 1))
    else if (p > alpha) 1 / ur(function(t) pnhyper(x, 1 / t) - alpha, c(.Machine$double.eps, 1)) else 1
  }
  ncp.L <- function(x, alpha) {
    if (x == lo) return(0)
    p <- pnhyper(x, 1, upper.tail = TRUE)
    if (p > alpha) ur(function(t) pnhyper(x, t, upper.tail = TRUE) - alpha, c(0, 1))
    else if (p < alpha) 1 / ur(function(t) pnhyper(x, 1 / t, upper.tail = TRUE) - alpha, c(.Machine$double.eps, 1)) else 1
  }
  alpha <- (1 - conf.level) / 2
  c(mle(x), ncp.L(x, alpha), ncp.U(x, alpha))
}
pairs <- rbind(c(43, 83, 18, 67), c(58, 83, 44, 67), c(56, 70, 48, 80), c(9, 10, 3, 10), c(2, 20, 0, 15),
               c(15, 15, 10, 14), c(5, 40, 6, 41), c(1, 3, 2, 4))
rp <- t(replicate(12, { n1 <- sample(5:90, 1); n2 <- sample(5:90, 1); c(sample(0:n1, 1), n1, sample(0:n2, 1), n2) }))
pairs <- rbind(pairs, rp)
two <- do.call(rbind, lapply(seq_len(nrow(pairs)), function(i) {
  x1 <- pairs[i, 1]; n1 <- pairs[i, 2]; x2 <- pairs[i, 3]; n2 <- pairs[i, 4]
  tab <- matrix(c(x1, x2, n1 - x1, n2 - x2), 2)
  f <- fisher.test(tab)
  pr <- precise_or(tab)
  cy <- suppressWarnings(chisq.test(tab, correct = TRUE))
  cn <- suppressWarnings(chisq.test(tab, correct = FALSE))
  w1 <- suppressWarnings(prop.test(x1, n1, correct = FALSE)$conf.int)
  w2 <- suppressWarnings(prop.test(x2, n2, correct = FALSE)$conf.int)
  p1 <- x1 / n1; p2 <- x2 / n2; d <- p1 - p2
  z <- qnorm(0.975); se <- sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
  data.frame(x1 = x1, n1 = n1, x2 = x2, n2 = n2,
             fisher_p = f$p.value, or_r = unname(f$estimate), or_lower_r = f$conf.int[1], or_upper_r = f$conf.int[2],
             or_precise = pr[1], or_lower_precise = pr[2], or_upper_precise = pr[3],
             chisq_yates_stat = unname(cy$statistic), chisq_yates_p = cy$p.value,
             chisq_stat = unname(cn$statistic), chisq_p = cn$p.value,
             newcombe_lower = d - sqrt((p1 - w1[1])^2 + (w2[2] - p2)^2),
             newcombe_upper = d + sqrt((w1[2] - p1)^2 + (p2 - w2[1])^2),
             wald_lower = d - z * se, wald_upper = d + z * se)
}))
write_fixture(two, "tables_2x2.csv")

# ---- r x c tables: fisher.test (exact network algorithm), chisq.test ----
tabs <- list(matrix(c(3, 1, 1, 4, 2, 5), 2), matrix(c(10, 20, 12, 8, 5, 7, 3, 1), 2),
             matrix(c(12, 4, 2, 5, 9, 3, 3, 7, 11), 3), matrix(c(2, 0, 1, 3, 0, 4, 1, 1, 2), 3),
             matrix(c(23, 26, 16, 29, 11, 5), 2, byrow = FALSE), matrix(c(0, 3, 5, 0, 2, 7), 2))
for (i in 1:6) {
  r <- sample(2:3, 1); k <- sample(2:5, 1)
  tabs[[length(tabs) + 1]] <- matrix(sample(0:12, r * k, TRUE), r)
}
rxc <- do.call(rbind, lapply(tabs, function(tab) {
  f <- fisher.test(tab, workspace = 2e7)
  cs <- suppressWarnings(chisq.test(tab))
  data.frame(nrow = nrow(tab), ncol = ncol(tab), cells = paste(as.vector(t(tab)), collapse = ";"),
             fisher_p = f$p.value, chisq_stat = unname(cs$statistic), chisq_df = unname(cs$parameter),
             chisq_p = cs$p.value)
}))
write_fixture(rxc, "tables_rxc.csv")

# ---- Wilcoxon rank-sum (wilcox.test defaults) and Kruskal-Wallis ----
samples <- list(
  list(x = c(1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30), y = c(0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29)),
  list(x = round(rnorm(12, 50, 10), 2), y = round(rnorm(15, 55, 10), 2)),
  list(x = rnorm(30), y = rnorm(25) + 0.5),
  list(x = sample(30:80, 60, TRUE), y = sample(30:80, 55, TRUE)),
  list(x = rnorm(60), y = rnorm(70) + 0.3),
  list(x = c(1, 2, 2, 3, 4), y = c(2, 3, 5, 6, 6, 7)),
  list(x = c(3.1, 4.2), y = c(1.5, 2.7, 5.9))
)
wil <- do.call(rbind, lapply(samples, function(s) {
  w <- suppressWarnings(wilcox.test(s$x, s$y))
  data.frame(x = paste(sprintf("%.17g", s$x), collapse = ";"), y = paste(sprintf("%.17g", s$y), collapse = ";"),
             W = unname(w$statistic), p = w$p.value)
}))
write_fixture(wil, "tables_wilcox.csv")

kgroups <- list(
  list(a = c(2.9, 3.0, 2.5, 2.6, 3.2), b = c(3.8, 2.7, 4.0, 2.4), c = c(2.8, 3.4, 3.7, 2.2, 2.0)),
  list(a = sample(1:20, 15, TRUE), b = sample(3:25, 18, TRUE), c = sample(1:30, 12, TRUE), d = sample(5:20, 10, TRUE)),
  list(a = rnorm(40), b = rnorm(35, 0.4), c = rnorm(20, -0.2))
)
kw <- do.call(rbind, lapply(kgroups, function(gr) {
  k <- kruskal.test(gr)
  data.frame(groups = paste(sapply(gr, function(v) paste(sprintf("%.17g", v), collapse = " ")), collapse = ";"),
             statistic = unname(k$statistic), df = unname(k$parameter), p = k$p.value)
}))
write_fixture(kw, "tables_kruskal.csv")

# ---- a small cohort: rates per arm (binom.test) and the ORR comparison (fisher.test, chisq.test) ----
n <- 97
arm <- sample(c("A", "B", "C"), n, TRUE, prob = c(0.4, 0.35, 0.25))
bor <- sample(c("CR", "PR", "SD", "PD", "NE", ""), n, TRUE, prob = c(0.05, 0.3, 0.3, 0.25, 0.05, 0.05))
sd_weeks <- ifelse(bor == "SD", round(runif(n, 4, 60), 1), NA)
sd_weeks[which(bor == "SD")[1:3]] <- c(24, 23.9, NA)
measurable <- sample(c("yes", "no"), n, TRUE, prob = c(0.85, 0.15))
age <- round(rnorm(n, 55, 11))
age[sample(n, 4)] <- NA
ecog <- sample(c(0, 1, 2), n, TRUE, prob = c(0.5, 0.4, 0.1))
cohort <- data.frame(patient_id = sprintf("P%03d", 1:n), arm = arm, best_response = bor,
                     sd_weeks = sd_weeks, measurable_disease = measurable, age = age, ecog = ecog)
write.csv(cohort, file.path(out, "tables_cohort.csv"), row.names = FALSE, na = "")
rates <- list()
for (den in c("all", "measurable", "evaluable")) {
  keep <- switch(den, all = rep(TRUE, n), measurable = measurable == "yes", evaluable = !(bor %in% c("NE", "")))
  for (a in c("A", "B", "C", "Overall")) {
    sel <- keep & (if (a == "Overall") TRUE else arm == a)
    b <- bor[sel]; sw <- sd_weeks[sel]
    counts <- c(orr = sum(b %in% c("CR", "PR")), dcr = sum(b %in% c("CR", "PR", "SD")),
                cbr = sum(b %in% c("CR", "PR") | (b == "SD" & !is.na(sw) & sw >= 24)))
    for (r in names(counts)) {
      bt <- binom.test(counts[[r]], sum(sel))
      rates[[length(rates) + 1]] <- data.frame(denominator = den, arm = a, rate = r, n = sum(sel), x = counts[[r]],
                                               lower = bt$conf.int[1], upper = bt$conf.int[2])
    }
  }
}
write_fixture(do.call(rbind, rates), "tables_cohort_rates.csv")
cmp <- list()
for (a in c("B", "C")) for (r in c("orr", "dcr")) {
  sel <- arm %in% c(a, "A")
  hit <- if (r == "orr") bor %in% c("CR", "PR") else bor %in% c("CR", "PR", "SD")
  tab <- matrix(c(sum(hit & arm == a), sum(hit & arm == "A"), sum(!hit & arm == a), sum(!hit & arm == "A")), 2)
  e <- outer(rowSums(tab), colSums(tab)) / sum(tab)
  cmp[[length(cmp) + 1]] <- data.frame(arm = a, rate = r, fisher_p = fisher.test(tab)$p.value,
                                       chisq_yates_p = chisq.test(tab)$p.value, min_expected = min(e))
}
write_fixture(do.call(rbind, cmp), "tables_cohort_comparisons.csv")
# Table 1 tests on the cohort: age by arm (Kruskal-Wallis), ecog by arm (fisher.test r x c, chisq.test)
tab <- table(arm, ecog)
base <- data.frame(kruskal_age_p = kruskal.test(age ~ factor(arm))$p.value,
                   fisher_ecog_p = fisher.test(tab)$p.value,
                   chisq_ecog_p = suppressWarnings(chisq.test(tab))$p.value,
                   wilcox_age_AB_p = suppressWarnings(wilcox.test(age[arm == "A"], age[arm == "B"]))$p.value,
                   median_age_A = median(age[arm == "A"], na.rm = TRUE),
                   q1_age_A = unname(quantile(age[arm == "A"], 0.25, na.rm = TRUE)),
                   q3_age_A = unname(quantile(age[arm == "A"], 0.75, na.rm = TRUE)))
write_fixture(base, "tables_cohort_baseline.csv")

# ---- random r x c tables for fisher.test (exact), 2-3 rows x 2-5 columns ----
rand <- list()
while (length(rand) < 80) {
  r <- sample(2:3, 1); k <- sample(2:5, 1)
  m <- matrix(sample(0:sample(2:14, 1), r * k, TRUE), r)
  if (all(rowSums(m) > 0) && all(colSums(m) > 0)) rand[[length(rand) + 1]] <- m
}
rr <- do.call(rbind, lapply(rand, function(tab) {
  data.frame(nrow = nrow(tab), ncol = ncol(tab), cells = paste(as.vector(t(tab)), collapse = ";"),
             fisher_p = fisher.test(tab, workspace = 2e7)$p.value)
}))
write_fixture(rr, "tables_rxc_random.csv")
cat("wrote", length(list.files(out, "^tables_")), "fixture files\n")
